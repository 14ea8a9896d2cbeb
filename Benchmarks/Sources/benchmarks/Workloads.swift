import Foundation
import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitStationarity
import _Differentiation

/// JAXopt's implicit linear solve: relative tolerance 1e-5, CG where `A` is SPD, else CG on the
/// normal equations.
let jaxoptTolerance = 1e-5

/// What one hypergradient run returns besides its value: the linear solve's iterations.
struct Hypergradient {
  var value: [Double]
  var linearIterations: Int
  var linearMethod: String
  /// Whether the linear solve met its tolerance (true residual).
  var converged: Bool
  /// The derivative's `isReliable`: `false` when a solve stopped short or the certificate's
  /// error bound is above the policy's threshold (e.g. at an unconverged forward solution).
  var reliable: Bool
  /// The certificate's relative error bound.
  var relativeErrorEstimate: Double
}

/// The three ways of getting the workload's output, as a user writes them with the library.
struct WorkloadRun {
  /// The solver alone; returns the solution and the solver's final optimality error.
  var forward: () throws -> (solution: Vector<Double>, error: Double)
  /// Forward solve + implicit linear solve (with the given options) + outer gradient.
  var implicit: (_ options: ImplicitOptions) throws -> Hypergradient
  /// Swift AD through the library's own solver (`nil`: the library has no unrolled mode for it).
  var unrolled: (() throws -> [Double])?
  /// Why `unrolled` is `nil`.
  var unrolledUnavailable: String?
  /// The hypergradient at the same forward iterate with a tight (1e-12) or dense linear solve.
  var reference: () throws -> Hypergradient
  /// Which entry of θ the printed scalar hypergradient is (`nil`: the norm of the whole vector).
  var reportedEntry: Int?
  /// Fields added to the workload's JSON record (e.g. the sparse workloads' setup time and bytes).
  var extra: [String: Any] = [:]
}

/// A workload of `benchmarks.md`.
struct Workload {
  var id: String
  var iterations: Int
  var quickIterations: Int
  var inQuickRun: Bool
  /// Only in `--quick` (the quick size of a workload whose full size is another id).
  var quickOnly = false
  /// Bytes that one solver iteration, and one iteration of the implicit linear solve, must stream
  /// from memory at least (one pass over the data each product needs), and the outer gradient.
  var bytesPerIteration: Double
  var bytesPerLinearIteration: Double
  var bytesOuter: Double
  /// Why these are the bytes.
  var bytesNote: String
  /// The data one iteration streams (`X`, or the Gram matrix): whether it fits in the last-level
  /// cache decides which measured bandwidth the floor uses.
  var workingSetBytes: Double
  /// The arrays of the workload (for `--export-data`), with their shapes, and scalar settings.
  var arrays: () -> [(name: String, values: [Double], shape: [Int])]
  var make: (_ iterations: Int) -> WorkloadRun
}

/// `‖a − b‖/‖b‖`.
func relativeDifference(_ a: [Double], _ b: [Double]) -> Double {
  var d = 0.0, r = 0.0
  for i in a.indices {
    d += (a[i] - b[i]) * (a[i] - b[i])
    r += b[i] * b[i]
  }
  return (d / max(r, 1e-300)).squareRoot()
}

/// Diagnostics of a derivative as a ``Hypergradient``.
func hypergradient(_ value: [Double], _ d: DerivativeDiagnostics) -> Hypergradient {
  Hypergradient(
    value: value, linearIterations: d.linearSolve.iterations, linearMethod: d.linearSolve.method,
    converged: d.linearSolve.status == .converged, reliable: d.isReliable,
    relativeErrorEstimate: d.relativeErrorEstimate)
}

// MARK: - Ridge and logistic regression: accelerated gradient descent on a stationarity condition

/// `ridge-pP` and `logistic-pP`: `f(w, θ) = mean ℓ(⟨xᵢ, w⟩, yᵢ) + ½Σθⱼwⱼ²`, accelerated gradient
/// descent with step `1/L`, the stationarity condition `∇ₓf = 0` (SPD Hessian: CG), outer loss
/// the validation loss.
func smoothWorkload(logistic: Bool, features p: Int, inQuickRun: Bool) -> Workload {
  let n = 500
  let name = logistic ? "logistic" : "ridge"
  let bytes = Double(n * p * 8)
  var cached: RegressionData?
  func data() -> RegressionData {
    if let d = cached { return d }
    let d = RegressionData.smooth(logistic: logistic, samples: n, features: p)
    cached = d
    return d
  }
  return Workload(
    id: "\(name)-p\(p)", iterations: 300, quickIterations: 50, inQuickRun: inQuickRun,
    bytesPerIteration: bytes, bytesPerLinearIteration: bytes, bytesOuter: bytes,
    bytesNote: "one pass over X per gradient (Xᵀ(ℓ'(Xw)) fused row by row) and per Hessian-vector product",
    workingSetBytes: bytes,
    arrays: {
      let d = data()
      return [
        ("X", d.X, [n, p]), ("y", d.y, [n]), ("X_val", d.validationX, [n, p]), ("y_val", d.validationY, [n]),
        ("theta", d.theta, [p]),
      ]
    },
    make: { iterations in
      let d = data()
      let θ = Vector(d.theta)
      let x0 = Vector<Double>.zeros(p)
      // ½·mean((Xw − y)²) is RidgeRegression's ½‖Aw − b‖² with A = X/√n, b = y/√n.
      let scale = 1 / Double(n).squareRoot()
      let A = Matrix(rows: n, columns: p, scalars: logistic ? d.X : d.X.map { $0 * scale })
      let b = Vector(logistic ? d.y : d.y.map { $0 * scale })
      let Xv = Matrix(rows: n, columns: p, scalars: d.validationX)
      let yv = Vector(d.validationY)
      // The step 1/L comes from the objective (‖A‖₂² by Lanczos, inside every timed call: the
      // objective is built there).
      let solver = GradientDescent.accelerated(mode: .fixedIterations(iterations))

      @differentiable(reverse)
      func validationMSE(_ w: Vector<Double>) -> Double { 0.5 * (Xv * w - yv).squaredNorm() / Double(n) }

      func run<F: ParametricObjective>(
        _ objective: @escaping () throws -> F, outer: @escaping @differentiable(reverse) (Vector<Double>) -> Double
      ) -> WorkloadRun {
        func forward() throws -> (solution: Vector<Double>, error: Double) {
          let result = try solver.solve(try objective(), θ, from: x0)
          return (try result.converged(), result.residual)
        }
        func implicit(_ options: ImplicitOptions, at w: Vector<Double>? = nil) throws -> Hypergradient {
          let f = try objective()
          let w = try w ?? solver.solve(f, θ, from: x0).converged()
          let condition = StationarityCondition(f, stronglyConvex: true)
          let derivative = try ImplicitDifferentiator(condition, options: options).vjp(
            gradient(at: w, of: outer), at: w, θ)
          return hypergradient(derivative.value.scalars, derivative.diagnostics)
        }
        return WorkloadRun(
          forward: forward, implicit: { try implicit($0) },
          unrolled: {
            let f = try objective()
            return gradient(at: θ) { θ in outer(solver.unrolled(f, θ, from: x0, iterations: iterations)) }.scalars
          },
          unrolledUnavailable: nil,
          reference: {
            try implicit(
              ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12)), at: try forward().solution)
          },
          reportedEntry: nil)
      }
      if logistic {
        let validation = try? BinaryLogisticRegression(features: Xv, labels: yv)
        return run({ try BinaryLogisticRegression(features: A, labels: b) }) { w in validation!(w, Vector([0])) }
      }
      return run({ try RidgeRegression(A: A, b: b) }, outer: validationMSE)
    })
}

// MARK: - Lasso: FISTA on a proximal-gradient condition

/// `lasso-pP`: `½·mean((Xw − y)²) + λ‖w‖₁` as `LeastSquares(A: X/√n)` with `θ = [b; λ]` and the
/// lasso prox; FISTA with step `1/L`; outer loss the validation MSE; the hypergradient is its λ entry.
func lassoWorkload(features p: Int, inQuickRun: Bool, quickOnly: Bool = false) -> Workload {
  let n = 500
  let bytes = Double(n * p * 8)
  var cached: RegressionData?
  func data() -> RegressionData {
    if let d = cached { return d }
    let d = RegressionData.lasso(samples: n, features: p)
    cached = d
    return d
  }
  return Workload(
    id: "lasso-p\(p)", iterations: 500, quickIterations: 100, inQuickRun: inQuickRun, quickOnly: quickOnly,
    bytesPerIteration: bytes, bytesPerLinearIteration: 2 * bytes, bytesOuter: bytes,
    bytesNote:
      "one pass over X per gradient; a CG iteration on the symmetric reformulation needs A·v and Aᵀ·u "
      + "(one pass each)",
    workingSetBytes: bytes,
    arrays: {
      let d = data()
      return [
        ("X", d.X, [n, p]), ("y", d.y, [n]), ("X_val", d.validationX, [n, p]), ("y_val", d.validationY, [n]),
        ("lambda", d.theta, [1]),
      ]
    },
    make: { iterations in
      let d = data()
      let scale = 1 / Double(n).squareRoot()
      let A = Matrix(rows: n, columns: p, scalars: d.X.map { $0 * scale })
      let b = Vector(d.y.map { $0 * scale })
      let λ = Vector(d.theta)
      let Xv = Matrix(rows: n, columns: p, scalars: d.validationX)
      let yv = Vector(d.validationY)
      let x0 = Vector<Double>.zeros(p)

      @differentiable(reverse)
      func validationMSE(_ w: Vector<Double>) -> Double { 0.5 * (Xv * w - yv).squaredNorm() / Double(n) }

      /// The condition and solver, built inside every timed call (the step needs ‖A‖₂²).
      func setUp() throws -> (ProximalGradientCondition<LeastSquares, LassoProximal>, FISTA, Vector<Double>) {
        let f = try LeastSquares(A: A)
        let η = 1 / f.gradientLipschitzConstant(b)
        let lasso = try ProximalGradientCondition(
          objective: f, prox: LassoProximal(), objectiveParameterCount: n, proxParameter: λ, stepSize: η)
        return (lasso, FISTA.fixedIterations(iterations, stepSize: η), lasso.packParameters(objective: b, prox: λ))
      }
      func forward() throws -> (solution: Vector<Double>, error: Double) {
        let (lasso, solver, θ) = try setUp()
        let result = try solver.solve(lasso, θ, from: x0)
        return (try result.converged(), result.residual)
      }
      func implicit(_ options: ImplicitOptions, at w: Vector<Double>? = nil) throws -> Hypergradient {
        let (lasso, solver, θ) = try setUp()
        let w = try w ?? solver.solve(lasso, θ, from: x0).converged()
        let derivative = try ImplicitDifferentiator(lasso, options: options)
          .vjp(gradient(at: w, of: validationMSE), at: w, θ)
        return hypergradient(derivative.value.scalars, derivative.diagnostics)
      }
      return WorkloadRun(
        forward: forward, implicit: { try implicit($0) },
        unrolled: {
          let (lasso, solver, θ) = try setUp()
          return gradient(at: θ) { θ in validationMSE(solver.unrolled(lasso, θ, from: x0)) }.scalars
        },
        unrolledUnavailable: nil,
        reference: { try implicit(ImplicitOptions(linearSolver: DenseLU()), at: try forward().solution) },
        reportedEntry: n)
    })
}

// MARK: - Multiclass SVM dual: mirror descent, projected gradient, block coordinate descent

/// The SVM solvers of `benchmarks.md`.
enum SVMMethod: String {
  case mirrorDescent = "md", projectedGradient = "pg", blockCoordinateDescent = "bcd"
}

/// `svm-{md,pg,bcd}-pP`: the Crammer–Singer dual `MulticlassSVMDual` with `θ = [l2reg]`, rows of β
/// on simplices; outer loss the validation cross-entropy of `W = Xᵀ(Y − β*)/θ`.
func svmWorkload(_ method: SVMMethod, features p: Int, data cache: SVMDataCache, inQuickRun: Bool) -> Workload {
  let (n, k) = (500, 5)
  // A product with K = XXᵀ reads X twice (Xᵀ·M, then X·(XᵀM)), or the n × n Gram matrix once.
  let product = Double(min(2 * n * p, n * n) * 8)
  return Workload(
    id: "svm-\(method.rawValue)-p\(p)", iterations: method == .blockCoordinateDescent ? 50 : 500,
    quickIterations: method == .blockCoordinateDescent ? 10 : 100, inQuickRun: inQuickRun,
    bytesPerIteration: product, bytesPerLinearIteration: product, bytesOuter: Double(2 * n * p * 8),
    bytesNote: "one product with XXᵀ per iteration/sweep (min of two passes over X and one over the n×n Gram); "
      + "one per linear iteration too (CG on the symmetric reformulation, GMRES)",
    workingSetBytes: Double(min(n * p, n * n) * 8),
    arrays: {
      let d = cache.data(p)
      return [
        ("X", d.X, [n, p]), ("Y", d.Y, [n, k]), ("X_val", d.validationX, [n, p]), ("Y_val", d.validationY, [n, k]),
        ("theta", [d.theta], [1]),
      ]
    },
    make: { iterations in
      let d = cache.data(p)
      let X = Matrix(rows: n, columns: p, scalars: d.X)
      let Y = Matrix(rows: n, columns: k, scalars: d.Y)
      let Xv = Matrix(rows: n, columns: p, scalars: d.validationX)
      let Yv = Matrix(rows: n, columns: k, scalars: d.validationY)
      let θ = Vector([d.theta])

      /// The hypergradient of `CE(W(β, θ))`: the direct part plus `(∂β*/∂θ)ᵀ ∇_β` by the implicit VJP.
      func outerHypergradient<C: OptimalityCondition>(
        _ svm: MulticlassSVMDual, _ condition: C, _ β: Vector<Double>, _ options: ImplicitOptions
      ) throws -> Hypergradient where C.Solution == Vector<Double>, C.Parameter == Vector<Double> {
        let (dβ, dθ) = gradient(at: β, θ) { β, θ in
          crossEntropy(svm.weights(β, θ.sum()), features: Xv, oneHot: Yv)
        }
        let derivative = try ImplicitDifferentiator(condition, options: options).vjp(dβ, at: β, θ)
        return hypergradient((derivative.value + dθ).scalars, derivative.diagnostics)
      }
      /// The unrolled hypergradient through a differentiable solver run.
      func unrolledHypergradient(
        _ svm: MulticlassSVMDual, _ solve: @escaping @differentiable(reverse) (Vector<Double>) -> Vector<Double>
      ) -> [Double] {
        gradient(at: θ) { θ in crossEntropy(svm.weights(solve(θ), θ.sum()), features: Xv, oneHot: Yv) }.scalars
      }

      /// The three runs of one SVM method: `condition` builds the method's condition from the
      /// objective and the step `1/L` (both built inside every timed call: the step needs ‖X‖₂²),
      /// `solve` runs the forward solver, `unroll` returns the unrolled hypergradient.
      func run<C: OptimalityCondition>(
        condition: @escaping (MulticlassSVMDual, Double) throws -> C,
        solve: @escaping (MulticlassSVMDual, C) throws -> SolverResult<Vector<Double>>,
        unroll: @escaping (MulticlassSVMDual, C) -> [Double]
      ) -> WorkloadRun where C.Solution == Vector<Double>, C.Parameter == Vector<Double> {
        func setUp() throws -> (MulticlassSVMDual, C) {
          let svm = try MulticlassSVMDual(X: X, Y: Y)
          return (svm, try condition(svm, 1 / svm.lipschitzConstant(θ[0])))
        }
        func forward() throws -> (solution: Vector<Double>, error: Double) {
          let (svm, condition) = try setUp()
          let result = try solve(svm, condition)
          return (try result.converged(), result.residual)
        }
        func implicit(_ options: ImplicitOptions, at β: Vector<Double>? = nil) throws -> Hypergradient {
          let (svm, condition) = try setUp()
          let β = try β ?? solve(svm, condition).converged()
          return try outerHypergradient(svm, condition, β, options)
        }
        return WorkloadRun(
          forward: forward, implicit: { try implicit($0) },
          unrolled: {
            let (svm, condition) = try setUp()
            return unroll(svm, condition)
          },
          unrolledUnavailable: nil,
          reference: { try implicit(ImplicitOptions(linearSolver: DenseLU()), at: try forward().solution) },
          reportedEntry: 0)
      }

      switch method {
      case .projectedGradient:
        return run(
          condition: { svm, η in
            try ProximalGradientCondition(
              objective: svm, projection: RowSimplexProjection(columns: k), objectiveParameterCount: 1,
              projectionParameter: Vector([]), stepSize: η)
          },
          solve: { svm, condition in
            try FISTA.fixedIterations(iterations, stepSize: condition.stepSize)
              .solve(condition, θ, from: svm.uniformStart)
          },
          unroll: { svm, condition in
            let solver = FISTA.fixedIterations(iterations, stepSize: condition.stepSize)
            return unrolledHypergradient(svm) { θ in solver.unrolled(condition, θ, from: svm.uniformStart) }
          })
      case .mirrorDescent:
        return run(
          condition: { svm, η in
            try MirrorDescentCondition(objective: svm, mirrorMap: KLRowSimplexMirrorMap(columns: k), stepSize: η)
          },
          solve: { svm, condition in
            try MirrorDescent(stepSize: condition.stepSize, fixedIterations: iterations)
              .solve(condition, θ, from: svm.uniformStart)
          },
          unroll: { svm, condition in
            let solver = MirrorDescent(stepSize: condition.stepSize, fixedIterations: iterations)
            return unrolledHypergradient(svm) { θ in solver.unrolled(condition, θ, from: svm.uniformStart) }
          })
      case .blockCoordinateDescent:
        let solver = BlockCoordinateDescent(fixedSweeps: iterations)
        return run(
          condition: { svm, η in
            try BlockCoordinateDescentCondition(
              objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
              blocks: BlockPartition(blockSize: k, dimension: n * k), objectiveParameterCount: 1, stepSize: η)
          },
          solve: { svm, condition in
            try solver.solve(condition, θ, from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
          },
          unroll: { svm, condition in
            let gradients = MulticlassSVMDualBlockGradients(svm)
            return unrolledHypergradient(svm) { θ in
              solver.unrolled(condition, θ, from: svm.uniformStart, gradients: gradients)
            }
          })
      }
    })
}

/// The SVM data, generated once per feature count and shared by the three methods.
final class SVMDataCache {
  private var sets: [Int: SVMData] = [:]
  func data(_ p: Int) -> SVMData {
    if let d = sets[p] { return d }
    let d = SVMData(samples: 500, features: p, classes: 5)
    sets[p] = d
    return d
  }
}

/// The 14 workloads of `benchmarks.md`, in its order.
func allWorkloads() -> [Workload] {
  let cache = SVMDataCache()
  var workloads = [Workload]()
  for p in [100, 1000, 5000] {
    for method in [SVMMethod.mirrorDescent, .projectedGradient, .blockCoordinateDescent] {
      workloads.append(svmWorkload(method, features: p, data: cache, inQuickRun: p == 100))
    }
  }
  for p in [1000, 10000] {
    workloads.append(smoothWorkload(logistic: false, features: p, inQuickRun: p == 1000))
    workloads.append(smoothWorkload(logistic: true, features: p, inQuickRun: p == 1000))
  }
  workloads.append(lassoWorkload(features: 2000, inQuickRun: false))
  workloads.append(lassoWorkload(features: 500, inQuickRun: true, quickOnly: true))
  return workloads + sparseWorkloads()
}
