public import ImplicitCore

/// Newton's method with conjugate-gradient inner solves (truncated Newton) and a backtracking
/// line search, for high-precision minimisation of smooth objectives.
///
/// Each iteration solves `∇²ₓₓf · p = −∇ₓf` by CG on exact Hessian-vector products (reverse mode
/// over dual numbers), to the relative accuracy `min(½, √‖∇f‖)` (superlinear, then quadratic
/// convergence), and stops CG at a direction of non-positive curvature (falling back to `−∇f` if
/// that happens at once). Stops when `‖∇ₓf‖ ≤ tolerance`; reports the status otherwise.
public struct NewtonCG: Minimizer, Sendable {
  /// Stop when `‖∇ₓf‖ ≤ tolerance`.
  public var tolerance: Double
  /// Newton iterations allowed.
  public var maxIterations: Int
  /// CG iterations per Newton step (`nil`: `max(2n, 20)`).
  public var maxInnerIterations: Int?

  public init(tolerance: Double = 1e-10, maxIterations: Int = 100, maxInnerIterations: Int? = nil) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.maxInnerIterations = maxInnerIterations
  }

  /// Minimises `f(·, θ)` from `initial`; the result's `residual` is `‖∇ₓf‖` at the returned
  /// point. Throws ``ImplicitError`` for NaN input or shapes the objective rejects.
  public func solve<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, from initial: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    func result(_ x: Vector<Double>, _ norm: Double, _ k: Int, _ status: SolverStatus) -> SolverResult<Vector<Double>> {
      SolverResult(
        solution: x, status: status, iterations: k, residual: norm, tolerance: tolerance, solver: "newton-cg")
    }
    try validateInput(objective, initial, θ, tolerance: tolerance)
    var x = initial
    var (value, gradient) = objective.valueWithSolutionGradient(at: x, θ)
    let innerLimit = max(maxInnerIterations ?? max(2 * x.count, 20), 1)
    for k in 0..<max(maxIterations, 0) {
      let norm = gradient.norm
      guard value.isFinite, norm.isFinite else { return result(x, norm, k, .nonFinite) }
      if norm <= tolerance { return result(x, norm, k, .converged) }
      let direction = newtonDirection(objective, θ, at: x, gradient: gradient, gradientNorm: norm, limit: innerLimit)
      var accepted = backtrackingLineSearch(objective, θ, from: x, value: value, gradient: gradient, along: direction)
      if accepted == nil {
        // The Newton direction failed (a poor model far from the minimiser): steepest descent.
        accepted = backtrackingLineSearch(
          objective, θ, from: x, value: value, gradient: gradient, along: gradient.scaled(by: -1),
          initialStep: 1 / max(norm, 1))
      }
      guard let step = accepted else { return result(x, norm, k, .lineSearchFailed) }
      x = step.x
      value = step.value
      gradient = step.gradient
    }
    let norm = gradient.norm
    return result(
      x, norm, maxIterations, norm <= tolerance ? .converged : (norm.isFinite ? .maxIterationsReached : .nonFinite))
  }

  /// An approximate solution of `∇²f·p = −∇f` by CG (see the type's documentation).
  func newtonDirection<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, at x: Vector<Double>, gradient: Vector<Double>,
    gradientNorm: Double, limit: Int
  ) -> Vector<Double> {
    let target = min(0.5, gradientNorm.squareRoot()) * gradientNorm
    var p = Vector<Double>.zeros(x.count)
    var r = gradient.scaled(by: -1)
    var d = r
    var rr = r.innerProduct(with: r)
    for j in 0..<limit {
      let hd = objective.hessianVectorProduct(at: x, θ, along: d)
      let curvature = d.innerProduct(with: hd)
      guard curvature > 1e-14 * d.innerProduct(with: d), curvature.isFinite else {
        return j == 0 ? gradient.scaled(by: -1) : p
      }
      let alpha = rr / curvature
      p.addScaled(alpha, d)
      r.addScaled(-alpha, hd)
      let rrNext = r.innerProduct(with: r)
      if rrNext.squareRoot() <= target { break }
      var nextD = r
      nextD.addScaled(rrNext / rr, d)
      d = nextD
      rr = rrNext
    }
    return p
  }
}
