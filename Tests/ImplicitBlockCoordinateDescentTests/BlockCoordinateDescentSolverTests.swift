import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Suite("Block-coordinate-descent solver")
struct BlockCoordinateDescentSolverTests {
  func svmCondition(_ svm: MulticlassSVMDual) throws -> BlockCoordinateDescentCondition<
    MulticlassSVMDual, SimplexProjection
  > {
    try BlockCoordinateDescentCondition(
      objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: svm.classes, dimension: svm.samples * svm.classes),
      objectiveParameterCount: 1)
  }

  /// BCD on the catalogue's SVM dual reaches the solution JAXopt's mirror descent found (an
  /// independent solver with another condition): both methods agree on β*.
  @Test func svmBlockCoordinateDescentReachesMirrorDescentSolution() throws {
    let data = try SVMCaseData(file: "h_multiclass_svm_dual_mirror_descent_kl.json")
    let svm = try MulticlassSVMDual(X: data.X, Y: data.Y)
    let condition = try svmCondition(svm)
    let result = try BlockCoordinateDescent(tolerance: 1e-14, maxSweeps: 100_000)
      .solve(condition, Vector([data.theta]), from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
    #expect(result.status == .converged)
    #expect((result.solution - data.beta).norm() < 1e-9)
    #expect(condition(result.solution, Vector([data.theta])).norm() < 1e-13)
  }

  /// The closed-form block gradients and curvatures against automatic differentiation and
  /// `‖xᵢ‖²/θ` computed directly.
  @Test func svmBlockGradientsMatchAutomaticOnes() throws {
    let svm = try randomSVM(samples: 5, features: 4, classes: 3, seed: 8)
    let theta = Vector([1.7])
    var rng = SeededGenerator(seed: 1)
    let beta = rng.normalVector(15)
    let closed = MulticlassSVMDualBlockGradients(svm), automatic = AutomaticBlockGradients(svm)
    let blocks = try BlockPartition(blockSize: 3, dimension: 15)
    for (i, block) in blocks.ranges.enumerated() {
      let g1 = closed.blockGradient(at: beta, theta, block: block)
      let g2 = automatic.blockGradient(at: beta, theta, block: block)
      #expect(relativeError(g1, g2) < 1e-13)
      let row = svm.X.row(i)
      let expected = row.dot(row) / theta[0]
      #expect(abs(closed.blockLipschitzConstant(at: beta, theta, block: block) - expected) < 1e-13 * expected)
      #expect(abs(automatic.blockLipschitzConstant(at: beta, theta, block: block) - expected) < 1e-8 * expected)
    }
    #expect(throws: ImplicitError.self) { try closed.validate(BlockPartition(sizes: [3, 3, 3, 6]), theta) }
  }

  @Test func reportsNonConvergenceAndRunsFixedSweeps() throws {
    let svm = try randomSVM(samples: 6, features: 3, classes: 3, seed: 2)
    let condition = try svmCondition(svm)
    let partial = try BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 2)
      .solve(condition, Vector([1]), from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
    #expect(throws: ImplicitError.self) { try partial.converged() }
    #expect(partial.status == .maxIterationsReached)
    #expect(partial.iterations == 2 && partial.residual > 1e-15)
    let fixed = try BlockCoordinateDescent(fixedSweeps: 3)
      .solve(condition, Vector([1]), from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
    #expect(fixed.iterations == 3)
    #expect(fixed.status == .completedFixedIterations)
  }

  @Test func rejectsBadInput() throws {
    #expect(throws: ImplicitError.self) { try BlockPartition(blockSize: 4, dimension: 6) }
    #expect(throws: ImplicitError.self) { try BlockPartition(sizes: [2, 0]) }
    let svm = try randomSVM(samples: 4, features: 2, classes: 2, seed: 3)
    let condition = try svmCondition(svm)
    #expect(throws: ImplicitError.self) {
      _ = try BlockCoordinateDescent().solve(condition, Vector([1]), from: Vector([0.5, 0.5]))
    }
    #expect(throws: ImplicitError.self) {
      _ = try BlockCoordinateDescent()
        .solve(condition, Vector([-1]), from: svm.uniformStart, gradients: MulticlassSVMDualBlockGradients(svm))
    }
    #expect(throws: ImplicitError.self) {
      _ = try BlockCoordinateDescentCondition(
        objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
        blocks: BlockPartition(blockSize: 2, dimension: 8), objectiveParameterCount: 1, stepSize: .nan)
    }
  }
}
