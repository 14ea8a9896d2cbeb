import Dispatch
import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjectedGradient
import ImplicitProjections
import ImplicitProximal
import _Differentiation

/// The three ways the demo solves the SVM dual; each is differentiated through its own
/// optimality condition.
enum SVMDualSolver: CaseIterable {
  case mirrorDescent, projectedGradient, blockCoordinateDescent

  var name: String {
    switch self {
    case .mirrorDescent: "mirror descent (KL)"
    case .projectedGradient: "projected gradient"
    case .blockCoordinateDescent: "block coordinate descent"
    }
  }

  var shortName: String {
    switch self {
    case .mirrorDescent: "MD"
    case .projectedGradient: "PG"
    case .blockCoordinateDescent: "BCD"
    }
  }

  /// Iterations (full sweeps for block coordinate descent) of the JAXopt benchmark.
  var benchmarkIterations: Int {
    switch self {
    case .mirrorDescent, .projectedGradient: 500
    case .blockCoordinateDescent: 50
    }
  }
}

/// The multiclass linear SVM of the demo, in its dual,
///
///     β*(θ) = argmin_{βᵢ ∈ Δₖ}  f(β, θ) = ½/θ ‖Xᵀ(Y − β)‖²_F + ⟨β, Y − 1⟩,    W*(θ) = Xᵀ(Y − β*)/θ,
///
/// its three solvers and their three optimality conditions, and the outer objective: the
/// validation cross-entropy of `W*(θ)`, as a function of `log θ`.
struct SVMHyperparameterProblem {
  /// `f(β, θ)` (`θ` a one-entry vector), from ImplicitObjectives.
  let objective: MulticlassSVMDual
  let validation: (X: Matrix<Double>, Y: Matrix<Double>)
  let samples: Int
  let classes: Int
  /// `‖X‖₂²`: the dual's gradient is `‖X‖₂²/θ`-Lipschitz.
  let squaredNorm: Double
  let transposedFeatures: Matrix<Double>
  let labelsMinusOne: Matrix<Double>
  let blockGradients: MulticlassSVMDualBlockGradients

  /// `F(β, θ) = softmax_rows(log β − ∇_β f(β, θ)) − β`: the mirror-descent fixed point (KL geometry).
  let mirrorDescentCondition: MirrorDescentCondition<MulticlassSVMDual, KLRowSimplexMirrorMap>
  /// `F(β, θ) = P_{Δ×…×Δ}(β − ∇_β f(β, θ)) − β`: the projected-gradient fixed point.
  let projectedGradientCondition: ProximalGradientCondition<MulticlassSVMDual, ProjectionProximal<RowSimplexProjection>>
  /// `F(β, θ) = blockprox(β − ∇_β f(β, θ)) − β`, one simplex block per row: the block coordinate
  /// descent fixed point.
  let blockCoordinateDescentCondition: BlockCoordinateDescentCondition<MulticlassSVMDual, SimplexProjection>

  init(train: (X: Matrix<Double>, Y: Matrix<Double>), validation: (X: Matrix<Double>, Y: Matrix<Double>)) throws {
    objective = try MulticlassSVMDual(X: train.X, Y: train.Y)
    self.validation = validation
    samples = train.X.rows
    classes = train.Y.columns
    squaredNorm = train.X.squaredSpectralNorm()
    transposedFeatures = train.X.transposed()
    labelsMinusOne = Matrix(rows: samples, columns: classes, scalars: train.Y.scalars.map { $0 - 1 })
    blockGradients = MulticlassSVMDualBlockGradients(objective)
    // The conditions' own step η (default 1, as in JAXopt) does not move their roots, so one
    // condition serves every θ; the solvers use their own steps.
    mirrorDescentCondition = try MirrorDescentCondition(
      objective: objective, mirrorMap: KLRowSimplexMirrorMap(columns: classes))
    projectedGradientCondition = try ProximalGradientCondition(
      objective: objective, projection: RowSimplexProjection(columns: classes), objectiveParameterCount: 1,
      projectionParameter: Vector([]))
    blockCoordinateDescentCondition = try BlockCoordinateDescentCondition(
      objective: objective, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: classes, dimension: samples * classes), objectiveParameterCount: 1)
  }

  /// `β₀`: every row uniform (feasible, and interior — mirror descent needs that).
  var start: Vector<Double> { objective.uniformStart }

  /// The step `1/L = θ/‖X‖₂²` of mirror descent and projected gradient.
  func step(_ θ: Double) -> Double { θ / squaredNorm }

  /// `∇_β f = (1/θ) X Xᵀ(β − Y) + Y − 1`, with two dense products (the solvers' hot loop;
  /// differentiating `f` would give the same vector, only slower).
  func gradient(_ beta: Vector<Double>, _ θ: Double) -> Vector<Double> {
    let B = Matrix(reshaping: beta, rows: samples, columns: classes)
    return ((1 / θ) * (objective.X * (transposedFeatures * (B - objective.Y))) + labelsMinusOne).flattenedVector()
  }

  // MARK: The three solvers, run for a fixed number of iterations (never differentiated)

  func solve(_ solver: SVMDualSolver, _ θ: Double, iterations: Int) throws -> Vector<Double> {
    switch solver {
    case .mirrorDescent:
      // β ← softmax_rows(log β − η∇f(β)): exponentiated gradient on every row's simplex.
      let beta = try MirrorDescent(stepSize: step(θ), fixedIterations: iterations)
        .solve(mirrorMap: KLRowSimplexMirrorMap(columns: classes), from: start) { gradient($0, θ) }.solution
      return SVMHyperparameterProblem.flushingSubnormals(beta)
    case .projectedGradient:
      // Accelerated (FISTA) projected gradient, β ← P_Δ(β − η∇f(β)) row by row.
      let projection = RowSimplexProjection(columns: classes)
      return try FISTA.fixedIterations(iterations, stepSize: step(θ))
        .solve(from: start, gradient: { gradient($0, θ) }, prox: { z, _ in projection.project(z, Vector([])) })
        .solution
    case .blockCoordinateDescent:
      // Cyclic sweeps over the rows βᵢ, each a projected gradient step of size θ/‖xᵢ‖².
      return try BlockCoordinateDescent(fixedSweeps: iterations)
        .solve(blockCoordinateDescentCondition, Vector([θ]), from: start, gradients: blockGradients).solution
    }
  }

  /// `β` with subnormal entries set to 0. Mirror-descent iterates decay towards 0 geometrically
  /// and end up subnormal (~1e-323) instead of exactly 0; the KL mirror map pins only exact zeros
  /// (safe log: `log 0 = −∞`), and a subnormal coordinate, with `1/β ≈ 1e323`, makes the condition's
  /// Jacobian numerically singular. The change to each row's sum is below 1e-307.
  static func flushingSubnormals(_ beta: Vector<Double>) -> Vector<Double> {
    beta.mapScalars { $0 < Double.leastNormalMagnitude ? 0 : $0 }
  }

  /// A tight solve (accelerated projected gradient with restarts, to a gradient mapping of
  /// `1e-11·max(1, 1/θ)`), for the reference.
  func solveTightly(_ θ: Double) throws -> Vector<Double> {
    let projection = RowSimplexProjection(columns: classes)
    let solver = FISTA(stepSize: .fixed(step(θ)), tolerance: 1e-11 * max(1, 1 / θ), maxIterations: 200_000)
    return try solver.solve(
      from: start, gradient: { gradient($0, θ) }, prox: { z, _ in projection.project(z, Vector([])) }
    ).converged()
  }

  // MARK: The outer objective and its hypergradient

  /// The validation cross-entropy of `W = Xᵀ(Y − β)/θ`, differentiable in `β` and `θ`.
  @differentiable(reverse,wrt: (beta, θ))
  func validationLoss(_ beta: Vector<Double>, _ θ: Double) -> Double {
    crossEntropy(objective.weights(beta, θ), features: validation.X, oneHot: validation.Y)
  }

  /// The validation loss at `log θ` and its derivative in `log θ`, with `β*` from `solver` and
  /// `dβ*/dθ` from `solver`'s own optimality condition, by one implicit VJP:
  ///
  ///     dL/dθ = ∂L/∂θ + (∂β*/∂θ)ᵀ ∂L/∂β,   (∂β*/∂θ)ᵀ v = −Bᵀ A⁻ᵀ v,   d/d log θ = θ · d/dθ
  ///
  /// (`A = ∂F/∂β`, `B = ∂F/∂θ` of the condition at the solver's output).
  func implicitHypergradient(_ solver: SVMDualSolver, at logθ: Double, iterations: Int) throws -> SVMHypergradient {
    let θ = Double.exp(logθ)
    let beta = try solve(solver, θ, iterations: iterations)
    return try implicitHypergradient(solver, beta: beta, θ)
  }

  /// The same at a given `β`.
  func implicitHypergradient(_ solver: SVMDualSolver, beta: Vector<Double>, _ θ: Double) throws -> SVMHypergradient {
    // The outer loss's partial derivatives, by ordinary reverse mode.
    let (loss, (dBeta, dθ)) = valueWithGradient(at: beta, θ) { beta, θ in validationLoss(beta, θ) }
    // The implicit part: one linear solve with the condition's A (GMRES, matrix-free).
    let parameter = Vector([θ])
    let implicit =
      switch solver {
      case .mirrorDescent: try ImplicitDifferentiator(mirrorDescentCondition).vjp(dBeta, at: beta, parameter)
      case .projectedGradient: try ImplicitDifferentiator(projectedGradientCondition).vjp(dBeta, at: beta, parameter)
      case .blockCoordinateDescent:
        try ImplicitDifferentiator(blockCoordinateDescentCondition).vjp(dBeta, at: beta, parameter)
      }
    return SVMHypergradient(loss: loss, derivative: θ * (dθ + implicit.value[0]), diagnostics: implicit.diagnostics)
  }

  /// The reference `dL/d log θ`: at a tight solution through the projected-gradient condition,
  /// and by central finite differences of tightly re-solved validation losses.
  func referenceHypergradient(at logθ: Double) throws -> (loss: Double, implicit: Double, finiteDifference: Double) {
    let θ = Double.exp(logθ)
    let exact = try implicitHypergradient(.projectedGradient, beta: try solveTightly(θ), θ)
    let h = 1e-4
    func loss(_ s: Double) throws -> Double { validationLoss(try solveTightly(Double.exp(s)), Double.exp(s)) }
    let fd = (try loss(logθ + h) - loss(logθ - h)) / (2 * h)
    return (exact.loss, exact.derivative, fd)
  }
}

/// A hypergradient `dL_val/d log θ` with the diagnostics of its implicit linear solve.
struct SVMHypergradient {
  var loss: Double
  var derivative: Double
  var diagnostics: DerivativeDiagnostics
}

/// The result of `body` and its wall time in seconds.
func svmTimed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
  let start = DispatchTime.now().uptimeNanoseconds
  let value = try body()
  return (value, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
}
