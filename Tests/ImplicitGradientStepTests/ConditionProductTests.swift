import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// The condition's hand-written products against finite differences of `F`, against each other
/// (adjointness) and against Swift AD through `callAsFunction`; its root at FISTA's solution.
@Suite("Proximal-gradient condition")
struct ConditionProductTests {
  let problem: LassoProblem
  init() throws { problem = try LassoProblem.random(seed: 3) }

  /// A point away from the solution with every prox input away from its kink.
  func probePoint() throws -> (x: Vector<Double>, θ: Vector<Double>) {
    var rng = SeededGenerator(seed: 5)
    let x = rng.normalVector(problem.A.columns)
    let θ = problem.θ
    try #require(problem.condition.degeneracies(at: x, θ, tolerance: 1e-3).isEmpty)
    return (x, θ)
  }

  @Test func rootAtFISTASolution() throws {
    let run = try FISTA(tolerance: 1e-12).solve(problem.condition, problem.θ, from: Vector.zeros(problem.A.columns))
    #expect(run.isConverged)
    let residual = problem.condition(run.solution, problem.θ)
    #expect(residual.norm() <= problem.condition.stepSize * 1e-12 * 1.0001)
    #expect(run.solution.scalars.contains(0), "the fixture should have an inactive coordinate")
  }

  @Test func productsMatchFiniteDifferencesOfTheResidual() throws {
    let (x, θ) = try probePoint()
    let c = problem.condition
    let fdA = TestSupport.finiteDifferenceJacobian(at: x) { c($0, θ) }
    let fdB = TestSupport.finiteDifferenceJacobian(at: θ) { c(x, $0) }
    let n = x.count
    var a = Matrix<Double>.zeros(rows: n, columns: n)
    for j in 0..<n {
      let column = try #require(c.solutionJacobianProduct(.basis(j, count: n), at: x, θ))
      for i in 0..<n { a[i, j] = column[i] }
    }
    var b = Matrix<Double>.zeros(rows: n, columns: θ.count)
    for j in 0..<θ.count {
      let column = try #require(c.parameterJacobianProduct(.basis(j, count: θ.count), at: x, θ))
      for i in 0..<n { b[i, j] = column[i] }
    }
    #expect(TestSupport.relativeError(a, fdA) <= 1e-7)
    #expect(TestSupport.relativeError(b, fdB) <= 1e-7)
  }

  @Test func transposedProductsAreAdjoint() throws {
    let (x, θ) = try probePoint()
    let c = problem.condition
    var rng = SeededGenerator(seed: 9)
    for _ in 0..<3 {
      let u = rng.normalVector(x.count), v = rng.normalVector(x.count), t = rng.normalVector(θ.count)
      let av = try #require(c.solutionJacobianProduct(v, at: x, θ))
      let atu = try #require(c.solutionJacobianTransposedProduct(u, at: x, θ))
      let bt = try #require(c.parameterJacobianProduct(t, at: x, θ))
      let btu = try #require(c.parameterJacobianTransposedProduct(u, at: x, θ))
      #expect(abs(u.dot(av) - atu.dot(v)) <= 1e-12 * max(1, abs(u.dot(av))))
      #expect(abs(u.dot(bt) - btu.dot(t)) <= 1e-12 * max(1, abs(u.dot(bt))))
    }
  }

  @Test func swiftADThroughTheConditionUsesTheExactProducts() throws {
    let (x, θ) = try probePoint()
    let c = problem.condition
    let u = SeededGenerator(seed: 13).normalVectorCopy(x.count)
    let (gx, gθ) = pullback(at: x, θ) { x, θ in c(x, θ) }(u)
    let atu = try #require(c.solutionJacobianTransposedProduct(u, at: x, θ))
    let btu = try #require(c.parameterJacobianTransposedProduct(u, at: x, θ))
    #expect(TestSupport.relativeError(gx, atu) <= 1e-14)
    #expect(TestSupport.relativeError(gθ, btu) <= 1e-14)
    let onlyX = pullback(at: x) { x in c(x, θ) }(u)
    #expect(TestSupport.relativeError(onlyX, atu) <= 1e-14)
  }

  @Test func parameterLayoutRoundTrips() throws {
    let c = problem.condition
    let θ = c.packParameters(objective: problem.b, prox: Vector([0.25]))
    #expect(θ.count == c.parameterCount)
    let (θf, θg) = c.splitParameters(θ)
    #expect(θf == problem.b && θg == Vector([0.25]))
    #expect(throws: ImplicitError.self) { try c.validate(Vector.zeros(problem.A.columns), Vector([1, 2])) }
    #expect(throws: ImplicitError.self) {
      try c.validate(Vector.zeros(problem.A.columns), c.packParameters(objective: problem.b, prox: Vector([-1])))
    }
  }

  @Test func invalidStepSizeIsATypedError() {
    #expect(throws: ImplicitError.self) {
      try ProximalGradientCondition(
        objective: LeastSquaresInTarget(A: problem.A), prox: LassoProximal(), objectiveParameterCount: 10,
        proxParameter: Vector([1]), stepSize: 0)
    }
  }
}

extension SeededGenerator {
  /// A fresh normal vector from a copy of the generator.
  func normalVectorCopy(_ count: Int) -> Vector<Double> {
    var copy = self
    return copy.normalVector(count)
  }
}
