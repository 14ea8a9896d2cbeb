public import ImplicitCore
public import ImplicitProximal

/// How ``FISTA`` chooses its step `η`.
public enum ProximalGradientStepSize: Sendable, Hashable {
  /// A constant step, typically `1/L` with `L` the Lipschitz constant of `∇f`.
  case fixed(Double)
  /// Backtracking (Beck & Teboulle 2009): start from `initial` (`nil`: `1/L̂` with `L̂` a power
  /// iteration estimate of the curvature at the starting point) and multiply the step by
  /// `shrinkFactor ∈ (0, 1)` until the sufficient-decrease test
  /// `f(x⁺) ≤ f(y) + ⟨∇f(y), x⁺ − y⟩ + ‖x⁺ − y‖²/(2η)` holds. Steps never grow.
  case backtracking(initial: Double? = nil, shrinkFactor: Double = 0.5)
}

/// How a ``FISTA`` run ended.
public enum ProximalGradientStatus: String, Sendable, Hashable {
  /// The gradient-mapping norm met the tolerance.
  case converged
  /// The iteration budget ran out before the tolerance was met.
  case maxIterationsReached = "max-iterations"
  /// Fixed-iteration mode ran its iterations (no tolerance was tested).
  case completedFixedIterations = "fixed-iterations"
  /// An iterate, gradient or objective value became NaN or ±∞.
  case nonFinite = "non-finite"
  /// Backtracking shrank the step below `1e-30` without sufficient decrease.
  case lineSearchFailed = "line-search-failed"
}

/// The outcome of a proximal-gradient run: never just a vector.
public struct ProximalGradientResult: Sendable {
  /// The last iterate (meaningful as a solution only when ``isConverged``).
  public var solution: Vector<Double>
  /// How the run ended.
  public var status: ProximalGradientStatus
  /// Iterations performed.
  public var iterations: Int
  /// The gradient-mapping norm `‖x − prox_{ηg}(x − η∇f(x))‖ / η` at ``solution`` (zero exactly at
  /// minimisers), with the final step `η`; computed at the end of every run, also in
  /// fixed-iteration mode (one extra gradient). `‖F(x, θ)‖` of ``ProximalGradientCondition`` with
  /// the same `η` is `η` times this.
  public var residual: Double
  /// The final step `η`.
  public var stepSize: Double

  /// Whether the tolerance was met.
  public var isConverged: Bool { status == .converged }
}

/// FISTA: accelerated proximal gradient for `min_x f(x, θ_f) + g(x, θ_g)`, the solver that pairs
/// with ``ProximalGradientCondition``.
///
///     x⁺ = prox_{ηg}(y − η∇f(y)),  t⁺ = (1 + √(1 + 4t²))/2,  y⁺ = x⁺ + ((t − 1)/t⁺)(x⁺ − x)
///
/// Two modes:
/// - **tolerance** (the default): stop when the gradient-mapping norm at the iterate,
///   `‖x − prox_{ηg}(x − η∇f(x))‖/η`, is at most ``tolerance``; backtracking line search by
///   default; adaptive restart of the momentum (O'Donoghue & Candès 2015) when it points uphill,
///   which keeps the linear convergence that high-precision solves need;
/// - **fixed iterations** (``fixedIterations(_:stepSize:acceleration:)``, for benchmarks): exactly
///   `n` iterations with a constant step, no tests, no restarts — the schedule JAXopt is timed with.
///
/// ``run(objective:_:prox:_:from:)`` always returns a ``ProximalGradientResult`` with its status;
/// ``solve(objective:_:prox:_:from:)`` throws a typed error unless the run converged (or completed
/// its fixed iterations).
public struct FISTA: Sendable {
  /// The step rule.
  public var stepSize: ProximalGradientStepSize
  /// Target for the gradient-mapping norm (tolerance mode).
  public var tolerance: Double
  /// Iteration budget (tolerance mode), or the exact iteration count (fixed mode).
  public var maxIterations: Int
  /// Nesterov momentum (FISTA); `false` gives plain ISTA.
  public var acceleration: Bool
  /// Restart the momentum when `⟨y − x⁺, x⁺ − x⟩ > 0` (tolerance mode only).
  public var adaptiveRestart: Bool
  /// Run exactly ``maxIterations`` iterations without testing convergence.
  public var runsFixedIterations: Bool

  /// Tolerance mode.
  public init(
    stepSize: ProximalGradientStepSize = .backtracking(), tolerance: Double = 1e-10, maxIterations: Int = 10_000,
    acceleration: Bool = true, adaptiveRestart: Bool = true
  ) {
    self.stepSize = stepSize
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.acceleration = acceleration
    self.adaptiveRestart = adaptiveRestart
    runsFixedIterations = false
  }

  /// Fixed-iteration mode: `iterations` steps of size `stepSize`, no convergence test, no
  /// restarts (benchmarks, and the schedule an unrolled solver is differentiated through).
  public static func fixedIterations(_ iterations: Int, stepSize: Double, acceleration: Bool = true) -> FISTA {
    var solver = FISTA(
      stepSize: .fixed(stepSize), maxIterations: iterations, acceleration: acceleration, adaptiveRestart: false)
    solver.runsFixedIterations = true
    return solver
  }

  /// Runs from `x0` and reports how it ended; never traps on bad numbers (they end the run with
  /// ``ProximalGradientStatus/nonFinite``). Call ``solve(objective:_:prox:_:from:)`` for validated
  /// input and typed errors.
  public func run<Objective: ParametricObjective, Prox: ProximalOperator>(
    objective: Objective, _ θf: Vector<Double>, prox: Prox, _ θg: Prox.Parameter, from x0: Vector<Double>
  ) -> ProximalGradientResult {
    var η: Double
    var shrink = 0.5
    let backtracking: Bool
    switch stepSize {
    case .fixed(let step):
      η = step
      backtracking = false
    case .backtracking(let initial, let factor):
      η = initial ?? estimatedCurvature(objective, x0, θf).map { 1 / $0 } ?? 1
      shrink = factor
      backtracking = true
    }
    func result(_ x: Vector<Double>, _ status: ProximalGradientStatus, _ k: Int, residual: Double? = nil)
      -> ProximalGradientResult
    {
      ProximalGradientResult(
        solution: x, status: status, iterations: k,
        residual: residual ?? gradientMappingNorm(objective, θf, prox, θg, x, η), stepSize: η)
    }
    guard η > 0, η.isFinite, shrink > 0, shrink < 1 else { return result(x0, .nonFinite, 0, residual: .nan) }

    var x = x0, y = x0, t = 1.0
    var k = 0
    while k < maxIterations {
      k += 1
      let (fy, gy) =
        backtracking ? objectiveValueAndGradient(objective, y, θf) : (0, objectiveGradient(objective, y, θf))
      guard gy.isFinite, fy.isFinite else { return result(y, .nonFinite, k, residual: .nan) }
      var next = prox.prox(y - η * gy, θg, scaling: η)
      if backtracking {
        while true {
          let d = next - y
          let fNext = objective.value(at: next, θf)
          let slack = 10 * Double.ulpOfOne * (abs(fy) + abs(fNext))
          if fNext <= fy + gy.dot(d) + d.squaredNorm() / (2 * η) + slack { break }  // NaN fails: shrink
          η *= shrink
          guard η > 1e-30 else { return result(x, .lineSearchFailed, k) }
          next = prox.prox(y - η * gy, θg, scaling: η)
        }
      }
      guard next.isFinite else { return result(next, .nonFinite, k, residual: .nan) }
      let stepNorm = runsFixedIterations ? 0 : (next - y).norm() / η  // the gradient mapping at y
      if acceleration {
        if adaptiveRestart && !runsFixedIterations && (y - next).dot(next - x) > 0 {
          t = 1
          y = next
        } else {
          let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
          y = next + ((t - 1) / tNext) * (next - x)
          t = tNext
        }
      } else {
        y = next
      }
      x = next
      if !runsFixedIterations && stepNorm <= tolerance {
        let r = gradientMappingNorm(objective, θf, prox, θg, x, η)
        if r <= tolerance { return result(x, .converged, k, residual: r) }
        y = x  // close to the tolerance: continue from x without momentum
        t = 1
      }
    }
    if runsFixedIterations { return result(x, .completedFixedIterations, k) }
    let r = gradientMappingNorm(objective, θf, prox, θg, x, η)
    return result(x, r <= tolerance ? .converged : .maxIterationsReached, k, residual: r)
  }

  /// Validates the input, runs, and throws unless the run converged (or completed its fixed
  /// iterations): ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` when the
  /// budget ran out or the line search failed, ``ImplicitError/nonFinite(what:)`` on NaN or ±∞.
  @discardableResult
  public func solve<Objective: ParametricObjective, Prox: ProximalOperator>(
    objective: Objective, _ θf: Vector<Double>, prox: Prox, _ θg: Prox.Parameter, from x0: Vector<Double>
  ) throws -> ProximalGradientResult {
    try ImplicitError.checkFinite("the starting point x0", x0)
    try ImplicitError.checkFinite("the objective's parameters θ_f", θf)
    try ImplicitError.checkFinite("the prox's parameters θ_g", θg)
    try prox.validate(dimension: x0.count, θg)
    guard maxIterations >= 0, tolerance >= 0 else {
      throw ImplicitError.invalidArgument("FISTA needs maxIterations ≥ 0 and tolerance ≥ 0")
    }
    let r = run(objective: objective, θf, prox: prox, θg, from: x0)
    switch r.status {
    case .converged, .completedFixedIterations: return r
    case .nonFinite: throw ImplicitError.nonFinite(what: "the FISTA iterate (iteration \(r.iterations))")
    case .maxIterationsReached:
      throw ImplicitError.solverDidNotConverge(solver: "FISTA", iterations: r.iterations, residual: r.residual)
    case .lineSearchFailed:
      throw ImplicitError.solverDidNotConverge(
        solver: "FISTA (line search failed)", iterations: r.iterations, residual: r.residual)
    }
  }

  /// Solves for the root of `condition` at `θ` (its objective, prox and parameter split).
  @discardableResult
  public func solve<Objective, Prox>(
    _ condition: ProximalGradientCondition<Objective, Prox>, _ θ: Vector<Double>, from x0: Vector<Double>
  ) throws -> ProximalGradientResult {
    try ImplicitError.checkDimension("θ", θ.count, expected: condition.parameterCount)
    let (θf, θg) = condition.splitParameters(θ)
    return try solve(objective: condition.objective, θf, prox: condition.prox, θg, from: x0)
  }
}

/// `‖x − prox_{ηg}(x − η∇f(x))‖ / η`.
func gradientMappingNorm<Objective: ParametricObjective, Prox: ProximalOperator>(
  _ objective: Objective, _ θf: Vector<Double>, _ prox: Prox, _ θg: Prox.Parameter, _ x: Vector<Double>, _ η: Double
) -> Double {
  let g = objectiveGradient(objective, x, θf)
  guard g.isFinite else { return .nan }
  return (x - prox.prox(x - η * g, θg, scaling: η)).norm() / η
}
