public import ImplicitCore
public import ImplicitProjections

/// Accelerated projected gradient (FISTA; Beck & Teboulle 2009) for `min_{x ∈ C} f(x)`:
///
///     x⁺ = P_C(y − η∇f(y)),   t⁺ = (1 + √(1 + 4t²))/2,   y⁺ = x⁺ + ((t − 1)/t⁺)(x⁺ − x)
///
/// with a fixed step `η = 1/L` or backtracking (the step shrinks until
/// `f(x⁺) ≤ f(y) + ⟨∇f(y), x⁺ − y⟩ + ‖x⁺ − y‖²/(2η)`), optional gradient-based adaptive
/// restart (O'Donoghue & Candès 2015: `t ← 1` when `⟨y − x⁺, x⁺ − x⟩ > 0`), and either a
/// tolerance on the gradient mapping `‖P_C(x − η∇f(x)) − x‖/η` or a fixed iteration count (for
/// benchmarks: no early stopping, no extra evaluations).
///
/// The result always carries a ``ProjectedGradientResult/Status`` and the gradient-mapping norm
/// at the returned point; ``solve(_:_:projection:_:from:)`` throws when the run did not
/// converge, never returning an unconverged point silently.
public struct ProjectedGradientSolver: Sendable {
  /// How the step `η` is chosen.
  public enum StepSize: Sendable, Equatable {
    /// A fixed step, normally `1/L` for an `L`-Lipschitz gradient.
    case fixed(Double)
    /// Starts at `initial` and multiplies by `shrink ∈ (0, 1)` until the sufficient-decrease
    /// test holds; the step never grows again.
    case backtracking(initial: Double, shrink: Double)
  }

  /// The step rule.
  public var stepSize: StepSize
  /// The tolerance on the gradient mapping `‖P_C(x − η∇f(x)) − x‖/η` (absolute).
  public var tolerance: Double
  /// The iteration budget (with ``stopsEarly`` false: the exact number of iterations).
  public var maxIterations: Int
  /// FISTA momentum (`false`: plain projected gradient).
  public var acceleration: Bool
  /// Gradient-based adaptive restart of the momentum.
  public var adaptiveRestart: Bool
  /// Whether to stop at the tolerance; `false` runs exactly ``maxIterations`` iterations.
  public var stopsEarly: Bool

  public init(
    stepSize: StepSize, tolerance: Double = 1e-10, maxIterations: Int = 10_000, acceleration: Bool = true,
    adaptiveRestart: Bool = false, stopsEarly: Bool = true
  ) {
    self.stepSize = stepSize
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.acceleration = acceleration
    self.adaptiveRestart = adaptiveRestart
    self.stopsEarly = stopsEarly
  }

  /// A solver that runs exactly `iterations` iterations (benchmarks: the same work as an
  /// unrolled solver with that many steps).
  public static func fixedIterations(
    _ iterations: Int, stepSize: StepSize, acceleration: Bool = true
  ) -> ProjectedGradientSolver {
    ProjectedGradientSolver(
      stepSize: stepSize, maxIterations: iterations, acceleration: acceleration, stopsEarly: false)
  }

  /// Runs from `x0` on closures: `value` (needed only for backtracking), `gradient` and
  /// `project`. Throws ``ImplicitError/invalidArgument(_:)`` on a bad configuration; otherwise
  /// returns whatever happened, with its status.
  public func run(
    from x0: Vector<Double>, value: ((Vector<Double>) -> Double)? = nil,
    gradient: (Vector<Double>) -> Vector<Double>, project: (Vector<Double>) -> Vector<Double>
  ) throws -> ProjectedGradientResult {
    var eta: Double, shrink: Double?
    switch stepSize {
    case .fixed(let step): (eta, shrink) = (step, nil)
    case .backtracking(let initial, let factor): (eta, shrink) = (initial, factor)
    }
    guard eta > 0, eta.isFinite else {
      throw ImplicitError.invalidArgument("the step size must be positive and finite, got \(eta)")
    }
    if let shrink, !(shrink > 0 && shrink < 1) {
      throw ImplicitError.invalidArgument("the backtracking factor must be in (0, 1), got \(shrink)")
    }
    if shrink != nil && value == nil { throw ImplicitError.invalidArgument("backtracking needs the objective's value") }
    guard maxIterations >= 0 else { throw ImplicitError.invalidArgument("maxIterations must be ≥ 0") }
    guard tolerance >= 0 else { throw ImplicitError.invalidArgument("the tolerance must be ≥ 0") }
    try ImplicitError.checkFinite("the starting point", x0)

    func gradientMapping(_ x: Vector<Double>) -> Double { (project(x - eta * gradient(x)) - x).norm() / eta }

    var x = project(x0)
    var y = x
    var t = 1.0
    var iteration = 0
    while iteration < maxIterations {
      iteration += 1
      let g = gradient(y)
      var next = project(y - eta * g)
      if let shrink, let value {
        let fy = value(y)
        while true {
          let d = next - y
          let squared = d.squaredNorm()
          if squared == 0 || value(next) <= fy + g.dot(d) + squared / (2 * eta) + 10 * Double.ulpOfOne * abs(fy) {
            break
          }
          eta *= shrink
          guard eta > Double.leastNormalMagnitude else {
            return ProjectedGradientResult(
              solution: x, iterations: iteration, residual: .nan, stepSize: eta, status: .stepSizeUnderflow)
          }
          next = project(y - eta * g)
        }
      }
      guard next.isFinite else {
        return ProjectedGradientResult(
          solution: next, iterations: iteration, residual: .nan, stepSize: eta, status: .nonFinite)
      }
      let cheapResidual = (next - y).norm() / eta
      if acceleration {
        var nextT = 0.5 * (1 + (1 + 4 * t * t).squareRoot())
        if adaptiveRestart && (y - next).dot(next - x) > 0 {
          nextT = 1
          y = next
        } else {
          y = next + ((t - 1) / nextT) * (next - x)
        }
        t = nextT
      } else {
        y = next
      }
      x = next
      if stopsEarly && cheapResidual <= tolerance {
        let residual = gradientMapping(x)
        if residual <= tolerance {
          return ProjectedGradientResult(
            solution: x, iterations: iteration, residual: residual, stepSize: eta, status: .converged)
        }
      }
    }
    let residual = gradientMapping(x)
    let status: ProjectedGradientResult.Status =
      !residual.isFinite
      ? .nonFinite
      : !stopsEarly ? .completedFixedIterations : (residual <= tolerance ? .converged : .maxIterationsReached)
    return ProjectedGradientResult(
      solution: x, iterations: iteration, residual: residual, stepSize: eta, status: status)
  }

  /// Runs on `min_{x ∈ C(θ_C)} f(x, θ_f)` from `x0` (projected first), with the objective's
  /// exact reverse-mode gradient.
  public func run<Objective: ParametricObjective, SetProjection: Projection>(
    _ objective: Objective, _ θf: Vector<Double>, projection: SetProjection, _ θC: SetProjection.Parameter,
    from x0: Vector<Double>
  ) throws -> ProjectedGradientResult {
    try projection.validate(x0, θC)
    return try run(
      from: x0, value: { objective.value(at: $0, θf) }, gradient: { objective.gradient(at: $0, θf) },
      project: { projection.project($0, θC) })
  }

  /// As ``run(_:_:projection:_:from:)``, but throws
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` unless the status is
  /// ``ProjectedGradientResult/Status/converged`` (or, with ``stopsEarly`` false,
  /// ``ProjectedGradientResult/Status/completedFixedIterations``).
  public func solve<Objective: ParametricObjective, SetProjection: Projection>(
    _ objective: Objective, _ θf: Vector<Double>, projection: SetProjection, _ θC: SetProjection.Parameter,
    from x0: Vector<Double>
  ) throws -> ProjectedGradientResult {
    try run(objective, θf, projection: projection, θC, from: x0).checked()
  }
}

/// What a ``ProjectedGradientSolver`` run produced.
public struct ProjectedGradientResult: Sendable {
  /// How the run ended.
  public enum Status: Sendable, Equatable {
    /// The gradient mapping fell below the tolerance.
    case converged
    /// The iteration budget ran out above the tolerance.
    case maxIterationsReached
    /// A fixed-iteration run finished (no tolerance was checked).
    case completedFixedIterations
    /// An iterate or the residual was NaN or infinite.
    case nonFinite
    /// Backtracking shrank the step to nothing (`f` not smooth, or wrong gradient).
    case stepSizeUnderflow
  }

  /// The last iterate `x`.
  public var solution: Vector<Double>
  public var iterations: Int
  /// `‖P_C(x − η∇f(x)) − x‖/η` at ``solution`` (with the final step).
  public var residual: Double
  /// The final step `η`.
  public var stepSize: Double
  public var status: Status

  /// `self` if it converged (or completed a fixed-iteration run), else throws
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)``.
  public func checked() throws -> ProjectedGradientResult {
    guard status == .converged || status == .completedFixedIterations else {
      throw ImplicitError.solverDidNotConverge(
        solver: "accelerated projected gradient (\(status))", iterations: iterations, residual: residual)
    }
    return self
  }
}
