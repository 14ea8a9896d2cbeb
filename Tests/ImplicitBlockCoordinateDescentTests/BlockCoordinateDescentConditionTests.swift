import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

@Suite("Block-coordinate-descent condition")
struct BlockCoordinateDescentConditionTests {
  func coupledCondition(stepSize: Double = 1) throws -> BlockCoordinateDescentCondition<
    CoupledQuadratic, SimplexProjection
  > {
    try BlockCoordinateDescentCondition(
      objective: CoupledQuadratic(Q: randomSPD(6, seed: 4), center: Vector([0.5, 0.1, 0.4, 0.2, 0.2, 0.6])),
      blockProjection: SimplexProjection(), projectionParameter: 1, blocks: BlockPartition(blockSize: 3, dimension: 6),
      objectiveParameterCount: 6, stepSize: stepSize)
  }

  /// `A` and `B` from the hand-written pullback (through Swift's AD, which uses the explicit
  /// `@derivative`) and the forward products, versus central differences of `F` itself, at a
  /// point where one projection has a zero entry (away from ties).
  @Test func explicitDerivativeMatchesFiniteDifferencesOfTheResidual() throws {
    let condition = try coupledCondition(stepSize: 0.4)
    let x = Vector([0.2, 0.5, 0.3, 0.6, 0.1, 0.3])
    let θ = Vector([0.3, -0.1, 2.5, 0.9, -0.4, 0.2])
    #expect(condition.prox.projected(condition.proxInput(at: x, θ)).scalars.contains(0))
    let (_, pb) = valueWithPullback(at: x, θ) { x, θ in condition(x, θ) }
    var a = Matrix<Double>.zeros(rows: 6, columns: 6), b = Matrix<Double>.zeros(rows: 6, columns: 6)
    for r in 0..<6 {
      let (dx, dθ) = pb(Vector.basis(r, count: 6))
      for c in 0..<6 {
        a[r, c] = dx[c]
        b[r, c] = dθ[c]
      }
    }
    let fdA = TestSupport.finiteDifferenceJacobian(at: x, step: 1e-6) { condition($0, θ) }
    let fdB = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-6) { condition(x, $0) }
    #expect(relativeError(a, fdA) < 1e-8)
    #expect(relativeError(b, fdB) < 1e-8)
    let v = Vector([0.3, -1.0, 0.5, 0.2, 0.9, -0.1]), t = Vector([-0.4, 0.1, 0.8, -0.6, 0.3, 0.5])
    let av = try #require(condition.solutionJacobianProduct(v, at: x, θ))
    let bt = try #require(condition.parameterJacobianProduct(t, at: x, θ))
    #expect(relativeError(av, fdA * v) < 1e-8)
    #expect(relativeError(bt, fdB * t) < 1e-8)
  }

  /// A generic objective (automatic block gradients and curvatures): BCD reaches the solution an
  /// independent projected-gradient solver finds, `F` vanishes there, and the implicit Jacobian
  /// matches central differences of re-solving.
  @Test func genericObjectiveSolutionAndJacobian() throws {
    let condition = try coupledCondition()
    let objective = condition.objective
    let θ = Vector([0.3, -0.1, 1.5, 0.9, -0.4, 0.2])
    let start = Vector(repeating: 1.0 / 3, count: 6)
    let solver = BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 100_000)
    let lipschitz = objective.Q.squaredSpectralNorm().squareRoot()
    func reference(_ θ: Vector<Double>) -> Vector<Double> {
      referenceRowSimplexSolve(start: start, columns: 3, lipschitz: lipschitz) { objective.gradient(at: $0, θ) }
    }
    let x = try solver.solve(condition, θ, from: start).solution
    #expect(x.scalars.contains(0))
    #expect(relativeError(x, reference(θ)) < 1e-12)
    #expect(condition(x, θ).norm() < 1e-14)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: x, θ).matrix
    let fd = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-5, reference)
    #expect(relativeError(implicit, fd) < 1e-7)
  }

  /// The SVM dual through the blockwise condition on a small random problem, against central
  /// differences of re-solving with an independent solver.
  @Test func svmJacobianMatchesFiniteDifferencesOfResolving() throws {
    let svm = try randomSVM(samples: 8, features: 3, classes: 3, seed: 17)
    let theta = 0.7
    let condition = try BlockCoordinateDescentCondition(
      objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: 3, dimension: 24), objectiveParameterCount: 1)
    let beta = try BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 100_000)
      .solve(condition, Vector([theta]), from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
      .solution
    #expect(beta.scalars.contains(0))
    #expect(condition(beta, Vector([theta])).norm() < 1e-13)
    let gradient = SVMGradient(svm)
    func reference(_ theta: Double) -> Vector<Double> {
      referenceRowSimplexSolve(start: svm.uniformStart, columns: 3, lipschitz: svm.lipschitzConstant(theta)) {
        gradient($0, theta: theta)
      }
    }
    #expect(relativeError(beta, reference(theta)) < 1e-10)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: beta, Vector([theta])).matrix
    let fd = TestSupport.finiteDifferenceJacobian(at: Vector([theta]), step: 1e-5) { reference($0[0]) }
    #expect(relativeError(implicit, fd) < 1e-6)
  }
}
