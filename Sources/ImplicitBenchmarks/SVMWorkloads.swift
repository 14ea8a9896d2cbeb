import Dispatch
import Foundation
import ImplicitCore

extension BenchmarkSuites {
  /// `svm-md-pP`, `svm-pg-pP`, `svm-bcd-pP` for `P ∈ {100, 1000, 5000}` (`--quick`: `P = 100`):
  /// the multiclass SVM dual (Crammer–Singer), `n = 500`, `k = 5`, `θ = 1`, outer loss the
  /// validation cross-entropy of `W = Xᵀ(Y − β*)/θ`. See ``SVMWorkload``.
  static var svmWorkloads: [Workload] {
    [100, 1000, 5000].flatMap { p in
      SVMSolverKind.allCases.map { kind in
        Workload(
          id: "svm-\(kind.rawValue)-p\(p)", iterations: kind.iterations, quickIterations: kind.quickIterations,
          inQuickRun: p == 100
        ) { iterations, runs in
          try SVMWorkload(kind: kind, features: p).run(iterations: iterations, runs: runs)
        }
      }
    }
  }
}

/// The solver of an SVM workload.
enum SVMSolverKind: String, CaseIterable, Sendable {
  /// Mirror descent, KL geometry (row softmax), step `1/L`.
  case md
  /// Accelerated projected gradient, row-wise simplex projection, step `1/L`.
  case pg
  /// Block coordinate descent, one block per row of `β`; an iteration is a full sweep.
  case bcd

  var iterations: Int { self == .bcd ? 50 : 500 }
  var quickIterations: Int { self == .bcd ? 10 : 100 }

  var geometry: SVMConditionGeometry { self == .md ? .mirrorDescent : .projectedGradient }

  /// The implicit linear solve for the non-symmetric `A` of these conditions. Measured here:
  /// BiCGSTAB needs the least time at tolerance 1e-5 (projected conditions: ~31 iterations of
  /// two products vs GMRES(50)'s ~50 products plus its Gram–Schmidt work; mirror descent:
  /// ~65 iterations with the block-Jacobi preconditioner, ~140 without). A BiCGSTAB breakdown
  /// falls back to GMRES(50) (reported in the notes).
  static let linearSolver: any LinearSolver = BiCGSTAB()
  static let fallbackLinearSolver: any LinearSolver = GMRES(restart: 50)

  /// Whether the implicit solve uses the block-Jacobi preconditioner
  /// (``SVMFastCondition/blockJacobiPreconditioner()``): for mirror descent, whose diagonal
  /// blocks (`1/β` scaling) dominate; it does not help the projected conditions.
  var usesPreconditioner: Bool { self == .md }
}

/// One SVM workload: data, solver, and the three timed computations.
///
/// - forward: the solver alone (`K = XXᵀ`, which does not depend on `θ`, is computed once per
///   workload when the products use it; its time is in the notes);
/// - implicit: forward + ``ImplicitDifferentiator/vjp(_:at:_:)`` on ``SVMFastCondition`` (one
///   linear solve) + the outer gradient, at JAXopt's tolerance 1e-5 and at the library's
///   default 1e-10;
/// - unrolled: forward with a tape + the hand-written reverse pass of ``SVMUnrolled``.
struct SVMWorkload {
  static let samples = 500
  static let classes = 5
  static let theta = 1.0

  let kind: SVMSolverKind
  let features: Int

  /// What one run of a computation produced.
  struct Outcome {
    var beta: [Double] = []
    var hypergradient = Double.nan
    var summary: LinearSolveSummary?
    var residual = Double.nan
    var activeRows = 0
    var fellBack = false
  }

  /// Sets the instance up, times the three computations, runs the checks (outside the
  /// timings) and reports.
  func run(iterations: Int, runs: Int) throws -> WorkloadResult {
    let problem = SVMBenchmarkProblem(
      samples: Self.samples, features: features, classes: Self.classes, theta: Self.theta,
      seed: 0x5EED_0000 &+ UInt64(features))
    let theta = problem.theta
    // Step sizes: constants of the solver, computed once from θ (not differentiated).
    let eta = theta / problem.squaredSpectralNorm
    let blockEta = problem.rowSquaredNorms.map { theta / $0 }

    func solve(_ op: SVMGramOperator, _ theta: Double) -> [Double] {
      switch kind {
      case .md:
        return SVMSolvers.mirrorDescent(problem, op, theta: theta, stepSize: eta, iterations: iterations, record: false)
          .beta
      case .pg:
        return SVMSolvers.acceleratedProjectedGradient(
          problem, op, theta: theta, stepSize: eta, iterations: iterations, record: false
        ).beta
      case .bcd:
        return SVMSolvers.blockCoordinateDescent(
          problem, op, theta: theta, stepSizes: blockEta, sweeps: iterations, record: false
        )
        .beta
      }
    }

    // K = XXᵀ does not depend on θ: computed once per workload, like data handed to a solver
    // (its cost is reported in the notes, not in the three timings).
    var op = problem.makeOperator()
    let kernelSeconds = problem.usesKernel ? svmAlternatingMedians(runs: runs, [{ op = problem.makeOperator() }])[0] : 0

    func implicit(tolerance: Double) throws -> Outcome {
      let beta = solve(op, theta)
      let condition = SVMFastCondition(problem, op, geometry: kind.geometry, at: beta, theta: theta)
      let preconditioner = kind.usesPreconditioner ? condition.blockJacobiPreconditioner() : nil
      let outer = problem.outerLoss(beta, theta: theta)
      func vjp(_ method: any LinearSolver) throws -> Derivative<Double> {
        var method = method
        method.tolerance.relative = tolerance
        return try ImplicitDifferentiator(
          condition, options: ImplicitOptions(linearSolver: method),
          preconditioner: preconditioner
        ).vjp(Vector(outer.beta), at: Vector(beta), theta)
      }
      var fellBack = false
      let derivative: Derivative<Double>
      do {
        derivative = try vjp(SVMSolverKind.linearSolver)
      } catch ImplicitError.linearSolveFailed {
        derivative = try vjp(SVMSolverKind.fallbackLinearSolver)
        fellBack = true
      }
      return Outcome(
        beta: beta, hypergradient: outer.theta + derivative.value, summary: derivative.diagnostics.linearSolve,
        residual: derivative.diagnostics.residualNorm, activeRows: condition.activeProducts?.count ?? problem.samples,
        fellBack: fellBack)
    }

    func unrolled() -> Outcome {
      let beta: [Double]
      let adjoint: (([Double]) -> Double)
      switch kind {
      case .md:
        let (b, tape) = SVMSolvers.mirrorDescent(
          problem, op, theta: theta, stepSize: eta, iterations: iterations, record: true)
        beta = b
        adjoint = { SVMUnrolled.mirrorDescent(problem, op, tape: tape!, theta: theta, stepSize: eta, cotangent: $0) }
      case .pg:
        let (b, tape) = SVMSolvers.acceleratedProjectedGradient(
          problem, op, theta: theta, stepSize: eta, iterations: iterations, record: true)
        beta = b
        adjoint = {
          SVMUnrolled.acceleratedProjectedGradient(problem, op, tape: tape!, theta: theta, stepSize: eta, cotangent: $0)
        }
      case .bcd:
        let (b, tape) = SVMSolvers.blockCoordinateDescent(
          problem, op, theta: theta, stepSizes: blockEta, sweeps: iterations, record: true)
        beta = b
        adjoint = {
          SVMUnrolled.blockCoordinateDescent(problem, op, tape: tape!, theta: theta, stepSizes: blockEta, cotangent: $0)
        }
      }
      let outer = problem.outerLoss(beta, theta: theta)
      return Outcome(beta: beta, hypergradient: outer.theta + adjoint(outer.beta))
    }

    // Timed in alternation (forward, implicit at 1e-5, implicit at 1e-10, unrolled), one
    // warm-up round, median of `runs`.
    var forwardBeta = [Double]()
    var atJAXoptTolerance = Outcome(), atDefaultTolerance = Outcome(), throughIterations = Outcome()
    var failure: (any Error)?
    let times = svmAlternatingMedians(
      runs: runs,
      [
        { forwardBeta = solve(op, theta) },
        {
          do { atJAXoptTolerance = try implicit(tolerance: 1e-5) } catch { failure = error }
        },
        {
          do { atDefaultTolerance = try implicit(tolerance: AutomaticLinearSolver().tolerance.relative) } catch {
            failure = error
          }
        },
        { throughIterations = unrolled() },
      ])
    if let failure { throw failure }
    blackHole(forwardBeta)

    // Checks, outside the timings.
    // h = 1e-6: larger steps cross kinks of the projections (a support changes between θ ± h).
    let fdStep = 1e-6 * theta
    let lossPlus = problem.outerLoss(solve(op, theta + fdStep), theta: theta + fdStep).loss
    let lossMinus = problem.outerLoss(solve(op, theta - fdStep), theta: theta - fdStep).loss
    let finiteDifference = (lossPlus - lossMinus) / (2 * fdStep)
    let family = try SVMFamilyCheck.run(kind)
    var rng = SeededGenerator(seed: 17)
    let probe = rng.normalVector(problem.dimension).scalars
    let productCheck = svmRelative(op.apply(probe), problem.plainKernelProduct(probe))

    var notes = [String]()
    let jaxopt = JAXoptFigures.table["svm-\(kind.rawValue)-p\(features)"]
    notes.append(
      "data: n = \(Self.samples), k = \(Self.classes), P = \(features), X ~ N(0, 1/P), labels argmax(x·W_true + 0.5ε), validation set of the same size; θ = \(theta); "
        + "L = ‖X‖₂²/θ = \(svmFormat(problem.squaredSpectralNorm / theta)); "
        + (kind == .bcd ? "block steps 1/Lᵢ, Lᵢ = ‖xᵢ‖²/θ" : "step 1/L") + " (constants, not differentiated)")
    notes.append(
      problem.usesKernel
        ? "products with K = XXᵀ through the n×n kernel (n²k per product); K is computed once per workload (n²P/2 multiply-adds, \(svmFormat(kernelSeconds)) s), outside the three timings"
          + "; K·M vs plain loops X(XᵀM): relative difference \(svmFormat(productCheck))"
        : "products with K = XXᵀ through X (XᵀM then X·, 2nPk per product; cheaper than the n×n kernel when 2P < n)"
          + "; vs plain loops: relative difference \(svmFormat(productCheck))")
    let method =
      SVMSolverKind.linearSolver.description + (kind.usesPreconditioner ? " + block-Jacobi preconditioner" : "")
    if let s = atJAXoptTolerance.summary, let t = atDefaultTolerance.summary {
      let fallback =
        [atJAXoptTolerance, atDefaultTolerance].contains { $0.fellBack }
        ? " (BiCGSTAB broke down: fell back to \(SVMSolverKind.fallbackLinearSolver))" : ""
      notes.append(
        "implicit: ImplicitDifferentiator.vjp on SVMFastCondition (\(kind.geometry == .mirrorDescent ? "KL mirror-descent" : "projected-gradient") fixed point, η = 1 as JAXopt's optimality_fun), linear solve \(method)\(fallback): "
          + "tol 1e-5 → \(s.method) \(s.iterations) iterations (relative residual \(svmFormat(s.relativeResidual))); tol 1e-10 → \(t.method) \(t.iterations) iterations (\(svmFormat(t.relativeResidual))); "
          + "hypergradient at 1e-5 vs 1e-10: relative difference \(svmFormat(svmRelative(atJAXoptTolerance.hypergradient, atDefaultTolerance.hypergradient)))"
      )
    }
    if kind.geometry == .projectedGradient {
      let active = atJAXoptTolerance.activeRows
      notes.append(
        active < problem.samples
          ? "implicit products restricted to the \(active) of \(problem.samples) rows whose projection has ≥ 2 non-zeros (J = 0 on the others)"
          : "most rows have ≥ 2 non-zeros in their projection: full products")
    }
    let tapeMegabytes =
      Double(kind == .bcd ? 2 * iterations * problem.dimension : (iterations + 1) * problem.dimension) * 8 / 1e6
    notes.append(
      "unrolled: hand-written reverse pass over the stored iterates ("
        + (kind == .bcd
          ? "per row step O(nk) through the kernel or O(Pk) through X, like the forward sweep"
          : "one K-product per reverse step")
        + "; not Swift AD), tape \(svmFormat(tapeMegabytes)) MB; "
        + "vs central finite difference of the forward solver (h = \(svmFormat(fdStep))): relative difference \(svmFormat(svmRelative(throughIterations.hypergradient, finiteDifference)))"
        + (kind == .bcd && features == 5000 ? "; run here although JAXopt did not (~10 GB there)" : ""))
    notes.append(family.note)
    notes.append(
      "final_error = ‖F(β_T, θ)‖ of the condition (η = 1, JAXopt's error); implicit vs unrolled hypergradient differ by the solver's non-convergence"
        + (atJAXoptTolerance.residual > 0.1
          ? " — here ‖F‖ is large (too few iterations): the implicit system is ill-conditioned and its hypergradient is not meaningful at this point"
          : ""))
    if let jaxopt {
      notes.append(
        "vs JAXopt: implicit ×\(svmFormat(times[1] / jaxopt.implicit)) (target ≤ 0.5), forward ×\(svmFormat(times[0] / jaxopt.forward))"
          + (jaxopt.unrolled.map { ", unrolled ×\(svmFormat(times[3] / $0))" } ?? "")
          + (problem.usesKernel
            ? "; counting K in the implicit time: ×\(svmFormat((times[1] + kernelSeconds) / jaxopt.implicit))" : ""))
    }
    notes.append("implicit_s \(times[1] <= times[3] ? "≤" : ">") unrolled_s; timings indicative (shared machine)")

    return WorkloadResult(
      workload: "svm-\(kind.rawValue)-p\(features)", iterations: iterations, forwardSeconds: times[0],
      implicitSeconds: times[1], implicitDefaultToleranceSeconds: times[2], unrolledSeconds: times[3],
      finalError: atJAXoptTolerance.residual, hypergradientImplicit: atJAXoptTolerance.hypergradient,
      hypergradientUnrolled: throughIterations.hypergradient, notes: notes)
  }
}

/// Median wall times of several computations timed in alternation (one warm-up round, then
/// `runs` rounds), so that a noisy period of the machine affects them alike.
func svmAlternatingMedians(runs: Int, _ bodies: [() -> Void]) -> [Double] {
  for body in bodies { body() }
  var times = [[Double]](repeating: [], count: bodies.count)
  for _ in 0..<max(1, runs) {
    for (i, body) in bodies.enumerated() {
      let start = DispatchTime.now().uptimeNanoseconds
      body()
      times[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
  }
  return times.map { $0.sorted()[$0.count / 2] }
}

/// `|a − b| / |b|`.
func svmRelative(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }

/// `‖a − b‖ / ‖b‖`.
func svmRelative(_ a: [Double], _ b: [Double]) -> Double {
  var d = 0.0, n = 0.0
  for i in 0..<min(a.count, b.count) {
    d += (a[i] - b[i]) * (a[i] - b[i])
    n += b[i] * b[i]
  }
  return (d / max(n, 1e-300)).squareRoot()
}

func svmFormat(_ x: Double) -> String { String(format: "%.3g", x) }
