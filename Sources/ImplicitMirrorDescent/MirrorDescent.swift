public import ImplicitCore

/// Mirror descent with a fixed step: `x⁺ = ∇φ*(∇φ(x) − η∇f(x))`.
///
/// Convergence is declared when one step moves `x` by at most `tolerance` (Euclidean norm, as
/// in JAXopt). ``solve(mirrorMap:from:gradient:)`` throws
/// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` when `maxIterations` pass
/// without converging; ``iterate(mirrorMap:from:gradient:)`` instead returns the last iterate
/// with status ``MirrorDescentStatus/maxIterationsReached`` (to continue from it, or to judge the
/// residual). A non-finite iterate throws ``ImplicitError/nonFinite(what:)``. For benchmarks,
/// `fixedIterations` runs exactly that many steps with no convergence test and reports the last
/// step's size.
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

  /// Minimises `objective(·, θ)` in the geometry of `mirrorMap`, from the feasible `start`.
  public func solve<Objective: ParametricObjective, Map: MirrorMap>(
    _ objective: Objective, _ θ: Vector<Double>, mirrorMap: Map, from start: Vector<Double>
  ) throws -> MirrorDescentResult {
    try ImplicitError.checkFinite("θ", θ)
    return try solve(mirrorMap: mirrorMap, from: start) { objective.gradient(at: $0, θ) }
  }

  /// Mirror descent driven by a gradient function (use a hand-written gradient when automatic
  /// differentiation of the objective is too slow for many iterations).
  public func solve<Map: MirrorMap>(
    mirrorMap: Map, from start: Vector<Double>, gradient: (Vector<Double>) -> Vector<Double>
  ) throws -> MirrorDescentResult {
    let result = try iterate(mirrorMap: mirrorMap, from: start, gradient: gradient)
    if result.status == .maxIterationsReached {
      throw ImplicitError.solverDidNotConverge(
        solver: "mirror descent", iterations: result.iterations, residual: result.residual)
    }
    return result
  }

  /// Like ``solve(mirrorMap:from:gradient:)``, but running out of iterations is not an error:
  /// the result says so (``MirrorDescentStatus/maxIterationsReached``) and carries the last
  /// iterate and its residual.
  public func iterate<Map: MirrorMap>(
    mirrorMap: Map, from start: Vector<Double>, gradient: (Vector<Double>) -> Vector<Double>
  ) throws -> MirrorDescentResult {
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
    while iterations < budget {
      let g = gradient(x)
      try ImplicitError.checkDimension("the gradient", g.count, expected: x.count)
      let next = mirrorMap.inverseMirror(mirrorMap.dualPoint(at: x, gradient: g, stepSize: stepSize))
      iterations += 1
      guard next.isFinite else {
        throw ImplicitError.nonFinite(what: "mirror-descent iterate \(iterations)")
      }
      residual = (next - x).norm()
      x = next
      if fixedIterations == nil && residual <= tolerance {
        return MirrorDescentResult(solution: x, iterations: iterations, residual: residual, status: .converged)
      }
    }
    return MirrorDescentResult(
      solution: x, iterations: iterations, residual: residual,
      status: fixedIterations != nil ? .completedFixedIterations : .maxIterationsReached)
  }
}

/// How a solver run ended.
public enum MirrorDescentStatus: Sendable, Hashable {
  /// The last step was within the tolerance.
  case converged
  /// Benchmark mode: the fixed number of steps ran; `residual` says how far from converged.
  case completedFixedIterations
  /// `maxIterations` steps ran without converging (only from ``MirrorDescent/iterate(mirrorMap:from:gradient:)``).
  case maxIterationsReached
}

/// The outcome of ``MirrorDescent``.
public struct MirrorDescentResult: Sendable {
  /// The last iterate.
  public var solution: Vector<Double>
  /// Steps taken.
  public var iterations: Int
  /// `‖x_k − x_{k−1}‖₂` of the last step.
  public var residual: Double
  public var status: MirrorDescentStatus
}
