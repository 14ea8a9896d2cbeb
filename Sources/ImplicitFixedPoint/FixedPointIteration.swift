public import ImplicitCore
import _Differentiation

/// Plain (optionally damped) fixed-point iteration:
///
///     x ← (1 − β)·x + β·T(x, θ)
///
/// Converges linearly when `T(·, θ)` is a contraction (damping `β < 1` helps when it is merely
/// non-expansive). Stops when `‖T(x, θ) − x‖ ≤ tolerance` and returns that `x`.
/// ``unrolled(_:_:from:iterations:)`` runs a fixed number of steps as a function differentiable
/// through them.
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
    guard tolerance >= 0 else {
      throw ImplicitError.invalidArgument("tolerance must be non-negative, got \(tolerance)")
    }
    try map.validate(initial, θ)
    func result(_ x: Map.Solution, _ r: Double, _ k: Int, _ status: SolverStatus) -> SolverResult<Map.Solution> {
      SolverResult(
        solution: x, status: status, iterations: k, residual: r, tolerance: tolerance, solver: "fixed-point iteration")
    }
    var x = initial
    for k in 0...maxIterations {
      var step = map(x, θ)
      if k == 0 { try ImplicitError.checkDimension("T(x0, θ)", step.dimension, expected: x.dimension) }
      step.addScaled(-1, x)  // T(x) − x
      let r = step.norm
      guard r.isFinite else { return result(x, r, k, .nonFinite) }
      if r <= tolerance { return result(x, r, k, .converged) }
      if k == maxIterations { return result(x, r, k, .maxIterationsReached) }
      x.addScaled(damping, step)
    }
    return result(x, .nan, maxIterations, .maxIterationsReached)  // (not reached)
  }

  /// The unrolled iteration `θ ↦ x_K(θ)`: exactly `iterations` (damped) steps from `initial`, no
  /// convergence test, differentiable by Swift's reverse mode *through the iterations* (JAXopt's
  /// `implicit_diff=False`), where
  /// ``ImplicitFunction/init(fixedPointOf:solver:initialGuess:options:)`` differentiates the
  /// fixed point implicitly. The two derivatives agree as `K` grows when `T(·, θ)` is a
  /// contraction. Memory grows linearly with `iterations`. The map's
  /// ``FixedPointMap/validate(_:_:)`` is not called (a differentiable function cannot throw):
  /// call ``solve(_:_:from:)`` for a checked run.
  ///
  /// ```swift
  /// let g = gradient(at: θ) { θ in loss(FixedPointIteration().unrolled(map, θ, from: x0, iterations: 100)) }
  /// ```
  @differentiable(reverse,wrt: θ)
  public func unrolled<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution, iterations: Int
  ) -> Map.Solution {
    var x = initial
    for _ in 0..<max(iterations, 0) { x = dampedStep(x, map(x, θ), damping) }
    return x
  }
}

/// `(1 − β)·x + β·t`, differentiable in `x` and `t` (the generic scaling is not).
@differentiable(reverse,wrt: (x, t))
func dampedStep<V: InnerProductSpace>(_ x: V, _ t: V, _ β: Double) -> V {
  if β == 1 { return t }
  var out = x.scaled(by: 1 - β)
  out.addScaled(β, t)
  return out
}

@derivative(of: dampedStep, wrt: (x, t))
func _vjpDampedStep<V: InnerProductSpace>(_ x: V, _ t: V, _ β: Double) -> (value: V, pullback: (V) -> (V, V)) {
  (dampedStep(x, t, β), { u in (u.scaled(by: 1 - β), u.scaled(by: β)) })
}
