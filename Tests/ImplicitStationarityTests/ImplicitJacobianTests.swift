import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing

/// Implicit Jacobians of minimisers through `∇ₓf = 0`, against closed forms and central finite
/// differences of re-solving.
@Suite struct ImplicitJacobianTests {
  @Test func logisticJacobianIsMinusInverseHessianTimesDiagW() throws {
    let p = try Problems.logistic()
    let d = p.X.columns
    let w = try Problems.argmin(p.objective, p.θ, dimension: d)
    let J = try ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true)).jacobian(at: w, p.θ)
    // H = Xᵀ diag(s(1 − s)) X / n + diag(θ) with plain loops; dw/dθ = −H⁻¹ diag(w).
    let rows = Reference.rows(p.X), n = Double(p.X.rows)
    let z = Reference.matvec(rows, w.scalars)
    let curvature = (0..<p.X.rows).map { i -> Double in
      let s = Reference.sigmoid(p.y[i] * z[i])
      return s * (1 - s) / n
    }
    var H = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
    for i in 0..<p.X.rows { for a in 0..<d { for b in 0..<d { H[a][b] += rows[i][a] * curvature[i] * rows[i][b] } } }
    for a in 0..<d { H[a][a] += p.θ[a] }
    for j in 0..<d {
      let column = Reference.solve(H, (0..<d).map { $0 == j ? -w[j] : 0 })!
      let computed = (0..<d).map { J.matrix[$0, j] }
      #expect(Reference.relativeError(computed, column) < 1e-10)
    }
    #expect(J.diagnostics.isReliable)
  }

  /// Jacobians of several objectives' minimisers against finite differences of re-solving.
  @Test(arguments: [
    "ridge-per-feature", "ridge-shared", "logistic-intercept", "huber", "l2-multiclass", "squared-hinge", "sparsemax",
  ])
  func jacobianMatchesFiniteDifferencesOfResolving(_ name: String) throws {
    var rng = SeededGenerator(seed: 31)
    let X = rng.normalMatrix(rows: 24, columns: 4)
    let signs = Vector((0..<24).map { _ in rng.normal() > 0 ? 1.0 : -1.0 })
    let labels = Vector((0..<24).map { Double($0 % 3) })
    let objective: any ParametricObjective
    let θ: Vector<Double>
    switch name {
    case "ridge-per-feature":
      (objective, θ) = (try RidgeRegression(A: X, b: rng.normalVector(24)), Vector([0.3, 1, 0.5, 2]))
    case "ridge-shared": (objective, θ) = (try RidgeRegression(A: X, b: rng.normalVector(24)), Vector([0.7]))
    case "logistic-intercept":
      (objective, θ) = (
        try BinaryLogisticRegression(features: X, labels: signs, fitIntercept: true), Vector([0.2, 0.4, 0.3, 0.5])
      )
    case "huber":
      (objective, θ) = (try HuberRegression(A: X, b: rng.normalVector(24, scale: 3), delta: 0.7), Vector([0.1]))
    case "l2-multiclass":
      (objective, θ) = (try L2MulticlassLogisticRegression(features: X, labels: labels, classes: 3), Vector([0.3]))
    case "squared-hinge": (objective, θ) = (try SquaredHingeLoss(features: X, labels: signs), Vector([0.5]))
    default: (objective, θ) = (try SparsemaxLoss(features: X, labels: labels, classes: 3), Vector([0.4]))
    }
    let dimension = objective.gradient(at: Vector.zeros(dimensionOf(objective)), θ).count
    let x = try Problems.argmin(objective, θ, dimension: dimension)
    let J = try jacobian(objective, x, θ)
    let reference = try Problems.finiteDifferenceJacobian(at: θ) { θ in
      try Problems.argmin(objective, θ, dimension: dimension)
    }
    #expect(Reference.relativeError(J.scalars, reference.flatMap { $0 }) < 1e-6, "\(name)")
  }

  func dimensionOf(_ objective: any ParametricObjective) -> Int {
    switch objective {
    case let f as BinaryLogisticRegression: f.solutionDimension
    case let f as L2MulticlassLogisticRegression: f.solutionDimension
    case let f as SparsemaxLoss: f.loss.solutionDimension
    default: 4
    }
  }

  func jacobian<Objective: ParametricObjective>(_ objective: Objective, _ x: Vector<Double>, _ θ: Vector<Double>) throws
    -> Matrix<Double>
  {
    try ImplicitDifferentiator(StationarityCondition(objective, stronglyConvex: true)).jacobian(at: x, θ).matrix
  }

  @Test func iterativeProductsAreExactAndAgreeWithTheDenseJacobian() throws {
    let p = try Problems.logistic()
    let w = try Problems.argmin(p.objective, p.θ, dimension: p.X.columns)
    let condition = StationarityCondition(p.objective, stronglyConvex: true)
    let dense = try ImplicitDifferentiator(condition).jacobian(at: w, p.θ).matrix
    let cg = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-13)))
    var rng = SeededGenerator(seed: 5)
    let t = rng.normalVector(p.θ.count), v = rng.normalVector(w.count)
    let jvp = try cg.jvp(t, at: w, p.θ)
    #expect(jvp.diagnostics.forwardProducts == .exact)
    #expect(Reference.relativeError(jvp.value.scalars, Reference.matvec(Reference.rows(dense), t.scalars)) < 1e-10)
    let vjp = try cg.vjp(v, at: w, p.θ)
    #expect(
      Reference.relativeError(vjp.value.scalars, Reference.transposedMatvec(Reference.rows(dense), v.scalars)) < 1e-10)
    // Columns by JVPs (iterative, exact forward products) equal the dense Jacobian.
    let byColumns = try ImplicitDifferentiator(
      condition,
      options: ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-13))
    ).jacobian(at: w, p.θ)
    #expect(Reference.relativeError(byColumns.matrix.scalars, dense.scalars) < 1e-10)
  }

  @Test func conditionRejectsWrongShapesWithATypedError() throws {
    let p = try Problems.logistic()
    let differentiator = ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true))
    #expect(throws: ImplicitError.self) { try differentiator.jacobian(at: Vector.zeros(3), p.θ) }
    #expect(throws: ImplicitError.self) { try differentiator.jacobian(at: Vector.zeros(5), Vector([1, 2])) }
  }
}
