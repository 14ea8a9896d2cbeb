import ImplicitCore
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitTestSupport
import Testing

@Suite("Mirror-descent solver")
struct MirrorDescentSolverTests {
  @Test func reportsNonConvergenceAsTypedError() throws {
    let objective = EntropicQuadratic(Q: randomSPD(4, seed: 2), gamma: 0.01)
    let solver = MirrorDescent(stepSize: 0.1, tolerance: 1e-15, maxIterations: 5)
    let partial = try solver.solve(
      MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap()), Vector([1, 0, -1, 2]),
      from: Vector(repeating: 0.25, count: 4))
    #expect(throws: ImplicitError.self) { try partial.converged() }
    #expect(partial.status == .maxIterationsReached)
    #expect(partial.iterations == 5 && partial.residual > 1e-15)
  }

  @Test func fixedIterationModeRunsExactlyThatMany() throws {
    let objective = EntropicQuadratic(Q: randomSPD(4, seed: 2), gamma: 0.5)
    let result = try MirrorDescent(stepSize: 0.2, fixedIterations: 7)
      .solve(
        MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap()), Vector([1, 0, -1, 2]),
        from: Vector(repeating: 0.25, count: 4))
    #expect(result.iterations == 7)
    #expect(result.status == .completedFixedIterations)
    #expect(result.residual > 0)
  }

  @Test func rejectsInfeasibleStartAndBadStep() throws {
    let objective = SquaredDistance()
    #expect(throws: ImplicitError.self) {
      _ = try MirrorDescent(stepSize: 1).solve(
        MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap()), Vector([1, 0]),
        from: Vector([0.7, 0.7]))
    }
    #expect(throws: ImplicitError.self) {
      _ = try MirrorDescent(stepSize: -1).solve(
        MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap()), Vector([1, 0]),
        from: Vector([0.5, 0.5]))
    }
    #expect(throws: ImplicitError.self) {
      _ = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap(), stepSize: 0)
    }
    #expect(throws: ImplicitError.self) {
      _ = try MirrorDescent(stepSize: 1).solve(
        MirrorDescentCondition(objective: objective, mirrorMap: KLRowSimplexMirrorMap(columns: 2)), Vector([1, 0, 0]),
        from: Vector([0.5, 0.5, 1]))
    }
  }

  /// Mirror descent on the catalogue's SVM dual reaches the solution JAXopt's block coordinate
  /// descent found (an independent solver), and the condition vanishes there.
  @Test func svmMirrorDescentReachesBlockCoordinateDescentSolution() throws {
    let data = try SVMCaseData(file: "h_multiclass_svm_dual_block_coordinate_descent.json")
    let svm = try MulticlassSVMDual(X: data.X, Y: data.Y)
    let map = KLRowSimplexMirrorMap(columns: svm.classes)
    let gradient = SVMGradient(svm)
    let result = try MirrorDescent(
      stepSize: 1 / svm.lipschitzConstant(data.theta), tolerance: 1e-12, maxIterations: 100_000
    )
    .solve(mirrorMap: map, from: svm.uniformStart) { gradient($0, theta: data.theta) }
    #expect((result.solution - data.beta).norm() < 1e-8)
    let condition = try MirrorDescentCondition(objective: svm, mirrorMap: map)
    #expect(condition(result.solution, Vector([data.theta])).norm() < 1e-10)
  }

  /// The SVM dual's implicit derivative through the mirror-descent condition against central
  /// differences of re-solving (independent FISTA re-solves), on a small random problem.
  @Test func svmJacobianMatchesFiniteDifferencesOfResolving() throws {
    let svm = try randomSVM(samples: 8, features: 3, classes: 3, seed: 17)
    let theta = 0.7
    let beta = referenceSVMSolve(svm, theta: theta)
    #expect(beta.scalars.contains(0))  // the interesting case: zeros in β
    let condition = try MirrorDescentCondition(objective: svm, mirrorMap: KLRowSimplexMirrorMap(columns: svm.classes))
    #expect(condition(beta, Vector([theta])).norm() < 1e-12)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: beta, Vector([theta])).matrix
    let fd = TestSupport.finiteDifferenceJacobian(at: Vector([theta]), step: 1e-5) {
      referenceSVMSolve(svm, theta: $0[0])
    }
    #expect(implicit.isFinite)
    #expect(relativeError(implicit, fd) < 1e-6)
  }
}
