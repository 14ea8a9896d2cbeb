import ImplicitCore
import ImplicitGradientStep
import ImplicitProjectedGradient
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

/// `F(x, θ) = P(x − η∇f(x, θ_f), θ_C) − x`: its root, its products, and the implicit Jacobian
/// against finite differences of re-solving and against AD through an unrolled solver.
@Suite("Projected-gradient condition")
struct ProjectedGradientConditionTests {
  @Test func rootAtTheSolversSolution() throws {
    let box = BoxQPProblem()
    let x = try box.solve(box.parameter)
    #expect(box.condition(x, box.parameter).norm() <= 1e-12)
    // The instance is interesting: coordinates at both bounds and free ones.
    #expect((0..<box.n).contains { x[$0] == box.bounds.lower[$0] })
    #expect((0..<box.n).contains { x[$0] == box.bounds.upper[$0] })
    #expect((0..<box.n).contains { box.bounds.lower[$0] < x[$0] && x[$0] < box.bounds.upper[$0] })

    let ball = SoftplusBallProblem()
    let y = try ball.solve(ball.parameter)
    #expect(ball.condition(y, ball.parameter).norm() <= 1e-12)
    #expect(abs(y.norm() - ball.radius) <= 1e-12, "the ball constraint is active")
  }

  @Test func implicitJacobianMatchesFiniteDifferencesOfResolving() throws {
    let box = BoxQPProblem()
    let θ = box.parameter
    let implicit = try ImplicitDifferentiator(box.condition).jacobian(at: try box.solve(θ), θ).matrix
    let fd = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-5) { try! box.solve($0) }
    #expect(TestSupport.relativeError(implicit, fd) <= 1e-7)

    let ball = SoftplusBallProblem()
    let φ = ball.parameter
    let implicitBall = try ImplicitDifferentiator(ball.condition).jacobian(at: try ball.solve(φ), φ).matrix
    let fdBall = TestSupport.finiteDifferenceJacobian(at: φ, step: 1e-5) { try! ball.solve($0) }
    #expect(TestSupport.relativeError(implicitBall, fdBall) <= 1e-6)
  }

  @Test func implicitJacobianMatchesAnUnrolledSolver() throws {
    let box = BoxQPProblem()
    let n = box.n, Q = box.Q, eta = 1 / box.lipschitz
    // Plain projected gradient written with the differentiable projection; reverse mode runs
    // through every iteration (a contraction, so the unrolled Jacobian converges too).
    @differentiable(reverse)
    func unrolled(_ θ: Vector<Double>) -> Vector<Double> {
      let c = θ.slice(from: 0, count: n)
      let bounds = BoxBounds(lower: θ.slice(from: n, count: n), upper: θ.slice(from: 2 * n, count: n))
      var x = Vector<Double>.zeros(n)
      for _ in 0..<300 { x = BoxProjection()(x - eta * (Q * x + c), bounds) }
      return x
    }
    let θ = box.parameter
    let (value, pb) = valueWithPullback(at: θ, of: unrolled)
    var unrolledJacobian = Matrix<Double>.zeros(rows: n, columns: θ.count)
    for i in 0..<n {
      let row = pb(.basis(i, count: n))
      for j in 0..<θ.count { unrolledJacobian[i, j] = row[j] }
    }
    let x = try box.solve(θ)
    #expect((value - x).norm() <= 1e-12)
    let implicit = try ImplicitDifferentiator(box.condition).jacobian(at: x, θ).matrix
    #expect(TestSupport.relativeError(implicit, unrolledJacobian) <= 1e-10)
  }

  @Test func handWrittenProductsAgreeWithEachOtherAndWithFiniteDifferences() throws {
    let ball = SoftplusBallProblem()
    let condition = ball.condition
    let θ = ball.parameter
    let x = try ball.solve(θ)
    let n = ball.n, p = θ.count
    // A and B column by column from the forward products (projection jvp + gradientJVP) ...
    var a = Matrix<Double>.zeros(rows: n, columns: n), b = Matrix<Double>.zeros(rows: n, columns: p)
    for j in 0..<n {
      let column = try #require(condition.solutionJacobianProduct(.basis(j, count: n), at: x, θ))
      for i in 0..<n { a[i, j] = column[i] }
    }
    for j in 0..<p {
      let column = try #require(condition.parameterJacobianProduct(.basis(j, count: p), at: x, θ))
      for i in 0..<n { b[i, j] = column[i] }
    }
    // ... row by row from the reverse products (projection vjp + gradientPullback) ...
    var aRows = Matrix<Double>.zeros(rows: n, columns: n), bRows = Matrix<Double>.zeros(rows: n, columns: p)
    for i in 0..<n {
      let ra = try #require(condition.solutionJacobianTransposedProduct(.basis(i, count: n), at: x, θ))
      let rb = try #require(condition.parameterJacobianTransposedProduct(.basis(i, count: n), at: x, θ))
      for j in 0..<n { aRows[i, j] = ra[j] }
      for j in 0..<p { bRows[i, j] = rb[j] }
    }
    #expect(TestSupport.relativeError(a, aRows) <= 1e-13)
    #expect(TestSupport.relativeError(b, bRows) <= 1e-13)
    // ... the explicit derivative of callAsFunction gives reverse mode the same rows ...
    let (_, pullbackF) = valueWithPullback(at: x, θ) { x, θ in condition(x, θ) }
    for i in 0..<n {
      let (gx, gθ) = pullbackF(.basis(i, count: n))
      #expect((gx - aRows.row(i)).norm() <= 1e-14)
      #expect((gθ - bRows.row(i)).norm() <= 1e-14)
    }
    // ... and central differences of F itself (smooth here: the ball is active, off its kink).
    let fdA = TestSupport.finiteDifferenceJacobian(at: x) { condition($0, θ) }
    let fdB = TestSupport.finiteDifferenceJacobian(at: θ) { condition(x, $0) }
    #expect(TestSupport.relativeError(a, fdA) <= 1e-8)
    #expect(TestSupport.relativeError(b, fdB) <= 1e-8)
  }

  @Test func parameterLayoutRoundTrips() throws {
    let box = BoxQPProblem()
    let (c, bounds) = box.condition.splitParameters(box.parameter)
    #expect(c == box.c)
    #expect(bounds.lower == box.bounds.lower && bounds.upper == box.bounds.upper)
    #expect(box.condition.parameterCount == 3 * box.n)
  }

  @Test func badInputIsATypedError() throws {
    #expect(throws: ImplicitError.self) {
      try ProximalGradientCondition(
        objective: QuadraticObjective(Q: .identity(2)), projection: BoxProjection(), objectiveParameterCount: 2,
        projectionParameter: BoxBounds(lower: Vector.zeros(2), upper: Vector([1, 1])), stepSize: -1)
    }
    let box = BoxQPProblem()
    // θ of the wrong length is reported by the differentiator, not trapped.
    #expect(throws: ImplicitError.self) {
      try ImplicitDifferentiator(box.condition).jacobian(at: Vector.zeros(box.n), Vector.zeros(2))
    }
  }
}
