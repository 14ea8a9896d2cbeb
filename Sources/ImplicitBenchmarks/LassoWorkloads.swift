import ImplicitCore

extension BenchmarkSuites {
  /// `lasso-p2000` (`n = 500`, `P = 2000`, 500 FISTA iterations; `--quick`: `P = 500`, 100
  /// iterations, reported as `lasso-p500`): hypergradient of the validation MSE with respect to λ
  /// by implicit differentiation on the support and by unrolling.
  static var lassoWorkloads: [Workload] {
    [
      Workload(id: "lasso-p2000", iterations: 500, quickIterations: 100, inQuickRun: true) { iterations, runs in
        // The workload closure receives no quick flag: the quick iteration count identifies it.
        try runLassoWorkload(features: iterations == 100 ? 500 : 2000, iterations: iterations, runs: runs)
      }
    ]
  }
}

/// The implicit hypergradient dL/dλ: FISTA, the outer gradient, then `ImplicitDifferentiator.vjp`
/// on ``LassoSupportCondition`` (CG with `solver`).
func lassoImplicitHypergradient(
  _ problem: LassoProblem, iterations: Int, solver: any LinearSolver
) throws -> (hypergradient: Double, diagnostics: DerivativeDiagnostics?, support: Int) {
  let w = problem.solve(lambda: problem.lambda, iterations: iterations)
  let outer = problem.outerLossAndGradient(at: w)
  let support = w.indices.filter { w[$0] != 0 }
  guard !support.isEmpty else { return (0, nil, 0) }  // w* = 0 near λ: locally constant
  let condition = LassoSupportCondition(problem: problem, support: support, signs: support.map { w[$0] > 0 ? 1 : -1 })
  let differentiator = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: solver))
  let d = try differentiator.vjp(
    Vector(support.map { outer.gradient[$0] }), at: Vector(support.map { w[$0] }), problem.lambda)
  return (d.value, d.diagnostics, support.count)
}

func runLassoWorkload(features p: Int, iterations: Int, runs: Int) throws -> WorkloadResult {
  let id = "lasso-p\(p)"
  let problem = LassoProblem(samples: 500, features: p, seed: 4242 + UInt64(p))
  let jaxoptTolerance = ConjugateGradient(relativeTolerance: 1e-5)
  let defaultTolerance = ConjugateGradient()

  var implicitResult: (hypergradient: Double, diagnostics: DerivativeDiagnostics?, support: Int)?
  var tightResult: (hypergradient: Double, diagnostics: DerivativeDiagnostics?, support: Int)?
  var unrolledResult: (hypergradient: Double, solution: [Double], outerLoss: Double)?
  let times = try smoothAlternatingMedianTimes(
    runs: runs,
    [
      { blackHole(problem.solve(lambda: problem.lambda, iterations: iterations)) },
      { implicitResult = try lassoImplicitHypergradient(problem, iterations: iterations, solver: jaxoptTolerance) },
      { tightResult = try lassoImplicitHypergradient(problem, iterations: iterations, solver: defaultTolerance) },
      { unrolledResult = problem.unrolledHypergradient(lambda: problem.lambda, iterations: iterations) },
    ])
  guard let implicit = implicitResult, let tight = tightResult, let unrolled = unrolledResult else {
    throw ImplicitError.invalidArgument("\(id): a timed body did not run")
  }

  // JAXopt's formulation for comparison: the full p-dimensional fixed point, normal-equation CG.
  let w = unrolled.solution
  var fullFixedPoint: (value: Double, summary: LinearSolveSummary)?
  let fullTime = try smoothAlternatingMedianTimes(
    runs: 1,
    [
      {
        let w = problem.solve(lambda: problem.lambda, iterations: iterations)
        let outer = problem.outerLossAndGradient(at: w)
        let d = try ImplicitDifferentiator(
          LassoProximalGradientCondition(problem),
          options: ImplicitOptions(
            linearSolver: NormalConjugateGradient(relativeTolerance: 1e-5),
            policy: DerivativePolicy(linearSolveFailure: .flag))
        ).vjp(Vector(outer.gradient), at: Vector(w), problem.lambda)
        fullFixedPoint = (d.value, d.diagnostics.linearSolve)
      }
    ])[0]

  // Untimed checks: optimality, strict complementarity, central finite difference in λ.
  let finalError = problem.optimalityError(at: w, lambda: problem.lambda)
  let gradient = problem.smoothGradient(at: w)
  let offSupport = w.indices.filter { w[$0] == 0 }.map { abs(gradient[$0]) }.max() ?? 0
  let h = 1e-4 * problem.lambda
  func outer(_ λ: Double) -> Double {
    problem.outerLossAndGradient(at: problem.solve(lambda: λ, iterations: iterations)).value
  }
  let finiteDifference = (outer(problem.lambda + h) - outer(problem.lambda - h)) / (2 * h)
  let throughput = smoothKernelThroughput(problem.train)
  func relative(_ a: Double) -> String { smoothFormat(abs(a - unrolled.hypergradient) / abs(unrolled.hypergradient)) }
  let cg = implicit.diagnostics?.linearSolve, cgTight = tight.diagnostics?.linearSolve

  return WorkloadResult(
    workload: id, iterations: iterations, forwardSeconds: times[0], implicitSeconds: times[1],
    implicitDefaultToleranceSeconds: times[2], unrolledSeconds: times[3], finalError: finalError,
    hypergradientImplicit: implicit.hypergradient, hypergradientUnrolled: unrolled.hypergradient,
    notes: [
      "n = 500 (train and validation), p = \(p), λ = 0.1·λ_max = \(smoothFormat(problem.lambda)); outer = validation MSE; hypergradient = dL/dλ (a scalar)",
      "solver: FISTA from 0, step 1/L = \(smoothFormat(problem.stepSize)) (L by power iteration at setup, untimed), \(iterations) iterations, no early stopping; final ‖prox-gradient mapping‖ = \(smoothFormat(finalError)); support |S| = \(implicit.support); strict complementarity max_{j∉S}|∇ⱼf|/λ = \(smoothFormat(offSupport / problem.lambda))",
      "implicit: ImplicitDifferentiator.vjp on the stationarity condition restricted to the support, X_Sᵀ(X_S w_S − y)/n + λ·sign(w_S) (A = X_SᵀX_S/n SPD → CG; X_S gathered inside the timed run); CG at tol 1e-5: \(cg.map { "\($0.iterations) iterations, relative residual \(smoothFormat($0.relativeResidual))" } ?? "empty support"); at the default tol 1e-10: \(cgTight.map { "\($0.iterations) iterations" } ?? "empty support")",
      "JAXopt's formulation for comparison (full p-dim proximal-gradient fixed point, non-symmetric A, normal-equation CG at tol 1e-5, one run): \(smoothFormat(fullTime)) s, dL/dλ = \(fullFixedPoint.map { smoothFormat($0.value, 8) } ?? "—") (\(fullFixedPoint.map { $0.summary.description } ?? "—"))",
      "relative difference to unrolled: implicit \(relative(implicit.hypergradient)) (tol 1e-5), \(relative(tight.hypergradient)) (tol 1e-10); full fixed point \(fullFixedPoint.map { relative($0.value) } ?? "—")",
      "finite-difference check (central, h = 1e-4·λ, re-solving): \(smoothFormat(finiteDifference, 8)) vs implicit \(smoothFormat(tight.hypergradient, 8)), unrolled \(smoothFormat(unrolled.hypergradient, 8))",
      "unrolled: hand-written reverse pass over the stored support patterns of the iterations (one fused Gram-vector pass per iteration), not Swift AD",
      "fused pass over X (\(smoothFormat(problem.train.matrixBytes / 1e6)) MB, one read per iteration): kernel \(smoothFormat(throughput.oneThread)) GB/s on one thread, \(smoothFormat(throughput.team)) GB/s on \(problem.train.team.size) threads; FISTA \(smoothFormat(problem.train.matrixBytes * Double(iterations) / times[0] / 1e9)) GB/s effective (\(smoothFormat(times[0] / Double(iterations) * 1e6)) µs per iteration)",
    ])
}
