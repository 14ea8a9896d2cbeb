public import ImplicitCore

/// Limited-memory BFGS with a backtracking line search: quasi-Newton minimisation that needs
/// gradients only (no Hessian products), for smooth objectives.
///
/// Keeps the last `memory` pairs `(s, y) = (x⁺ − x, ∇f(x⁺) − ∇f(x))` with `sᵀy > 0` and applies the
/// inverse-Hessian approximation by the two-loop recursion, scaled by `sᵀy/yᵀy`. When the
/// quasi-Newton direction admits no step, the memory is cleared and steepest descent tried.
/// Stops when `‖∇ₓf‖ ≤ tolerance`; reports the status otherwise.
public struct LBFGS: Minimizer, Sendable {
  /// Pairs kept.
  public var memory: Int
  /// Stop when `‖∇ₓf‖ ≤ tolerance`.
  public var tolerance: Double
  /// Iterations allowed.
  public var maxIterations: Int

  public init(memory: Int = 10, tolerance: Double = 1e-8, maxIterations: Int = 2_000) {
    self.memory = max(memory, 1)
    self.tolerance = tolerance
    self.maxIterations = maxIterations
  }

  /// Minimises `f(·, θ)` from `initial`; the result's `residual` is `‖∇ₓf‖` at the returned
  /// point. Throws ``ImplicitError`` for NaN input or shapes the objective rejects.
  public func solve<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, from initial: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    func result(_ x: Vector<Double>, _ norm: Double, _ k: Int, _ status: SolverStatus) -> SolverResult<Vector<Double>> {
      SolverResult(solution: x, status: status, iterations: k, residual: norm, tolerance: tolerance, solver: "l-bfgs")
    }
    try validateInput(objective, initial, θ, tolerance: tolerance)
    var x = initial
    var (value, gradient) = objective.valueWithSolutionGradient(at: x, θ)
    var history = [(s: Vector<Double>, y: Vector<Double>, rho: Double)]()
    for k in 0..<max(maxIterations, 0) {
      let norm = gradient.norm
      guard value.isFinite, norm.isFinite else { return result(x, norm, k, .nonFinite) }
      if norm <= tolerance { return result(x, norm, k, .converged) }
      var accepted: LineSearchStep?
      if !history.isEmpty {
        accepted = backtrackingLineSearch(
          objective, θ, from: x, value: value, gradient: gradient, along: direction(gradient, history))
      }
      if accepted == nil {
        history.removeAll()
        accepted = backtrackingLineSearch(
          objective, θ, from: x, value: value, gradient: gradient, along: gradient.scaled(by: -1),
          initialStep: 1 / max(norm, 1))
      }
      guard let step = accepted else { return result(x, norm, k, .lineSearchFailed) }
      var s = step.x
      s.addScaled(-1, x)
      var y = step.gradient
      y.addScaled(-1, gradient)
      let sy = s.innerProduct(with: y)
      if sy > 1e-12 * s.norm * y.norm {
        history.append((s, y, 1 / sy))
        if history.count > memory { history.removeFirst() }
      }
      x = step.x
      value = step.value
      gradient = step.gradient
    }
    let norm = gradient.norm
    return result(
      x, norm, maxIterations, norm <= tolerance ? .converged : (norm.isFinite ? .maxIterationsReached : .nonFinite))
  }

  /// `−H·g` with `H` the L-BFGS inverse-Hessian approximation (two-loop recursion).
  func direction(_ g: Vector<Double>, _ history: [(s: Vector<Double>, y: Vector<Double>, rho: Double)]) -> Vector<
    Double
  > {
    var q = g
    var alphas = [Double](repeating: 0, count: history.count)
    for i in stride(from: history.count - 1, through: 0, by: -1) {
      alphas[i] = history[i].rho * history[i].s.innerProduct(with: q)
      q.addScaled(-alphas[i], history[i].y)
    }
    let last = history[history.count - 1]
    var r = q.scaled(by: 1 / (last.rho * last.y.innerProduct(with: last.y)))
    for i in 0..<history.count {
      let beta = history[i].rho * history[i].y.innerProduct(with: r)
      r.addScaled(alphas[i] - beta, history[i].s)
    }
    return r.scaled(by: -1)
  }
}
