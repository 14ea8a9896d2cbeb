import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// `FISTA.unrolled`: reverse-mode AD through the iterations, against the hand-written unrolled
/// lasso (same schedule, independent code) and, once converged, against the implicit derivative.
@Suite("Unrolled differentiation through FISTA")
struct UnrolledDifferentiationTests {
  /// `∂x_K/∂θ`, one reverse pass per output.
  func unrolledJacobian(
    _ f: @differentiable(reverse) (Vector<Double>) -> Vector<Double>, at θ: Vector<Double>, outputs n: Int
  ) -> Matrix<Double> {
    let (_, pb) = valueWithPullback(at: θ, of: f)
    var j = Matrix<Double>.zeros(rows: n, columns: θ.count)
    for i in 0..<n {
      let row = pb(.basis(i, count: n))
      for c in 0..<θ.count { j[i, c] = row.isEmpty ? 0 : row[c] }
    }
    return j
  }

  /// A differentiable function cannot throw: a bad step gives NaN (it trapped before).
  @Test func badStepGivesNaNNotATrap() throws {
    let problem = try LassoProblem.random(seed: 8)
    for step in [Double.nan, 0, -1, .infinity] {
      let x = FISTA.fixedIterations(5, stepSize: step).unrolled(problem.condition, problem.θ, from: Vector.zeros(6))
      #expect(x.count == 6 && x.scalars.allSatisfy(\.isNaN), "step \(step)")
    }
  }

  @Test func fewIterationsMatchTheHandWrittenUnrolledLasso() throws {
    let problem = try LassoProblem.random(seed: 8)
    let η = problem.condition.stepSize
    for accelerated in [true, false] {
      let solver = FISTA.fixedIterations(30, stepSize: η, acceleration: accelerated)
      let reference = UnrolledLasso(A: problem.A, stepSize: η, iterations: 30, accelerated: accelerated)
      let jacobian = unrolledJacobian(
        { θ in solver.unrolled(problem.condition, θ, from: Vector.zeros(6)) }, at: problem.θ, outputs: 6)
      #expect(TestSupport.relativeError(jacobian, reference.jacobian(at: problem.θ)) <= 1e-12)
      let value = solver.unrolled(problem.condition, problem.θ, from: Vector.zeros(6))
      let run = try solver.solve(problem.condition, problem.θ, from: Vector.zeros(6))
      #expect(TestSupport.relativeError(value, run.solution) <= 1e-13)
    }
  }

  /// Strongly convex lasso (tall `A` of full column rank): converged iterations give the implicit
  /// derivative.
  @Test func convergedLassoAgreesWithTheImplicitDerivative() throws {
    let problem = try LassoProblem.random(seed: 2)
    let x = try problem.solve(problem.θ)
    let implicit = try ImplicitDifferentiator(problem.condition).jacobian(at: x, problem.θ).matrix
    let solver = FISTA.fixedIterations(600, stepSize: problem.condition.stepSize)
    let unrolled = unrolledJacobian(
      { θ in solver.unrolled(problem.condition, θ, from: Vector.zeros(6)) }, at: problem.θ, outputs: 6)
    #expect(TestSupport.relativeError(unrolled, implicit) <= 1e-8)
  }

  /// Non-negative least squares (a projection as the prox), `θ = b`.
  @Test func convergedNNLSAgreesWithTheImplicitDerivative() throws {
    var rng = SeededGenerator(seed: 6)
    let A = rng.normalMatrix(rows: 10, columns: 5)
    let b = A * Vector([1, -1, 0.5, -0.5, 1]) + rng.normalVector(10, scale: 0.1)
    let η = 1 / A.squaredSpectralNorm()
    let nnls = try ProximalGradientCondition(
      objective: LeastSquares(A: A), projection: NonNegativeProjection(), objectiveParameterCount: 10,
      projectionParameter: Vector([]), stepSize: η)
    let x = try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(nnls, b, from: .zeros(5)).converged()
    #expect(x.scalars.contains(0) && x.scalars.contains { $0 > 0 })
    let implicit = try ImplicitDifferentiator(nnls).jacobian(at: x, b).matrix
    let solver = FISTA.fixedIterations(800, stepSize: η)
    let unrolled = unrolledJacobian({ θ in solver.unrolled(nnls, θ, from: Vector.zeros(5)) }, at: b, outputs: 5)
    #expect(TestSupport.relativeError(unrolled, implicit) <= 1e-8)
  }
}
