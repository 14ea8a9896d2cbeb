import Dispatch
import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitObjectives
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

/// The SVM dual in `s = log θ` with the solvers' step `θ/‖X‖₂²` folded in:
///
///     f̃(β, s) = (e^s/‖X‖₂²) · f(β, e^s)
///
/// A gradient step of size 1 on `f̃` is the step `θ/‖X‖₂²` on `f` (`η∇f = ∇(ηf)`), so the library's
/// solvers run the demo's schedule with a constant step, their unrolled switches differentiate it
/// in `log θ` step included, and the conditions built on `f̃` have the roots `β*(θ)` of `f`.
struct SVMDualInLogθ: ParametricObjective {
  let dual: MulticlassSVMDual
  let squaredNorm: Double

  @differentiable(reverse)
  func callAsFunction(_ beta: Vector<Double>, _ s: Vector<Double>) -> Double {
    let θ = s.exp()
    return θ.sum() / squaredNorm * dual(beta, θ)
  }

  @differentiable(reverse)
  func callAsFunction(_ beta: Vector<Dual>, _ s: Vector<Dual>) -> Dual {
    let θ = s.exp()
    return θ.sum() / Dual(squaredNorm) * dual(beta, θ)
  }

  // The dual's closed forms, chained through θ = e^s and the factor c = θ/‖X‖₂².
  func gradient(at beta: Vector<Double>, _ s: Vector<Double>) -> Vector<Double> {
    let θ = s.exp()
    return dual.gradient(at: beta, θ).scaled(by: θ.sum() / squaredNorm)
  }

  func gradientPullback(
    at beta: Vector<Double>, _ s: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let θ = s.exp(), c = θ.sum() / squaredNorm
    let (hu, cu) = dual.gradientPullback(at: beta, θ, u)
    let du = dual.gradient(at: beta, θ).dot(u.isSymbolicZero ? Vector.zeros(beta.count) : u)
    return (hu.scaled(by: c), Vector([c * (du + θ.sum() * cu.sum())]))
  }

  func gradientJVP(
    at beta: Vector<Double>, _ s: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    let θ = s.exp(), c = θ.sum() / squaredNorm, ds = t.isSymbolicZero ? 0 : t.sum()
    var out = dual.gradientJVP(at: beta, θ, along: v, Vector([θ.sum() * ds])).scaled(by: c)
    out.addScaled(c * ds, dual.gradient(at: beta, θ))
    return out
  }
}

/// The multiclass linear SVM of the demo, in its dual,
///
///     β*(θ) = argmin_{βᵢ ∈ Δₖ}  f(β, θ) = ½/θ ‖Xᵀ(Y − β)‖²_F + ⟨β, Y − 1⟩,    W*(θ) = Xᵀ(Y − β*)/θ,
///
/// its three library conditions and solvers, and the outer objective: the validation
/// cross-entropy of `W*(θ)`, as a function of `log θ`.
struct SVMHyperparameterProblem {
  /// `f(β, θ)` (`θ` a one-entry vector), from ImplicitObjectives.
  let objective: MulticlassSVMDual
  /// `f̃(β, log θ)`: `f` with the step `θ/‖X‖₂²` folded in.
  let inLogθ: SVMDualInLogθ
  let validation: (X: Matrix<Double>, Y: Matrix<Double>)
  let samples: Int
  let classes: Int
  /// `F(β, s) = softmax_rows(log β − ∇_β f̃(β, s)) − β`: the mirror-descent fixed point (KL geometry), in
  /// `s = log θ`; its solver and unrolled switch take the step 1 (`θ/‖X‖₂²` on `f`).
  let mirrorDescentCondition: MirrorDescentCondition<SVMDualInLogθ, KLRowSimplexMirrorMap>
  /// `F(β, s) = P_{Δ×…×Δ}(β − ∇_β f̃(β, s)) − β`: the projected-gradient fixed point, in `s = log θ`,
  /// step 1 as above.
  let projectedGradientCondition: ProximalGradientCondition<SVMDualInLogθ, ProjectionProximal<RowSimplexProjection>>
  /// `F(β, θ) = blockprox(β − ∇_β f(β, θ)) − β`, one simplex block per row: the block coordinate
  /// descent fixed point, in `θ` (its solver's steps are per block).
  let blockCoordinateDescentCondition: BlockCoordinateDescentCondition<MulticlassSVMDual, SimplexProjection>
  let blockGradients: MulticlassSVMDualBlockGradients
  /// The mirror-descent and projected-gradient conditions on `f` in `θ`, step 1: what the
  /// implicit hypergradients differentiate.
  let implicitConditions:
    (
      mirrorDescent: MirrorDescentCondition<MulticlassSVMDual, KLRowSimplexMirrorMap>,
      projectedGradient: ProximalGradientCondition<MulticlassSVMDual, ProjectionProximal<RowSimplexProjection>>
    )

  init(train: (X: Matrix<Double>, Y: Matrix<Double>), validation: (X: Matrix<Double>, Y: Matrix<Double>)) throws {
    objective = try MulticlassSVMDual(X: train.X, Y: train.Y)
    inLogθ = SVMDualInLogθ(dual: objective, squaredNorm: train.X.squaredSpectralNorm())
    self.validation = validation
    samples = train.X.rows
    classes = train.Y.columns
    mirrorDescentCondition = try MirrorDescentCondition(
      objective: inLogθ, mirrorMap: KLRowSimplexMirrorMap(columns: classes))
    projectedGradientCondition = try ProximalGradientCondition(
      objective: inLogθ, projection: RowSimplexProjection(columns: classes), objectiveParameterCount: 1,
      projectionParameter: Vector([]))
    blockCoordinateDescentCondition = try BlockCoordinateDescentCondition(
      objective: objective, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: classes, dimension: samples * classes), objectiveParameterCount: 1)
    blockGradients = MulticlassSVMDualBlockGradients(objective)
    implicitConditions = (
      try MirrorDescentCondition(objective: objective, mirrorMap: KLRowSimplexMirrorMap(columns: classes)),
      try ProximalGradientCondition(
        objective: objective, projection: RowSimplexProjection(columns: classes), objectiveParameterCount: 1,
        projectionParameter: Vector([]))
    )
  }

  /// `β₀`: every row uniform (feasible, and interior — mirror descent needs that).
  var start: Vector<Double> { objective.uniformStart }

  // MARK: The three library solvers, run for a fixed number of iterations

  /// `β` after `iterations` steps (sweeps for block coordinate descent) at `θ = e^logθ`; mirror
  /// descent and projected gradient take the step `θ/‖X‖₂²` (1 on `f̃`).
  func solve(_ solver: SVMDualSolver, logθ: Double, iterations: Int) throws -> Vector<Double> {
    let s = Vector([logθ])
    switch solver {
    case .mirrorDescent:
      let beta = try MirrorDescent(stepSize: 1, fixedIterations: iterations)
        .solve(mirrorDescentCondition, s, from: start).solution
      return SVMHyperparameterProblem.flushingSubnormals(beta)
    case .projectedGradient:
      return try FISTA.fixedIterations(iterations, stepSize: 1).solve(projectedGradientCondition, s, from: start)
        .solution
    case .blockCoordinateDescent:
      return try BlockCoordinateDescent(fixedSweeps: iterations)
        .solve(blockCoordinateDescentCondition, s.exp(), from: start, gradients: blockGradients).solution
    }
  }

  /// `β` with subnormal entries set to 0. Mirror-descent iterates decay towards 0 geometrically
  /// and end up subnormal (~1e-323) instead of exactly 0; the KL mirror map pins only exact zeros
  /// (safe log: `log 0 = −∞`), and a subnormal coordinate, with `1/β ≈ 1e323`, makes the condition's
  /// Jacobian numerically singular. The change to each row's sum is below 1e-307.
  static func flushingSubnormals(_ beta: Vector<Double>) -> Vector<Double> {
    beta.mapScalars { $0 < Double.leastNormalMagnitude ? 0 : $0 }
  }

  /// A tight solve (FISTA with restarts, to a gradient mapping of `1e-11·max(1, 1/θ)` in `f`),
  /// for the reference.
  func solveTightly(logθ: Double) throws -> Vector<Double> {
    let θ = Double.exp(logθ), step = θ / inLogθ.squaredNorm
    let solver = FISTA(stepSize: .fixed(1), tolerance: 1e-11 * max(1, 1 / θ) * step, maxIterations: 200_000)
    return try solver.solve(projectedGradientCondition, Vector([logθ]), from: start).converged()
  }

  // MARK: The outer objective and its hypergradient

  /// The validation cross-entropy of `W = Xᵀ(Y − β)/θ`, differentiable in `β` and `θ`.
  @differentiable(reverse,wrt: (beta, θ))
  func validationLoss(_ beta: Vector<Double>, _ θ: Double) -> Double {
    crossEntropy(objective.weights(beta, θ), features: validation.X, oneHot: validation.Y)
  }

  /// The validation loss at `log θ` and its derivative in `log θ`, with `β*` from `solver` and
  /// `dβ*/dθ` from `solver`'s own optimality condition, by one implicit VJP,
  /// `(∂β*/∂θ)ᵀ v = −Bᵀ A⁻ᵀ v` (`A = ∂F/∂β`, `B = ∂F/∂θ` of the condition at the solver's output).
  func implicitHypergradient(_ solver: SVMDualSolver, at logθ: Double, iterations: Int) throws -> SVMHypergradient {
    try implicitHypergradient(solver, beta: try solve(solver, logθ: logθ, iterations: iterations), logθ: logθ)
  }

  /// The same at a given `β`, through the conditions on `f` in `θ` with the step 1 (JAXopt's
  /// default) and matrix-free GMRES: `dL/d log θ = θ (∂L/∂θ + (∂β*/∂θ)ᵀ ∂L/∂β)`. (The conditions
  /// on `f̃` have the same roots, but away from a root their Jacobian formula also carries the
  /// folded step's derivative, and is less accurate at a truncated iterate.)
  func implicitHypergradient(_ solver: SVMDualSolver, beta: Vector<Double>, logθ: Double) throws -> SVMHypergradient {
    let θ = Double.exp(logθ), parameter = Vector([θ])
    let (loss, (dBeta, dθ)) = valueWithGradient(at: beta, θ) { beta, θ in validationLoss(beta, θ) }
    let options = ImplicitOptions(linearSolver: GMRES())
    let implicit =
      switch solver {
      case .mirrorDescent:
        try ImplicitDifferentiator(implicitConditions.mirrorDescent, options: options).vjp(dBeta, at: beta, parameter)
      case .projectedGradient:
        try ImplicitDifferentiator(implicitConditions.projectedGradient, options: options).vjp(
          dBeta, at: beta, parameter)
      case .blockCoordinateDescent:
        try ImplicitDifferentiator(blockCoordinateDescentCondition, options: options).vjp(dBeta, at: beta, parameter)
      }
    return SVMHypergradient(loss: loss, derivative: θ * (dθ + implicit.value[0]), diagnostics: implicit.diagnostics)
  }

  /// The validation loss after `iterations` steps of `solver` and its derivative in `log θ`, by
  /// the library's unrolled switch (reverse mode through the iterations, step included: for block
  /// coordinate descent the per-block steps `θ/‖xᵢ‖²`, through the oracle's curvature gradient).
  func unrolledHypergradient(_ solver: SVMDualSolver, at logθ: Double, iterations: Int) -> (
    loss: Double, derivative: Double
  ) {
    let start = start
    let result: (value: Double, gradient: Vector<Double>)
    switch solver {
    case .mirrorDescent:
      let md = MirrorDescent(stepSize: 1, fixedIterations: iterations)
      result = valueWithGradient(at: Vector([logθ])) { s in
        validationLoss(md.unrolled(mirrorDescentCondition, s, from: start), s.exp().sum())
      }
    case .projectedGradient:
      let fista = FISTA.fixedIterations(iterations, stepSize: 1)
      result = valueWithGradient(at: Vector([logθ])) { s in
        validationLoss(fista.unrolled(projectedGradientCondition, s, from: start), s.exp().sum())
      }
    case .blockCoordinateDescent:
      let bcd = BlockCoordinateDescent(fixedSweeps: iterations)
      result = valueWithGradient(at: Vector([logθ])) { s in
        let θ = s.exp()
        return validationLoss(
          bcd.unrolled(blockCoordinateDescentCondition, θ, from: start, gradients: blockGradients), θ.sum())
      }
    }
    return (result.value, result.gradient.sum())
  }

  /// The reference `dL/d log θ`: at a tight solution through the projected-gradient condition,
  /// and by central finite differences of tightly re-solved validation losses.
  func referenceHypergradient(at logθ: Double) throws -> (loss: Double, implicit: Double, finiteDifference: Double) {
    let exact = try implicitHypergradient(.projectedGradient, beta: try solveTightly(logθ: logθ), logθ: logθ)
    let h = 1e-4
    func loss(_ s: Double) throws -> Double { validationLoss(try solveTightly(logθ: s), Double.exp(s)) }
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
