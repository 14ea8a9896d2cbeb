import ImplicitCore

extension BenchmarkSuites {
  /// `ridge-pP` and `logistic-pP` (`n = 500`, `P ∈ {1000, 10000}`; `--quick`: `P = 1000`):
  /// accelerated gradient descent on `mean ℓ(Xw, y) + ½Σθⱼwⱼ²`, hypergradient of the validation
  /// loss with respect to `θ ∈ ℝᴾ` by implicit differentiation (CG on the stationarity condition)
  /// and by unrolling.
  static var smoothWorkloads: [Workload] {
    [(name: "ridge", loss: SmoothLossKind.squared), (name: "logistic", loss: .logistic)].flatMap { entry in
      [1000, 10000].map { p in
        Workload(id: "\(entry.name)-p\(p)", iterations: 300, quickIterations: 50, inQuickRun: p == 1000) {
          iterations, runs in
          try runSmoothWorkload(
            id: "\(entry.name)-p\(p)", loss: entry.loss, features: p, iterations: iterations, runs: runs)
        }
      }
    }
  }
}

/// The implicit hypergradient: forward solve, outer gradient, then `ImplicitDifferentiator.vjp`
/// on ``SmoothStationarityCondition`` with `solver`.
func smoothImplicitHypergradient(
  _ problem: SmoothProblem, iterations: Int, solver: any LinearSolver
) throws -> (hypergradient: [Double], diagnostics: DerivativeDiagnostics) {
  let w = problem.solve(theta: problem.theta, iterations: iterations)
  let outer = problem.outerLossAndGradient(at: w)
  let differentiator = ImplicitDifferentiator(
    SmoothStationarityCondition(problem), options: ImplicitOptions(linearSolver: solver))
  let d = try differentiator.vjp(Vector(outer.gradient), at: Vector(w), Vector(problem.theta))
  return (d.value.scalars, d.diagnostics)
}

func runSmoothWorkload(
  id: String, loss: SmoothLossKind, features p: Int, iterations: Int, runs: Int
) throws -> WorkloadResult {
  let problem = SmoothProblem(
    loss: loss, samples: 500, features: p, seed: 2024 + UInt64(p) + (loss == .squared ? 0 : 7))
  let jaxoptTolerance = ConjugateGradient(relativeTolerance: 1e-5)
  let defaultTolerance = ConjugateGradient()

  var implicitResult: (hypergradient: [Double], diagnostics: DerivativeDiagnostics)?
  var tightResult: (hypergradient: [Double], diagnostics: DerivativeDiagnostics)?
  var unrolledResult: (hypergradient: [Double], solution: [Double], outerLoss: Double)?
  let times = try smoothAlternatingMedianTimes(
    runs: runs,
    [
      { blackHole(problem.solve(theta: problem.theta, iterations: iterations)) },
      { implicitResult = try smoothImplicitHypergradient(problem, iterations: iterations, solver: jaxoptTolerance) },
      { tightResult = try smoothImplicitHypergradient(problem, iterations: iterations, solver: defaultTolerance) },
      { unrolledResult = problem.unrolledHypergradient(theta: problem.theta, iterations: iterations) },
    ])
  guard let implicit = implicitResult, let tight = tightResult, let unrolled = unrolledResult else {
    throw ImplicitError.invalidArgument("\(id): a timed body did not run")
  }

  // Untimed checks: the solver's optimality error, and a central finite difference of the
  // validation loss along a random direction of θ (re-solving), against both hypergradients.
  let w = unrolled.solution
  let finalError = smoothNorm(problem.gradient(at: w, theta: problem.theta).gradient)
  var g = SeededGenerator(seed: 99)
  var direction = (0..<p).map { _ in g.normal() }
  let directionNorm = smoothNorm(direction)
  direction = direction.map { $0 / directionNorm }
  let h = 1e-4
  func outer(_ step: Double) -> Double {
    let θ = zip(problem.theta, direction).map { $0 + step * $1 }
    return problem.outerLossAndGradient(at: problem.solve(theta: θ, iterations: iterations)).value
  }
  let finiteDifference = (outer(h) - outer(-h)) / (2 * h)
  func directional(_ v: [Double]) -> Double { zip(v, direction).reduce(0) { $0 + $1.0 * $1.1 } }
  let throughput = smoothKernelThroughput(problem.train)
  let passes = Double(iterations)

  let summary = tight.diagnostics.linearSolve
  let jaxoptSummary = implicit.diagnostics.linearSolve
  return WorkloadResult(
    workload: id, iterations: iterations, forwardSeconds: times[0], implicitSeconds: times[1],
    implicitDefaultToleranceSeconds: times[2], unrolledSeconds: times[3], finalError: finalError,
    hypergradientImplicit: smoothNorm(implicit.hypergradient),
    hypergradientUnrolled: smoothNorm(unrolled.hypergradient),
    notes: [
      "n = 500 (train and validation), p = \(p), \(loss == .squared ? "ridge, outer = validation MSE" : "logistic, outer = validation mean logistic loss"); θ ∈ ℝ^\(p) log-uniform in [0.3, 1]",
      "solver: accelerated gradient descent (FISTA momentum) from 0, step 1/L = \(smoothFormat(problem.stepSize)) (L by power iteration at setup, untimed), \(iterations) iterations, no early stopping; final ‖∇f‖ = \(smoothFormat(finalError))",
      "hypergradient_implicit / _unrolled are Euclidean norms of d(outer)/dθ ∈ ℝ^\(p); vector relative difference ‖g_implicit − g_unrolled‖/‖g_unrolled‖ = \(smoothFormat(smoothRelativeDifference(implicit.hypergradient, unrolled.hypergradient))) (tol 1e-5), \(smoothFormat(smoothRelativeDifference(tight.hypergradient, unrolled.hypergradient))) (tol 1e-10)",
      "finite-difference check (central, h = 1e-4, random unit direction of θ, re-solving): \(smoothFormat(finiteDifference, 8)) vs implicit \(smoothFormat(directional(implicit.hypergradient), 8)) (tol 1e-5), \(smoothFormat(directional(tight.hypergradient), 8)) (tol 1e-10), unrolled \(smoothFormat(directional(unrolled.hypergradient), 8)); unrolling and finite differences differentiate the \(iterations)-step solver, implicit differentiation the exact solution map: they agree as far as the solver has converged (final ‖∇f‖ above)",
      "implicit: ImplicitDifferentiator.vjp on the stationarity condition ∇f(w) + θ∘w (hand-written fused Hessian-vector products, Bᵀu = w∘u); CG at tol 1e-5: \(jaxoptSummary.iterations) iterations, relative residual \(smoothFormat(jaxoptSummary.relativeResidual)); at the default tol 1e-10: \(summary.iterations) iterations, relative residual \(smoothFormat(summary.relativeResidual))",
      "timings: medians of \(runs) runs after one warm-up, the four measurements taken in alternation",
      "unrolled: hand-written reverse pass over the stored iterates z_k and margins ⟨xᵢ, z_k⟩ (one fused Hessian-vector pass per iteration), not Swift AD",
      "fused pass over X (\(smoothFormat(problem.train.matrixBytes / 1e6)) MB, one read per iteration): kernel \(smoothFormat(throughput.oneThread)) GB/s on one thread, \(smoothFormat(throughput.team)) GB/s on \(problem.train.team.size) threads; forward solver \(smoothFormat(problem.train.matrixBytes * passes / times[0] / 1e9)) GB/s effective (\(smoothFormat(times[0] / passes * 1e6)) µs per iteration)",
    ])
}
