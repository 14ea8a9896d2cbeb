import ImplicitCore
import ImplicitGradientStep
import ImplicitProjections
import ImplicitProximal
import ImplicitTestSupport
import Testing

/// The implicit Jacobian through the proximal-gradient condition against three independent
/// references: finite differences of re-solving, the lasso's closed form on the support, and
/// reverse-mode AD through unrolled ISTA / FISTA.
@Suite("Implicit Jacobian of proximal-gradient roots")
struct ImplicitJacobianTests {
  func solvedLasso(seed: UInt64) throws -> (problem: LassoProblem, x: Vector<Double>, jacobian: Matrix<Double>) {
    let problem = try LassoProblem.random(seed: seed)
    let x = try problem.solve(problem.θ)
    try #require(
      problem.condition.degeneracies(at: x, problem.θ, tolerance: 1e-3).isEmpty, "fixture too close to a kink")
    let jacobian = try ImplicitDifferentiator(problem.condition).jacobian(at: x, problem.θ)
    #expect(jacobian.diagnostics.isReliable && jacobian.diagnostics.degeneracies.isEmpty)
    return (problem, x, jacobian.matrix)
  }

  @Test(arguments: [UInt64(1), 2, 3])
  func lassoMatchesFiniteDifferencesOfResolving(seed: UInt64) throws {
    let (problem, _, jacobian) = try solvedLasso(seed: seed)
    let fd = problem.finiteDifferenceJacobian(at: problem.θ)
    #expect(TestSupport.relativeError(jacobian, fd) <= 1e-7)
  }

  @Test(arguments: [UInt64(1), 2, 3])
  func lassoMatchesTheClosedFormOnTheSupport(seed: UInt64) throws {
    let (problem, x, jacobian) = try solvedLasso(seed: seed)
    let closedForm = try #require(lassoClosedFormJacobian(A: problem.A, x: x))
    #expect(TestSupport.relativeError(jacobian, closedForm) <= 1e-12)
  }

  @Test(arguments: [false, true])
  func lassoMatchesADThroughUnrolledIterations(accelerated: Bool) throws {
    let (problem, _, jacobian) = try solvedLasso(seed: 2)
    let unrolled = UnrolledLasso(
      A: problem.A, stepSize: problem.condition.stepSize, iterations: accelerated ? 600 : 1500, accelerated: accelerated
    )
    #expect(TestSupport.relativeError(unrolled(problem.θ), try problem.solve(problem.θ)) <= 1e-10)
    #expect(TestSupport.relativeError(jacobian, unrolled.jacobian(at: problem.θ)) <= 1e-8)
  }

  @Test func jvpAndVjpAgreeWithTheJacobian() throws {
    let (problem, x, jacobian) = try solvedLasso(seed: 1)
    let differentiator = ImplicitDifferentiator(
      problem.condition,
      options: ImplicitOptions(linearSolver: GMRES(restart: 20, relativeTolerance: 1e-13)))
    var rng = SeededGenerator(seed: 2)
    let t = rng.normalVector(problem.θ.count), v = rng.normalVector(x.count)
    let jvp = try differentiator.jvp(t, at: x, problem.θ).value
    let vjp = try differentiator.vjp(v, at: x, problem.θ).value
    #expect(TestSupport.relativeError(jvp, jacobian * t) <= 1e-9)
    #expect(TestSupport.relativeError(vjp, jacobian.transposed() * v) <= 1e-9)
  }

  @Test func elasticNetMatchesFiniteDifferencesInBothParametrisations() throws {
    var rng = SeededGenerator(seed: 31)
    let A = rng.normalMatrix(rows: 9, columns: 6), b = rng.normalVector(9)
    let λ = Vector([0.25 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1), 0.6])
    try expectMatchesFiniteDifferences(PenalizedLeastSquares(A: A, b: b, prox: ElasticNetProximal(), λ: λ))
    try expectMatchesFiniteDifferences(PenalizedLeastSquares(A: A, b: b, prox: JAXoptElasticNetProximal(), λ: λ))
  }

  @Test func groupLassoMatchesFiniteDifferences() throws {
    var rng = SeededGenerator(seed: 41)
    let A = rng.normalMatrix(rows: 12, columns: 7), b = rng.normalVector(12)
    let prox = try GroupLassoProximal(groups: [[0, 1, 2], [3, 4], [5, 6]])
    let problem = try PenalizedLeastSquares(A: A, b: b, prox: prox, λ: Vector([1.2, 2.5, 0.8]))
    let x = try problem.solve(problem.θ)
    try #require(problem.condition.degeneracies(at: x, problem.θ, tolerance: 1e-3).isEmpty)
    try expectMatchesFiniteDifferences(problem)
  }

  @Test func simplexConstrainedLeastSquaresMatchesFiniteDifferences() throws {
    var rng = SeededGenerator(seed: 43)
    let A = rng.normalMatrix(rows: 8, columns: 5), b = rng.normalVector(8)
    let problem = try PenalizedLeastSquares(A: A, b: b, prox: ProjectionProximal(SimplexProjection()), λ: 1.0)
    try expectMatchesFiniteDifferences(problem)
  }

  func expectMatchesFiniteDifferences<P: ProximalOperator>(
    _ problem: PenalizedLeastSquares<P>, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let x = try problem.solve(problem.θ)
    let residual = problem.condition(x, problem.θ).norm()
    #expect(residual <= 1e-12, "‖F‖ = \(residual)", sourceLocation: sourceLocation)
    let options = ImplicitOptions(policy: DerivativePolicy(degeneracy: .flag))
    let jacobian = try ImplicitDifferentiator(problem.condition, options: options).jacobian(at: x, problem.θ)
    let fd = problem.finiteDifferenceJacobian(at: problem.θ)
    #expect(TestSupport.relativeError(jacobian.matrix, fd) <= 1e-7, sourceLocation: sourceLocation)
  }
}
