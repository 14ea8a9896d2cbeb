import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

/// The SVM oracle without its closed-form block-gradient pullback, so that the unrolled switch
/// takes the objective's `gradientPullback` (the default path); steps still differentiated.
struct SVMBlockGradientsWithoutPullback: BlockGradientOracle {
  let closed: MulticlassSVMDualBlockGradients
  func blockGradient(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double> {
    closed.blockGradient(at: x, θ, block: block)
  }
  func blockLipschitzConstant(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Double {
    closed.blockLipschitzConstant(at: x, θ, block: block)
  }
  func blockLipschitzConstantGradient(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double>? {
    closed.blockLipschitzConstantGradient(at: x, θ, block: block)
  }
}

@Suite("Block-coordinate-descent unrolled switch")
struct BlockCoordinateDescentUnrolledTests {
  func svmCondition(_ svm: MulticlassSVMDual) throws -> BlockCoordinateDescentCondition<
    MulticlassSVMDual, SimplexProjection
  > {
    try BlockCoordinateDescentCondition(
      objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: svm.classes, dimension: svm.samples * svm.classes),
      objectiveParameterCount: 1)
  }

  /// `∂x/∂θ` of `map` at `θ`, one reverse pass per output entry.
  func reverseJacobian(
    at θ: Vector<Double>, _ map: @differentiable(reverse) (Vector<Double>) -> Vector<Double>
  ) -> Matrix<Double> {
    let (x, back) = valueWithPullback(at: θ, of: map)
    var rows = [[Double]]()
    for i in 0..<x.count {
      var e = [Double](repeating: 0, count: x.count)
      e[i] = 1
      let g = back(Vector(e))
      rows.append(g.isEmpty ? [Double](repeating: 0, count: θ.count) : g.scalars)
    }
    return Matrix(rows: x.count, columns: θ.count, scalars: rows.flatMap { $0 })
  }

  /// The unrolled switch runs the solver's own fixed-sweep iterates (closed-form and automatic
  /// block gradients).
  @Test func iteratesEqualTheSolversFixedSweepRun() throws {
    let data = try SVMCaseData(file: "h_multiclass_svm_dual_mirror_descent_kl.json")
    let svm = try MulticlassSVMDual(X: data.X, Y: data.Y)
    let condition = try svmCondition(svm)
    let θ = Vector([data.theta])
    let oracle = MulticlassSVMDualBlockGradients(svm)
    for sweeps in [1, 7, 40] {
      let solver = BlockCoordinateDescent(fixedSweeps: sweeps)
      let run = try solver.solve(condition, θ, from: svm.uniformStart, gradients: oracle).solution
      let unrolled = solver.unrolled(condition, θ, from: svm.uniformStart, gradients: oracle)
      #expect((run - unrolled).norm() <= 1e-13 * max(1, run.norm()))
    }
    let coupled = try BlockCoordinateDescentConditionTests().coupledCondition()
    let θc = Vector([0.3, -0.1, 1.5, 0.9, -0.4, 0.2]), start = Vector(repeating: 1.0 / 3, count: 6)
    let solver = BlockCoordinateDescent(fixedSweeps: 25)
    let run = try solver.solve(coupled, θc, from: start).solution
    #expect((run - solver.unrolled(coupled, θc, from: start)).norm() <= 1e-13)
  }

  /// The unrolled derivative (steps `1/L_b(θ)` included) against central differences of the
  /// unrolled map, through the SVM oracle's closed-form pullback and through the objective's.
  @Test func unrolledDerivativeMatchesFiniteDifferences() throws {
    let svm = try randomSVM(samples: 8, features: 3, classes: 3, seed: 17)
    let condition = try svmCondition(svm)
    let θ = Vector([0.7]), start = svm.uniformStart
    let solver = BlockCoordinateDescent(fixedSweeps: 15)
    let closed = MulticlassSVMDualBlockGradients(svm)
    let generic = SVMBlockGradientsWithoutPullback(closed: closed)
    let fd = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-5) {
      solver.unrolled(condition, $0, from: start, gradients: closed)
    }
    #expect(Vector(fd.scalars).norm() > 1e-3)
    let viaClosedForm = reverseJacobian(at: θ) { solver.unrolled(condition, $0, from: start, gradients: closed) }
    let viaObjective = reverseJacobian(at: θ) { solver.unrolled(condition, $0, from: start, gradients: generic) }
    #expect(relativeError(viaClosedForm, fd) < 1e-6)
    #expect(relativeError(viaObjective, fd) < 1e-6)

    // A generic objective with automatic block gradients (curvatures independent of θ).
    let coupled = try BlockCoordinateDescentConditionTests().coupledCondition()
    let θc = Vector([0.3, -0.1, 1.5, 0.9, -0.4, 0.2]), startc = Vector(repeating: 1.0 / 3, count: 6)
    let fdc = TestSupport.finiteDifferenceJacobian(at: θc, step: 1e-5) { solver.unrolled(coupled, $0, from: startc) }
    let reverse = reverseJacobian(at: θc) { solver.unrolled(coupled, $0, from: startc) }
    #expect(relativeError(reverse, fdc) < 1e-6)
  }

  /// As the sweeps grow, the unrolled derivative tends to the implicit one at the solution.
  @Test func unrolledTendsToImplicit() throws {
    let svm = try randomSVM(samples: 8, features: 3, classes: 3, seed: 17)
    let condition = try svmCondition(svm)
    let θ = Vector([0.7]), start = svm.uniformStart
    let oracle = MulticlassSVMDualBlockGradients(svm)
    let beta = try BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 100_000)
      .solve(condition, θ, from: start, gradients: oracle).converged()
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: beta, θ).matrix
    var errors = [Double]()
    for sweeps in [5, 20, 80, 320] {
      let solver = BlockCoordinateDescent(fixedSweeps: sweeps)
      errors.append(
        relativeError(
          reverseJacobian(at: θ) { solver.unrolled(condition, $0, from: start, gradients: oracle) }, implicit))
    }
    print("BCD unrolled vs implicit:", errors)
    #expect(zip(errors, errors.dropFirst()).allSatisfy { $0.1 <= $0.0 })
    #expect(errors.last! < 1e-9)
  }
}
