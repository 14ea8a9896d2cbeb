import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import Testing

@Suite struct FISTAValidationTests {
  let A = Matrix<Double>(rows: 6, columns: 3, scalars: (0..<18).map { Double(($0 * 7) % 11) / 5 - 1 })

  @Test func wrongLengthTargetThrowsInsteadOfTrapping() throws {
    let condition = try ProximalGradientCondition(
      objective: try LeastSquares(A: A), prox: LassoProximal(), objectiveParameterCount: 4, proxParameter: Vector([0.1])
    )
    #expect(throws: ImplicitError.self) {
      try FISTA().solve(condition, Vector([1, 2, 3, 4, 0.1]), from: Vector.zeros(3))
    }
  }

  @Test func wrongLengthStartThrows() throws {
    let condition = try ProximalGradientCondition(
      objective: try LeastSquares(A: A), prox: LassoProximal(), objectiveParameterCount: 6, proxParameter: Vector([0.1])
    )
    #expect(throws: ImplicitError.self) {
      try FISTA().solve(condition, Vector([1, 2, 3, 4, 5, 6, 0.1]), from: Vector.zeros(4))
    }
    #expect(throws: ImplicitError.self) {
      try FISTA().solve(condition, Vector([1, 2, 3, 0.1]), from: Vector.zeros(3))
    }
  }

  @Test func projectedGradientIsTheProximalGradientCondition() throws {
    // min ½‖Ax − b‖² over x ≥ 0, solved by the one solver through the projection's prox.
    let b = Vector([1.0, -2, 0.5, 3, -1, 2])
    let condition = try ProximalGradientCondition(
      objective: try LeastSquares(A: A), projection: NonNegativeProjection(), objectiveParameterCount: 6,
      projectionParameter: Vector([]))
    let result = try FISTA(tolerance: 1e-12).solve(condition, b, from: Vector.zeros(3))
    let x = try result.converged()
    #expect(result.status == .converged)
    #expect(x.scalars.allSatisfy { $0 >= 0 })
    #expect(condition(x, b).norm() < 1e-10)
  }

  @Test func nonConvergenceIsAStatusNotAThrow() throws {
    let b = Vector([1.0, -2, 0.5, 3, -1, 2])
    let condition = try ProximalGradientCondition(
      objective: try LeastSquares(A: A), prox: LassoProximal(), objectiveParameterCount: 6, proxParameter: Vector([0.1])
    )
    let result = try FISTA(maxIterations: 2).solve(condition, Vector(b.scalars + [0.1]), from: Vector.zeros(3))
    #expect(result.status == .maxIterationsReached)
    #expect(throws: ImplicitError.self) { try result.converged() }
  }
}
