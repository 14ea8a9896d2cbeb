public import ImplicitCore

/// Plain (optionally damped) fixed-point iteration:
///
///     x ← (1 − β)·x + β·T(x, θ)
///
/// Converges linearly when `T(·, θ)` is a contraction (damping `β < 1` helps when it is merely
/// non-expansive). Stops when `‖T(x, θ) − x‖ ≤ tolerance` and returns that `x`.
public struct FixedPointIteration: FixedPointSolver, Sendable {
  /// Stop when `‖T(x, θ) − x‖ ≤ tolerance`.
  public var tolerance: Double
  /// Iterations allowed.
  public var maxIterations: Int
  /// `β ∈ (0, 1]`; 1 is the undamped iteration.
  public var damping: Double

  public init(tolerance: Double = 1e-10, maxIterations: Int = 10_000, damping: Double = 1) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.damping = damping
  }

  /// Iterates from `initial`; the result's `residual` is `‖T(x, θ) − x‖` at the returned point.
  public func solve<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution
  ) throws -> SolverResult<Map.Solution> {
    guard damping > 0, damping <= 1 else {
      throw ImplicitError.invalidArgument("fixed-point damping must be in (0, 1], got \(damping)")
    }
    guard maxIterations >= 0 else { throw ImplicitError.invalidArgument("maxIterations must be non-negative") }
    try map.validate(initial, θ)
    func result(_ x: Map.Solution, _ r: Double, _ k: Int, _ status: SolverStatus) -> SolverResult<Map.Solution> {
      SolverResult(
        solution: x, status: status, iterations: k, residual: r, tolerance: tolerance, solver: "fixed-point iteration")
    }
    var x = initial
    for k in 0...maxIterations {
      var step = map(x, θ)
      step.addScaled(-1, x)  // T(x) − x
      let r = step.norm
      guard r.isFinite else { return result(x, r, k, .nonFinite) }
      if r <= tolerance { return result(x, r, k, .converged) }
      if k == maxIterations { return result(x, r, k, .maxIterationsReached) }
      x.addScaled(damping, step)
    }
    return result(x, .nan, maxIterations, .maxIterationsReached)  // (not reached)
  }
}
