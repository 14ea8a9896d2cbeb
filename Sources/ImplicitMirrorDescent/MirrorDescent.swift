public import ImplicitCore
import _Differentiation

/// Mirror descent with a fixed step: `x⁺ = ∇φ*(∇φ(x) − η∇f(x))`.
///
/// Convergence is declared when one step moves `x` by at most `tolerance` (Euclidean norm, as
/// in JAXopt). ``solve(_:_:from:)`` throws on invalid input and otherwise returns a
/// ``SolverResult`` whose status says how the run ended (`try result.converged()` for the
/// solution); its residual is the last step's size. For benchmarks, `fixedIterations` runs exactly
/// that many steps with no convergence test.
///
/// Step size: for an objective that is `L`-smooth relative to `φ` (for KL on simplices, any
/// `L ≥ λ_max(∇²f)` works), `η = 1/L` converges; with an entropy term `γΣp log p` in `f`,
/// `1/(γ + L)`. In the KL geometry a coordinate that starts at `0` stays `0`: start inside the
/// domain (e.g. uniform) to find the minimiser over the whole simplex.
public struct MirrorDescent: Sendable {
  /// The step `η`.
  public var stepSize: Double
  /// The largest step `‖x⁺ − x‖₂` accepted as converged.
  public var tolerance: Double
  /// The iteration budget in convergence mode.
  public var maxIterations: Int
  /// Benchmark mode: exactly this many steps, no convergence test (`nil`: convergence mode).
  public var fixedIterations: Int?

  public init(stepSize: Double, tolerance: Double = 1e-12, maxIterations: Int = 10_000, fixedIterations: Int? = nil) {
    self.stepSize = stepSize
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.fixedIterations = fixedIterations
  }

  /// Minimises the condition's objective at `θ` in the geometry of its mirror map, from the
  /// feasible `start` (with this solver's step, not the condition's).
  public func solve<Objective, Map>(
    _ condition: MirrorDescentCondition<Objective, Map>, _ θ: Vector<Double>, from start: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    try condition.validate(start, θ)
    let objective = condition.objective
    return try solve(mirrorMap: condition.mirrorMap, from: start) { objective.gradient(at: $0, θ) }
  }

  /// Mirror descent driven by a gradient function (use a hand-written gradient when automatic
  /// differentiation of the objective is too slow for many iterations).
  public func solve<Map: MirrorMap>(
    mirrorMap: Map, from start: Vector<Double>, gradient: (Vector<Double>) -> Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    guard stepSize > 0, stepSize.isFinite else {
      throw ImplicitError.invalidArgument("mirror-descent step size must be positive and finite, got \(stepSize)")
    }
    guard tolerance >= 0, maxIterations >= 0, (fixedIterations ?? 0) >= 0 else {
      throw ImplicitError.invalidArgument("tolerance and iteration counts must be non-negative")
    }
    try mirrorMap.validateFeasible(start, tolerance: 1e-8)
    let budget = fixedIterations ?? maxIterations
    var x = start
    var residual = Double.infinity
    var iterations = 0
    func result(_ status: SolverStatus) -> SolverResult<Vector<Double>> {
      SolverResult(
        solution: x, status: status, iterations: iterations, residual: residual, tolerance: tolerance,
        solver: "mirror descent")
    }
    while iterations < budget {
      let g = gradient(x)
      try ImplicitError.checkDimension("the gradient", g.count, expected: x.count)
      let next = mirrorMap.inverseMirror(mirrorMap.dualPoint(at: x, gradient: g, stepSize: stepSize))
      iterations += 1
      residual = (next - x).norm()
      x = next
      guard next.isFinite else { return result(.nonFinite) }
      if fixedIterations == nil && residual <= tolerance { return result(.converged) }
    }
    return result(fixedIterations != nil ? .completedFixedIterations : .maxIterationsReached)
  }
}

extension MirrorDescent {
  /// `x_K(θ)`: ``fixedIterations`` steps (else ``maxIterations``) from `start` with this solver's
  /// step, no convergence test, as a differentiable function of `θ` — the derivative by Swift's
  /// reverse-mode AD **through the iterations** instead of the implicit function theorem. Each
  /// step is `x⁺ = x + F(x, θ)` of the condition with the solver's step, so its pullback is the
  /// condition's exact hand-written one. Input is not validated (call ``solve(_:_:from:)``
  /// first); a step that is not finite and positive gives NaN. A step that depends on `θ`: unroll
  /// with step 1 on the objective `η(θ)·f(x, θ)`, which has the same iterates (`η∇f = ∇(ηf)`) and
  /// the same roots (see ``FISTA/unrolled(_:_:from:)``).
  @differentiable(reverse,wrt: θ)
  public func unrolled<Objective, Map>(
    _ condition: MirrorDescentCondition<Objective, Map>, _ θ: Vector<Double>, from start: Vector<Double>
  ) -> Vector<Double> {
    // A differentiable function cannot throw: a bad step gives NaN, never a trap.
    guard stepSize > 0, stepSize.isFinite else { return Vector(repeating: .nan, count: start.count) }
    let step = condition.with(stepSize: stepSize)
    var x = start
    for _ in 0..<withoutDerivative(at: fixedIterations ?? maxIterations) { x = x + step(x, θ) }
    return x
  }
}
