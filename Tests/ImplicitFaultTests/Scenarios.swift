import Foundation
import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitFamilies
import ImplicitFixedPoint
import ImplicitGradientStep
import ImplicitKKT
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitReferenceCases
import ImplicitRidge
import ImplicitStationarity
import Testing
import _Differentiation

/// Bad input for every public entry point that takes user data. Each scenario runs in a child
/// process (``FaultScenarioTests``), so one that traps fails alone and hides no other; inside
/// the child the call must return a typed error or a flagged status.
enum Scenarios {
  // MARK: - Helpers

  /// `body` must throw an ``ImplicitError`` (not trap, not return).
  static func rejects(_ what: Comment, _ body: () throws -> Void) {
    #expect(throws: ImplicitError.self, what) { try body() }
  }

  /// `body` must throw some typed error (the registry's and the case format's own errors).
  static func rejectsAny(_ what: Comment, _ body: () throws -> Void) {
    #expect(throws: (any Error).self, what) { try body() }
  }

  static func allNaN(_ v: Vector<Double>) -> Bool { v.scalars.allSatisfy(\.isNaN) }

  static let A = Matrix<Double>([[1, 0, 2], [0, 1, 1], [1, 1, 0], [2, 0, 1], [0, 3, 1], [1, 2, 2]])  // 6 × 3
  static let b = Vector<Double>([1, 2, 0, 1, 3, 2])
  static let spd = Matrix<Double>([[4, 1, 0], [1, 3, 1], [0, 1, 2]])

  static func spdOperator() -> LinearOperator<Vector<Double>> {
    let m = spd
    return LinearOperator(template: Vector.zeros(3), structure: .symmetricPositiveDefinite, apply: { m * $0 })
  }

  // MARK: - Matrix constructors

  static func matrixRowsColumnsValidating() {
    rejects("wrong count") { _ = try Matrix<Double>(rows: 2, columns: 3, validating: [1, 2, 3, 4, 5]) }
    rejects("negative shape") { _ = try Matrix<Double>(rows: -2, columns: -3, validating: [1, 2, 3, 4, 5, 6]) }
    rejects("overflowing shape") { _ = try Matrix<Double>(rows: Int.max, columns: 2, validating: []) }
    #expect((try? Matrix<Double>(rows: 0, columns: 3, validating: []))?.rows == 0)
  }

  static func matrixValidatingRagged() {
    rejects("ragged rows") { _ = try Matrix<Double>(validating: [[1, 2], [3]]) }
    rejects("ragged later row") { _ = try Matrix<Double>(validating: [[1], [2], [3, 4]]) }
    #expect((try? Matrix<Double>(validating: []))?.rows == 0)
  }

  // MARK: - Linear solvers and factorisations

  /// A right-hand side of the wrong length, and NaN / negative tolerances: a flagged status.
  static func linearSolver(_ solver: some LinearSolver) {
    let op = spdOperator()
    let wrong = solver.solve(op, Vector<Double>([1, 2, 3, 4, 5]))
    #expect(!wrong.isConverged, "\(solver): b of 5 for a 3 × 3 operator gave \(wrong.status)")
    let wrongGuess = solver.solve(op, Vector<Double>([1, 2, 3]), initialGuess: Vector([1]))
    #expect(wrongGuess.solution.count == 3 || !wrongGuess.isConverged, "\(solver): wrong-length initial guess")
    let nanRHS = solver.solve(op, Vector<Double>([1, .nan, 3]))
    #expect(!nanRHS.isConverged, "\(solver): NaN right-hand side gave \(nanRHS.status)")
    for bad in [Double.nan, -1] {
      var s = solver
      s.tolerance = LinearSolverTolerance(relative: bad)
      let r = s.solve(op, Vector<Double>([1, 2, 3]))
      #expect(!r.isConverged || r.residualNorm <= 1e-8 * 3.8, "\(solver): tolerance \(bad) gave \(r.status)")
    }
  }

  static func factorizations() {
    let lu = LUFactorization(spd)
    let cholesky = CholeskyFactorization(spd)
    let qr = QRFactorization(spd)
    #expect(lu != nil && cholesky != nil && qr != nil)
    for x in [
      lu?.solve([1]), lu?.solveTransposed([1, 2, 3, 4]), cholesky?.solve([1]), cholesky?.solve([]),
      qr?.solve([1, 2]), qr?.solveTransposed([1, 2, 3, 4, 5]),
    ] {
      #expect(x?.allSatisfy(\.isNaN) == true, "a wrong-length right-hand side must give NaNs")
    }
    #expect(LUFactorization(A) == nil && CholeskyFactorization(A) == nil && QRFactorization(A) == nil)
    let singular = Matrix<Double>([[1, 2], [2, 4]])
    #expect(LUFactorization(singular)?.isSingular == true)
    #expect(CholeskyFactorization(singular) == nil)
    #expect(QRFactorization(singular)?.isRankDeficient == true)
    #expect(QRFactorization(Matrix([[Double.nan, 1], [1, 1]])) == nil)
    #expect(CholeskyFactorization(Matrix([[Double.infinity, 0], [0, 1]])) == nil)
  }

  // MARK: - The differentiator and the differentiable wrapper

  static func ridge() throws -> RidgeCondition { try RidgeCondition(A: A, b: b) }

  static func differentiatorWrongShapes() throws {
    let d = ImplicitDifferentiator(try ridge())
    let x = Vector<Double>.zeros(3)
    rejects("vjp: wrong-length cotangent") { _ = try d.vjp(Vector([1, 2]), at: x, 1) }
    rejects("vjp: wrong-length x") { _ = try d.vjp(Vector([1, 2, 3]), at: Vector([1, 2]), 1) }
    rejects("jvp: wrong-length x") { _ = try d.jvp(1, at: Vector([1, 2, 3, 4]), 1) }
    rejects("jacobian: wrong-length x") { _ = try d.jacobian(at: Vector([]), 1) }
    rejects("jacobian: NaN x") { _ = try d.jacobian(at: Vector([.nan, 0, 0]), 1) }
    rejects("jvp: NaN θ") { _ = try d.jvp(1, at: x, .nan) }
    rejects("jvp: infinite tangent") { _ = try d.jvp(.infinity, at: x, 1) }
    // θ = 1e308 overflows the certificate: a NaN error bound must not be called reliable.
    do {
      let r = try d.vjp(Vector([1e308, 1e308, 1e308]), at: x, 1e308)
      #expect(!r.diagnostics.isReliable, "1e308: \(r.diagnostics)")
    } catch is ImplicitError {}
  }

  static func differentiatorBadOptions() throws {
    let x = Vector<Double>.zeros(3)
    let solvers: [(Double) -> any LinearSolver] = [
      { ConjugateGradient(relativeTolerance: $0) }, { GMRES(relativeTolerance: $0) },
      { DenseLU(relativeTolerance: $0) },
    ]
    for make in solvers {
      for tolerance in [Double.nan, -1] {
        let d = ImplicitDifferentiator(try ridge(), options: ImplicitOptions(linearSolver: make(tolerance)))
        do {
          let j = try d.jacobian(at: x, 1)
          #expect(!j.diagnostics.isReliable, "tolerance \(tolerance): \(j.diagnostics)")
          let v = try d.vjp(Vector([1, 0, 0]), at: x, 1)
          #expect(!v.diagnostics.isReliable, "tolerance \(tolerance): \(v.diagnostics)")
        } catch is ImplicitError {}
      }
    }
  }

  /// A condition without `validate`: the differentiator must still notice that `F` has the
  /// wrong length, or that `x` does not fit.
  struct Unvalidated: OptimalityCondition {
    var A: Matrix<Double>
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { A * x - θ }
  }

  static func differentiatorUnvalidatedCondition() {
    // F maps R³ to R⁶: not square; the differentiator must refuse instead of trapping.
    let d = ImplicitDifferentiator(Unvalidated(A: A))
    rejects("F of 6 entries for x of 3") { _ = try d.jacobian(at: Vector.zeros(3), Vector.zeros(6)) }
    rejects("vjp, F of 6 entries for x of 3") { _ = try d.vjp(Vector.zeros(3), at: Vector.zeros(3), Vector.zeros(6)) }
    rejects("jvp, F of 6 entries for x of 3") { _ = try d.jvp(Vector.zeros(6), at: Vector.zeros(3), Vector.zeros(6)) }
  }

  static func implicitFunctionPullbacks() throws {
    let condition = try ridge()
    let f = ImplicitFunction(condition: condition) { _ in Vector<Double>.zeros(3) }
    let (_, pullback) = valueWithPullback(at: 1.0) { θ in f(θ) }
    #expect(pullback(Vector([1, 2])).isNaN, "a wrong-length cotangent must give NaN")
    // A solver that returns a solution of the wrong length.
    let broken = ImplicitFunction(condition: condition) { _ in Vector<Double>([1, 2, 3, 4, 5]) }
    let (_, brokenPullback) = valueWithPullback(at: 1.0) { θ in broken(θ) }
    #expect(brokenPullback(Vector([1, 2, 3, 4, 5])).isNaN)
    let g = gradient(at: 1.0) { θ in broken(θ).sum() }
    #expect(g.isNaN)
    // A NaN solution.
    let nan = ImplicitFunction(condition: condition) { _ in Vector<Double>(repeating: .nan, count: 3) }
    #expect(gradient(at: 1.0) { θ in nan(θ).sum() }.isNaN)
  }

  struct SquaredNormMap: ParameterMap {
    @differentiable(reverse)
    func callAsFunction(_ p: Vector<Double>) -> Double { p.dot(p) }
    func validate(_ p: Vector<Double>) throws { try ImplicitError.checkDimension("p", p.count, expected: 2) }
  }

  static func reparametrized() throws {
    let condition = Reparametrized(try ridge(), map: SquaredNormMap())
    let d = ImplicitDifferentiator(condition)
    rejects("p of the wrong length") { _ = try d.jacobian(at: Vector.zeros(3), Vector([1, 2, 3])) }
    rejects("x of the wrong length") { _ = try d.jacobian(at: Vector.zeros(2), Vector([1, 2])) }
    rejects("vjp: wrong cotangent") { _ = try d.vjp(Vector([1]), at: Vector.zeros(3), Vector([1, 2])) }
    rejects("jvp: wrong tangent") { _ = try d.jvp(Vector([1]), at: Vector.zeros(3), Vector([1, 2])) }
    rejects("jvp: NaN p") { _ = try d.jvp(Vector([1, 1]), at: Vector.zeros(3), Vector([.nan, 2])) }
  }

  // MARK: - Gradient-step family: FISTA, conditions with a prox or a projection

  static func fista() throws {
    let objective = try LeastSquares(A: A)
    let lasso = try ProximalGradientCondition(
      objective: objective, prox: LassoProximal(), objectiveParameterCount: 6, proxParameter: Vector([0.1, 0.1, 0.1]))
    let θ = Vector<Double>(b.scalars + [0.1, 0.1, 0.1])
    rejects("b of 4 for A with 6 rows") {
      _ = try FISTA().solve(lasso, Vector([1, 2, 3, 4, 0.1, 0.1, 0.1]), from: Vector.zeros(3))
    }
    rejects("x0 of the wrong length") { _ = try FISTA().solve(lasso, θ, from: Vector.zeros(5)) }
    rejects("NaN θ") { _ = try FISTA().solve(lasso, Vector(θ.scalars.map { _ in .nan }), from: Vector.zeros(3)) }
    rejects("infinite x0") { _ = try FISTA().solve(lasso, θ, from: Vector([.infinity, 0, 0])) }
    rejects("negative λ") {
      _ = try FISTA().solve(lasso, Vector(b.scalars + [-1, 0.1, 0.1]), from: Vector.zeros(3))
    }
    rejects("zero step") { _ = try FISTA.fixedIterations(5, stepSize: 0).solve(lasso, θ, from: Vector.zeros(3)) }
    rejects("NaN step") { _ = try FISTA.fixedIterations(5, stepSize: .nan).solve(lasso, θ, from: Vector.zeros(3)) }
    rejects("NaN tolerance") { _ = try FISTA(tolerance: .nan).solve(lasso, θ, from: Vector.zeros(3)) }
    rejects("negative tolerance") { _ = try FISTA(tolerance: -1).solve(lasso, θ, from: Vector.zeros(3)) }
    rejects("closure form: gradient of the wrong length") {
      _ = try FISTA.fixedIterations(3, stepSize: 0.1).solve(
        from: Vector.zeros(3), gradient: { _ in Vector([1, 2]) }, prox: { z, _ in z })
    }
  }

  /// A projected-gradient condition whose `objectiveParameterCount` does not match the data.
  static func projectedGradientWrongLayout() throws {
    let objective = try LeastSquares(A: A)
    let condition = try ProximalGradientCondition(
      objective: objective, projection: L2BallProjection(), objectiveParameterCount: 4, projectionParameter: 1.0)
    let d = ImplicitDifferentiator(condition)
    rejects("θ laid out for 4 objective parameters, A has 6 rows") {
      _ = try d.jacobian(at: Vector.zeros(3), Vector([1, 2, 3, 4, 1]))
    }
    rejects("FISTA with the same layout") {
      _ = try FISTA().solve(condition, Vector([1, 2, 3, 4, 1]), from: .zeros(3))
    }
    let right = try ProximalGradientCondition(
      objective: objective, projection: L2BallProjection(), objectiveParameterCount: 6, projectionParameter: 1.0)
    let d2 = ImplicitDifferentiator(right)
    rejects("θ one entry short") { _ = try d2.jacobian(at: Vector.zeros(3), b) }
    rejects("negative radius") { _ = try d2.jacobian(at: Vector.zeros(3), Vector(b.scalars + [-1])) }
    rejects("NaN radius") { _ = try d2.vjp(Vector.zeros(3), at: Vector.zeros(3), Vector(b.scalars + [.nan])) }
    rejects("negative objectiveParameterCount") {
      _ = try ProximalGradientCondition(
        objective: objective, projection: L2BallProjection(), objectiveParameterCount: -1, projectionParameter: 1.0)
    }
    rejects("zero step size") {
      _ = try ProximalGradientCondition(
        objective: objective, projection: L2BallProjection(), objectiveParameterCount: 6, projectionParameter: 1.0,
        stepSize: 0)
    }
  }

  /// Each projection's `validate` path, reached from a condition.
  static func projectionsThroughConditions() throws {
    let objective = try LeastSquares(A: A)
    let x = Vector<Double>.zeros(3)
    func check<P: Projection>(_ p: P, _ parameter: P.Parameter, _ θ: Vector<Double>, _ what: Comment) throws {
      let condition = try ProximalGradientCondition(
        objective: objective, projection: p, objectiveParameterCount: 6, projectionParameter: parameter)
      rejects(what) { _ = try ImplicitDifferentiator(condition).jacobian(at: x, θ) }
      rejects(what) { _ = try FISTA().solve(condition, θ, from: x) }
    }
    try check(SimplexProjection(), 1.0, Vector(b.scalars + [-1]), "simplex: negative value")
    try check(SimplexProjection(), 1.0, Vector(b.scalars + [.nan]), "simplex: NaN value")
    try check(L1BallProjection(), 1.0, Vector(b.scalars + [-2]), "l1 ball: negative radius")
    try check(L1SphereProjection(), 1.0, Vector(b.scalars + [.infinity]), "l1 sphere: infinite radius")
    try check(L2SphereProjection(), 1.0, Vector(b.scalars + [-1]), "l2 sphere: negative radius")
    try check(LInfinityBallProjection(), 1.0, Vector(b.scalars + [-1]), "l∞ ball: negative radius")
    try check(NonNegativeProjection(), Vector([]), Vector(b.scalars + [1]), "non-negative: extra θ entry")
    let box = BoxBounds(lower: Vector([0, 0, 0]), upper: Vector([1, 1, 1]))
    try check(BoxProjection(), box, Vector(b.scalars + [0, 0, 1, 1, 1]), "box: bounds of the wrong length")
    try check(BoxProjection(), box, Vector(b.scalars + [2, 2, 2, 1, 1, 1]), "box: lower above upper")
    try check(
      HyperplaneProjection(), Hyperplane(normal: Vector([1, 1, 1]), offset: 1), Vector(b.scalars + [0, 0, 0, 1]),
      "hyperplane: zero normal")
    try check(
      HalfspaceProjection(), Hyperplane(normal: Vector([1, 1, 1]), offset: 1), Vector(b.scalars + [1, 1, 1]),
      "halfspace: θ one entry short")
    try check(
      SparseSimplexProjection(maxNonzeros: 0), 1.0, Vector(b.scalars + [1]), "sparse simplex: no non-zeros allowed")
  }

  /// Each prox's `validate` path, reached from a condition.
  static func proxesThroughConditions() throws {
    let objective = try LeastSquares(A: A)
    let x = Vector<Double>.zeros(3)
    func check<P: ProximalOperator>(_ p: P, _ parameter: P.Parameter, _ θ: Vector<Double>, _ what: Comment) throws {
      let condition = try ProximalGradientCondition(
        objective: objective, prox: p, objectiveParameterCount: 6, proxParameter: parameter)
      rejects(what) { _ = try ImplicitDifferentiator(condition).jacobian(at: x, θ) }
      rejects(what) { _ = try FISTA().solve(condition, θ, from: x) }
    }
    let λ3 = Vector<Double>([0.1, 0.1, 0.1])
    try check(LassoProximal(), λ3, Vector(b.scalars + [0.1, 0.1]), "lasso: λ of 2 for x of 3")
    try check(LassoProximal(), λ3, Vector(b.scalars + [0.1, .nan, 0.1]), "lasso: NaN λ")
    try check(ElasticNetProximal(), Vector([0.1, 0.1]), Vector(b.scalars + [0.1]), "elastic net: λ one short")
    try check(RidgeProximal(), Vector([1.0]), Vector(b.scalars + [-1]), "ridge prox: negative strength")
    try check(
      try GroupLassoProximal(groups: [[0, 5]]), Vector([0.1]), Vector(b.scalars + [0.1]),
      "group lasso: group index 5 for x of 3")
    try check(
      try GroupLassoProximal(groups: [[0], [1], [2]]), Vector([0.1, 0.1]), Vector(b.scalars + [0.1, 0.1]),
      "group lasso: λ of 2 for 3 groups")
    rejectsAny("group lasso: negative index") { _ = try GroupLassoProximal(groups: [[-1, 0]]) }
    rejectsAny("group lasso: negative size") { _ = try GroupLassoProximal(groupSizes: [2, -1]) }
  }

  // MARK: - Mirror descent and block coordinate descent

  static func mirrorDescent() throws {
    let objective = try LeastSquares(A: A)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap())
    let start = Vector<Double>([1.0 / 3, 1.0 / 3, 1.0 / 3])
    let solver = MirrorDescent(stepSize: 0.1, maxIterations: 50)
    rejects("θ of the wrong length") { _ = try solver.solve(condition, Vector([1, 2]), from: start) }
    rejects("start of the wrong length") { _ = try solver.solve(condition, b, from: Vector([0.5, 0.5])) }
    rejects("infeasible start") { _ = try solver.solve(condition, b, from: Vector([2, -1, 0])) }
    rejects("NaN start") { _ = try solver.solve(condition, b, from: Vector([.nan, 0.5, 0.5])) }
    rejects("NaN θ") { _ = try solver.solve(condition, Vector(repeating: .nan, count: 6), from: start) }
    rejects("zero step") { _ = try MirrorDescent(stepSize: 0).solve(condition, b, from: start) }
    rejects("NaN step") { _ = try MirrorDescent(stepSize: .nan).solve(condition, b, from: start) }
    rejects("NaN tolerance") { _ = try MirrorDescent(stepSize: 0.1, tolerance: .nan).solve(condition, b, from: start) }
    rejects("differentiator: θ of the wrong length") {
      _ = try ImplicitDifferentiator(condition).jacobian(at: start, Vector([1, 2]))
    }
    rejects("negative step size") {
      _ = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap(), stepSize: -1)
    }
  }

  static func blockCoordinateDescent() throws {
    let objective = try LeastSquares(A: A)
    let condition = try BlockCoordinateDescentCondition(
      objective: objective, blockProjection: L2BallProjection(), projectionParameter: 1.0,
      blocks: try BlockPartition(blockSize: 1, dimension: 3), objectiveParameterCount: 6)
    let solver = BlockCoordinateDescent(maxSweeps: 50)
    rejects("θ of the wrong length") { _ = try solver.solve(condition, Vector([1, 2, 3]), from: .zeros(3)) }
    rejects("start of the wrong length") { _ = try solver.solve(condition, b, from: .zeros(2)) }
    rejects("NaN start") { _ = try solver.solve(condition, b, from: Vector([.nan, 0, 0])) }
    rejects("NaN θ") { _ = try solver.solve(condition, Vector(repeating: .nan, count: 6), from: .zeros(3)) }
    rejects("negative tolerance") { _ = try BlockCoordinateDescent(tolerance: -1).solve(condition, b, from: .zeros(3)) }
    rejects("NaN tolerance") { _ = try BlockCoordinateDescent(tolerance: .nan).solve(condition, b, from: .zeros(3)) }
    rejects("blocks of the wrong dimension") {
      let c = try BlockCoordinateDescentCondition(
        objective: objective, blockProjection: L2BallProjection(), projectionParameter: 1.0,
        blocks: try BlockPartition(blockSize: 2, dimension: 4), objectiveParameterCount: 6)
      _ = try solver.solve(c, b, from: .zeros(3))
    }
    rejectsAny("a partition with a zero block") { _ = try BlockPartition(sizes: [1, 0, 2]) }
    rejectsAny("a partition with a negative block") { _ = try BlockPartition(blockSize: -1, dimension: 3) }
  }

  // MARK: - Stationarity: objectives and minimisers

  static func objectiveConstructors() {
    rejects("least squares: NaN A") { _ = try LeastSquares(A: Matrix([[1, .nan], [0, 1]])) }
    rejects("ridge regression: b of 5 for 6 rows") { _ = try RidgeRegression(A: A, b: Vector([1, 2, 3, 4, 5])) }
    rejects("ridge regression: infinite b") {
      _ = try RidgeRegression(A: A, b: Vector([1, 2, 3, 4, 5, .infinity]))
    }
    rejects("logistic: 5 labels for 6 rows") {
      _ = try BinaryLogisticRegression(features: A, labels: Vector([0, 1, 0, 1, 0]))
    }
    rejects("logistic: label 2") {
      _ = try BinaryLogisticRegression(features: A, labels: Vector([0, 1, 0, 1, 0, 2]))
    }
    rejects("SVM dual: Y with 5 rows for X with 6") {
      _ = try MulticlassSVMDual(X: A, Y: Matrix(repeating: 0, rows: 5, columns: 2))
    }
    rejects("SVM dual: NaN X") {
      _ = try MulticlassSVMDual(X: Matrix([[.nan, 1], [1, 1]]), Y: Matrix([[1, 0], [0, 1]]))
    }
    rejects("ridge condition: b of 5 for 6 rows") { _ = try RidgeCondition(A: A, b: Vector([1, 2, 3, 4, 5])) }
  }

  static func minimizer(_ solver: some Minimizer) throws {
    let objective = try RidgeRegression(A: A, b: b)
    rejects("θ of 2 for one strength") { _ = try solver.solve(objective, Vector([1, 2]), from: .zeros(3)) }
    rejects("x0 of the wrong length") { _ = try solver.solve(objective, Vector([1]), from: .zeros(5)) }
    rejects("NaN θ") { _ = try solver.solve(objective, Vector([.nan]), from: .zeros(3)) }
    rejects("infinite x0") { _ = try solver.solve(objective, Vector([1]), from: Vector([0, -.infinity, 0])) }
    rejects("empty θ") { _ = try solver.solve(objective, Vector([]), from: .zeros(3)) }
    rejects("StationarityCondition: θ of 2") {
      _ = try ImplicitDifferentiator(StationarityCondition(objective, stronglyConvex: true))
        .jacobian(at: .zeros(3), Vector([1, 2]))
    }
  }

  static func badMinimizerSettings() throws {
    let objective = try RidgeRegression(A: A, b: b)
    let θ = Vector<Double>([1])
    rejects("gradient descent: zero step") {
      _ = try GradientDescent(stepSize: .fixed(0)).solve(objective, θ, from: .zeros(3))
    }
    rejects("gradient descent: NaN step") {
      _ = try GradientDescent(stepSize: .fixed(.nan)).solve(objective, θ, from: .zeros(3))
    }
    rejects("gradient descent: NaN tolerance") {
      _ = try GradientDescent(tolerance: .nan).solve(objective, θ, from: .zeros(3))
    }
    rejects("l-bfgs: negative tolerance") { _ = try LBFGS(tolerance: -1).solve(objective, θ, from: .zeros(3)) }
    rejects("newton-cg: NaN tolerance") { _ = try NewtonCG(tolerance: .nan).solve(objective, θ, from: .zeros(3)) }
  }

  // MARK: - Fixed points

  struct Contraction: FixedPointMap {
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { 0.5 * x + θ }
    func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
      try ImplicitError.checkDimension("θ", θ.count, expected: x.count)
    }
  }

  /// No `validate`, and `T(x, θ)` does not have the length of `x`.
  struct WrongLengthMap: FixedPointMap {
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { θ }
  }

  static func fixedPoint(_ solver: some FixedPointSolver) {
    rejects("θ of 2 for x of 3") { _ = try solver.solve(Contraction(), Vector([1, 2]), from: .zeros(3)) }
    rejects("T(x) of 2 entries for x of 3") { _ = try solver.solve(WrongLengthMap(), Vector([1, 2]), from: .zeros(3)) }
    // NaN data: a typed error or a flagged (not converged) result.
    for (θ, x0) in [(Vector<Double>([1, 2]), Vector<Double>([.nan, 0])), (Vector([.nan, 2]), Vector([0, 0]))] {
      let result = try? solver.solve(Contraction(), θ, from: x0)
      #expect(result?.isConverged != true, "NaN θ or start")
    }
    rejects("differentiator: T(x) of the wrong length") {
      _ = try ImplicitDifferentiator(FixedPointCondition(WrongLengthMap())).jacobian(at: .zeros(3), Vector([1, 2]))
    }
  }

  static func badFixedPointSettings() {
    let θ = Vector<Double>([1, 2])
    rejects("fixed point: zero damping") {
      _ = try FixedPointIteration(damping: 0).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("fixed point: NaN tolerance") {
      _ = try FixedPointIteration(tolerance: .nan).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("fixed point: negative iterations") {
      _ = try FixedPointIteration(maxIterations: -1).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("anderson: zero memory") {
      _ = try AndersonAcceleration(memory: 0).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("anderson: NaN mixing") {
      _ = try AndersonAcceleration(mixing: .nan).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("anderson: NaN tolerance") {
      _ = try AndersonAcceleration(tolerance: .nan).solve(Contraction(), θ, from: .zeros(2))
    }
    rejects("anderson: negative tolerance") {
      _ = try AndersonAcceleration(tolerance: -1).solve(Contraction(), θ, from: .zeros(2))
    }
  }

  // MARK: - Quadratic programs

  static func quadraticPrograms(_ solver: some QuadraticProgramSolver) {
    let Q = spd, c = Vector<Double>([1, 2, 3])
    let E = Matrix<Double>([[1, 1, 1]]), G = Matrix<Double>([[1, 0, 0], [0, 1, 0]])
    let cases: [(QuadraticProgram, Comment)] = [
      (QuadraticProgram(Q: Q, c: Vector([1, 2])), "c of 2 for Q 3 × 3"),
      (QuadraticProgram(Q: A, c: c), "Q not square"),
      (QuadraticProgram(Q: Q, c: c, E: E, d: Vector([1, 2])), "d of 2 for E with 1 row"),
      (QuadraticProgram(Q: Q, c: c, E: Matrix([[1, 1]]), d: Vector([1])), "E with 2 columns for x of 3"),
      (QuadraticProgram(Q: Q, c: c, G: G, h: Vector([1])), "h of 1 for G with 2 rows"),
      (QuadraticProgram(Q: Q, c: Vector([1, .nan, 3])), "NaN c"),
      (QuadraticProgram(Q: Q, c: c, G: G, h: Vector([1e308, .infinity])), "infinite h"),
      (
        QuadraticProgram(Q: Q, c: c, E: Matrix([[1, 1, 1], [1, 1, 1]]), d: Vector([1, 2])), "inconsistent equalities"
      ),
      (QuadraticProgram(Q: Matrix([[1, 0, 0], [0, -1, 0], [0, 0, 1]]), c: c), "Q indefinite"),
    ]
    for (program, what) in cases {
      do {
        let result = try solver.solve(program)
        #expect(!result.isConverged, what)
      } catch {
        #expect(error is ImplicitError || error is QuadraticProgramError, what)
      }
    }
  }

  static func quadraticProgramKKT() {
    let program = QuadraticProgram(Q: spd, c: Vector([1, 2]))
    let point = KKTSolution(primal: .zeros(3))
    rejects("KKT condition: c of 2 for Q 3 × 3") {
      _ = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(at: point, program)
    }
    let good = QuadraticProgram(Q: spd, c: Vector([1, 2, 3]))
    rejects("KKT condition: primal of 2 for Q 3 × 3") {
      _ = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(
        at: KKTSolution(primal: .zeros(2)), good)
    }
  }

  // MARK: - Ridge's own closed-form solves

  static func ridgeSolves() throws {
    let dup = try RidgeCondition(A: Matrix([[1, 1], [2, 2], [3, 3]]), b: Vector([1, 2, 3]))
    rejects("θ = 0 with a duplicate column (singular)") { _ = try dup.solve(0) }
    rejects("NaN θ") { _ = try dup.solve(.nan) }
    rejects("θ = -1e308") { _ = try dup.solve(-1e308) }
    let perFeature = try PerFeatureRidgeCondition(A: A, b: b)
    rejects("per-feature θ of 2 for 3 columns") { _ = try perFeature.solve(Vector([1, 2])) }
    rejects("per-feature NaN θ") { _ = try perFeature.solve(Vector([1, .nan, 1])) }
    rejects("per-feature: b of 5") { _ = try PerFeatureRidgeCondition(A: A, b: Vector([1, 2, 3, 4, 5])) }
    rejects("per-feature jacobian: θ of 2") {
      _ = try ImplicitDifferentiator(perFeature).jacobian(at: .zeros(3), Vector([1, 2]))
    }
  }

  // MARK: - Singular systems, empty data, the convenience wrappers

  static func singularSystems() throws {
    let m = Matrix<Double>([[1, 2], [2, 4]])
    let op = LinearOperator(template: Vector<Double>.zeros(2), structure: .symmetric, apply: { m * $0 })
    let solvers: [any LinearSolver] = [
      ConjugateGradient(), GMRES(), BiCGSTAB(), NormalConjugateGradient(), DenseLU(), DenseCholesky(),
      AutomaticLinearSolver(),
    ]
    for solver in solvers {
      let r = solver.solve(op, Vector<Double>([1, 0]))  // not in the range of A
      #expect(!r.isConverged, "\(solver) on a singular A: \(r.status)")
    }
    // Ridge with a duplicate column at θ = 0: A = ∂F/∂x is singular.
    let dup = Matrix<Double>([[1, 1], [2, 2], [3, 3]])
    let d = ImplicitDifferentiator(try RidgeCondition(A: dup, b: Vector([1, 2, 3])))
    for solver in solvers {
      let options = ImplicitOptions(linearSolver: solver)
      let di = ImplicitDifferentiator(d.condition, options: options)
      do {
        let j = try di.jacobian(at: Vector([0.5, 0.5]), 0)
        #expect(!j.diagnostics.isReliable, "\(solver): singular A, jacobian")
      } catch is ImplicitError {}
      do {
        let v = try di.vjp(Vector([1, 0]), at: Vector([0.5, 0.5]), 0)
        #expect(!v.diagnostics.isReliable, "\(solver): singular A, vjp")
      } catch is ImplicitError {}
      do {
        let t = try di.jvp(1, at: Vector([0.5, 0.5]), 0)
        #expect(!t.diagnostics.isReliable, "\(solver): singular A, jvp")
      } catch is ImplicitError {}
    }
  }

  static func emptyData() throws {
    let empty = Matrix<Double>(rows: 0, columns: 0, scalars: [])
    _ = try? RidgeCondition(A: empty, b: Vector([]))
    _ = try? RidgeRegression(A: empty, b: Vector([]))
    _ = try? LeastSquares(A: empty)
    _ = try? BinaryLogisticRegression(features: empty, labels: Vector([]))
    _ = try? MulticlassSVMDual(X: empty, Y: empty)
    if let ridge = try? RidgeCondition(A: Matrix(rows: 0, columns: 3, scalars: []), b: Vector([])) {
      // No data: A = θI, still a valid system for θ > 0; at θ = 0 it is singular.
      _ = try? ImplicitDifferentiator(ridge).jacobian(at: .zeros(3), 1)
      if let j = try? ImplicitDifferentiator(ridge).jacobian(at: .zeros(3), 0) {
        #expect(!j.diagnostics.isReliable, "empty data at θ = 0")
      }
    }
    let objective = try LeastSquares(A: A)
    rejects("FISTA: empty x0") {
      let c = try ProximalGradientCondition(
        objective: objective, prox: LassoProximal(), objectiveParameterCount: 6, proxParameter: Vector([0.1]))
      _ = try FISTA().solve(c, Vector(b.scalars + [0.1]), from: Vector([]))
    }
    let qp = QuadraticProgram(Q: empty, c: Vector([]))
    for solver in [ActiveSetQPSolver() as any QuadraticProgramSolver, ADMMQPSolver(), EqualityQPSolver()] {
      _ = try? solver.solve(qp)
    }
    #expect(NDArray(shape: [3, 2], values: [1, 2, 3]).matrix == nil, "NDArray: shape 3×2 with 3 values")
    #expect(NDArray(shape: [-1, -3], values: [1, 2, 3]).matrix == nil, "NDArray: negative shape")
  }

  static func convenienceWrappers() throws {
    let objective = try RidgeRegression(A: A, b: b)
    let fit = ImplicitFunction(
      minimizing: objective, stronglyConvex: true, solver: GradientDescent(), initialGuess: .zeros(3))
    let g = gradient(at: Vector<Double>([1, 2])) { θ in fit(θ).sum() }  // θ of 2 for one strength
    #expect(allNaN(g), "minimizing: wrong-length θ")
    let g0 = gradient(at: Vector<Double>([.nan])) { θ in fit(θ).sum() }
    #expect(allNaN(g0), "minimizing: NaN θ")
    let fixed = ImplicitFunction(fixedPointOf: Contraction(), solver: FixedPointIteration(), initialGuess: .zeros(3))
    let h = gradient(at: Vector<Double>([1, 2])) { θ in fixed(θ).sum() }  // θ of 2 for x of 3
    #expect(allNaN(h), "fixedPointOf: wrong-length θ")
  }

  // MARK: - The registry

  /// A case built in code, with shapes that do not match their values.
  struct InconsistentCase: CaseData {
    var family: String
    var arrays: [String: CaseArray]
    var thetaNames: [String]
    var file: String { "in-code" }
    var method: String? { nil }
    func input(_ name: String) -> CaseArray? { arrays[name] }
    func formatError(field: String, message: String) -> any Error {
      ImplicitError.invalidArgument("\(field): \(message)")
    }
  }

  /// Solves the instance at its parameter, then its Jacobian and outputs.
  static func run<I: RunnableInstance>(_ instance: I) throws {
    let x = try instance.solve(instance.parameter, tolerance: 1e-10)
    _ = try instance.jacobian(at: x)
    _ = try instance.outputs(at: x)
  }

  static func registry() throws {
    let registry = FamilyRegistry()
    try AllFamilies.register(in: registry)
    let a: CaseArray = ([6, 3], A.scalars)
    let cases: [(InconsistentCase, Comment)] = [
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": ([3, 2], [1, 2, 3, 4, 5]), "b": ([3], [1, 2, 3]), "theta": ([], [1])],
          thetaNames: ["theta"]), "A: shape 3×2 with 5 values"
      ),
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": a, "b": ([4], [1, 2, 3, 4]), "theta": ([], [1])], thetaNames: ["theta"]),
        "b of 4 for A with 6 rows"
      ),
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": ([-6, -3], A.scalars), "b": ([6], b.scalars), "theta": ([], [1])],
          thetaNames: ["theta"]), "negative shape"
      ),
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": a, "b": ([6], b.scalars), "theta": ([2], [1, 2])], thetaNames: ["theta"]),
        "theta of 2 entries"
      ),
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": a, "b": ([6], b.scalars), "theta": ([], [])], thetaNames: ["theta"]),
        "empty theta"
      ),
      (
        InconsistentCase(
          family: "ridge", arrays: ["A": a, "b": ([6], b.scalars), "theta": ([], [.nan])], thetaNames: ["theta"]),
        "NaN theta"
      ),
      (InconsistentCase(family: "no-such-family", arrays: [:], thetaNames: []), "unknown family"),
    ]
    for (data, what) in cases {
      rejectsAny(what) {
        try run(try registry.instance(for: data))
      }
    }
    // The same through the reference-case format and the one evaluator.
    let texts = [
      #"{"format": "implicit-case/1", "id": "r", "family": "ridge", "data": {"A": [[1, 2], [3]], "b": [1, 2]}, "theta": {"theta": 1}, "outputs": {"x": {"value": [0, 0]}}}"#,
      #"{"format": "implicit-case/1", "id": "b", "family": "ridge", "data": {"A": [[1, 2], [3, 4]], "b": [1, 2, 3]}, "theta": {"theta": 1}, "outputs": {"x": {"value": [0, 0]}}}"#,
      #"{"format": "implicit-case/1", "id": "t", "family": "ridge", "data": {"A": [[1, 2], [3, 4]], "b": [1, 2]}, "theta": {"theta": [1, 2, 3]}, "outputs": {"x": {"value": [0, 0]}}}"#,
      #"{"format": "implicit-case/1", "id": "h", "family": "ridge", "data": {"A": [[1e308, 1e308], [1e308, 1e308]], "b": [1e308, -1e308]}, "theta": {"theta": 1e308}, "outputs": {"x": {"value": [0, 0]}}}"#,
    ]
    for text in texts {
      do {
        let c = try ReferenceCase(json: Data(text.utf8), file: "in-code.json")
        let evaluation = try registry.evaluate(c)
        #expect(!CaseCheck(c, evaluation: evaluation, tolerance: 1e-8).passed, "\(text)")
      } catch {}
    }
  }
}
