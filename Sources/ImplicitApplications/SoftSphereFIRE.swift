import ImplicitCore

/// The FIRE energy minimiser (Fast Inertial Relaxation Engine; Bitzek et al. 2006, with the
/// FIRE 2.0 refinements of Guénolé et al. 2020: semi-implicit Euler, a half-step back on
/// uphill motion, an initial delay), the standard minimiser for jammed packings.
///
/// It runs unit-mass damped dynamics `ẍ = −∇U` and steers the velocity towards the force,
/// growing the time step while the motion goes downhill and freezing it when it does not.
/// Forces are pairwise antisymmetric, so the centre of mass never moves (up to rounding).
public struct SoftSphereFIRE: Sendable {
  /// Stop when the largest per-particle force `maxᵢ ‖∇_{xᵢ}U‖` is below this.
  public var forceTolerance: Double
  /// Step budget; exceeding it throws.
  public var maxSteps: Int
  /// Initial and largest time steps.
  public var initialTimeStep: Double, maxTimeStep: Double
  /// Print a progress line every this many steps (0: never).
  public var reportEvery: Int

  public init(
    forceTolerance: Double = 1e-12, maxSteps: Int = 200_000, initialTimeStep: Double = 0.05,
    maxTimeStep: Double = 0.5, reportEvery: Int = 0
  ) {
    self.forceTolerance = forceTolerance
    self.maxSteps = maxSteps
    self.initialTimeStep = initialTimeStep
    self.maxTimeStep = maxTimeStep
    self.reportEvery = reportEvery
  }

  /// A minimised configuration.
  public struct Minimum: Sendable {
    /// The positions (unwrapped).
    public var positions: [Double]
    /// `U` there.
    public var energy: Double
    /// The largest per-particle force there.
    public var maxForce: Double
    /// FIRE steps taken.
    public var steps: Int
  }

  /// Minimises `U(·, θ)` of `packing` from `start`; throws
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` when the force
  /// tolerance is not reached within the budget.
  public func minimize(_ packing: SoftSpherePacking, from start: [Double], _ θ: Double) throws -> Minimum {
    try ImplicitError.checkDimension("the starting positions", start.count, expected: 2 * packing.count)
    guard start.allSatisfy(\.isFinite), θ.isFinite, θ > 0 else {
      throw ImplicitError.invalidArgument("FIRE needs finite positions and a positive diameter θ")
    }
    // FIRE 2.0 parameters (Guénolé et al. 2020, table 1).
    let delay = 20, increase = 1.1, decrease = 0.5, mixingStart = 0.25, mixingDecay = 0.99
    let minTimeStep = 0.02 * initialTimeStep
    let m = start.count
    var x = start
    var v = [Double](repeating: 0, count: m)
    var gradient = [Double](repeating: 0, count: m)
    var dt = initialTimeStep, mixing = mixingStart
    var downhillSteps = 0
    var energy = packing.energy(at: x, θ, gradient: &gradient)
    for step in 0...maxSteps {
      let maxForce = largestParticleForce(gradient)
      if reportEvery > 0, step % reportEvery == 0 {
        print(
          "  FIRE step \(rightAligned(step, width: 6))   U = \(sci(energy))   max |f| = \(sci(maxForce))   "
            + "dt = \(String(format: "%.3f", dt))"
        )
      }
      if maxForce < forceTolerance {
        return Minimum(positions: x, energy: energy, maxForce: maxForce, steps: step)
      }
      if step == maxSteps { break }
      // Power P = F·v with F = −∇U.
      var power = 0.0
      for k in 0..<m { power -= gradient[k] * v[k] }
      if power > 0 {
        downhillSteps += 1
        if downhillSteps > delay {
          dt = min(dt * increase, maxTimeStep)
          mixing *= mixingDecay
        }
      } else {
        downhillSteps = 0
        if step >= delay {
          dt = max(dt * decrease, minTimeStep)
          mixing = mixingStart
        }
        // Back up half a step and stop: the last move went uphill.
        for k in 0..<m {
          x[k] -= 0.5 * dt * v[k]
          v[k] = 0
        }
      }
      // Semi-implicit Euler with FIRE's velocity mixing v ← (1 − α)v + α‖v‖ F̂.
      var vNorm2 = 0.0, fNorm2 = 0.0
      for k in 0..<m {
        v[k] -= dt * gradient[k]
        vNorm2 += v[k] * v[k]
        fNorm2 += gradient[k] * gradient[k]
      }
      let steer = fNorm2 > 0 ? mixing * (vNorm2 / fNorm2).squareRoot() : 0
      for k in 0..<m {
        v[k] = (1 - mixing) * v[k] - steer * gradient[k]
        x[k] += dt * v[k]
      }
      energy = packing.energy(at: x, θ, gradient: &gradient)
    }
    throw ImplicitError.solverDidNotConverge(
      solver: "FIRE", iterations: maxSteps, residual: largestParticleForce(gradient))
  }
}

/// `maxᵢ ‖(g₂ᵢ, g₂ᵢ₊₁)‖`.
private func largestParticleForce(_ gradient: [Double]) -> Double {
  var worst = 0.0
  for i in 0..<(gradient.count / 2) {
    worst = max(worst, (gradient[2 * i] * gradient[2 * i] + gradient[2 * i + 1] * gradient[2 * i + 1]).squareRoot())
  }
  return worst
}
