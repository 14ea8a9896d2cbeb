public import ImplicitCore
import ImplicitObjectives
import ImplicitProjections

/// The reference-case families this module provides, for the core's registry: the
/// `block-coordinate-descent` method of `multiclass-svm-dual`.
public enum BlockCoordinateDescentFamilies {
  /// `multiclass-svm-dual`, method `block-coordinate-descent`: the Crammer–Singer dual solved by
  /// cyclic BCD over the rows of β and differentiated through the blockwise proximal fixed point.
  public static let multiclassSVMDual = ConditionFamily(
    name: "multiclass-svm-dual",
    formula: "F(β, θ) = [P_Δ((β − η∇f(β))ᵢ)]ᵢ − β,  f(β) = ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩",
    assumptions: [
      "θ > 0; every sample has a non-zero feature vector (block curvature ‖xᵢ‖²/θ > 0)",
      "strict complementarity at the zero entries of β*; XXᵀ ⊗ I positive definite on the directions keeping each row's support and sum",
    ],
    module: "ImplicitBlockCoordinateDescent", methods: ["block-coordinate-descent"], acceptsNoMethod: false,
    makeInstance: makeSVMInstance)

  /// Registers the module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try registry.register(multiclassSVMDual)
  }

  /// The blockwise simplex-projection fixed point of the SVM dual (one block per row of β, `η = 1`).
  static func svmCondition(
    _ objective: MulticlassSVMDual
  ) throws -> BlockCoordinateDescentCondition<MulticlassSVMDual, SimplexProjection> {
    try BlockCoordinateDescentCondition(
      objective: objective, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: objective.classes, dimension: objective.samples * objective.classes),
      objectiveParameterCount: 1)
  }

  /// A runnable instance for the conformance kit: cyclic BCD from the uniform point, one sweep at
  /// a time, stopped as soon as the condition's residual `‖F(β, θ)‖` is at most the requested
  /// tolerance (so that looser tolerances really give less accurate solutions).
  @Sendable static func makeSVMInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let problem = try MulticlassSVMDualCase(c)
    let objective = problem.objective
    let condition = try svmCondition(objective)
    let gradients = MulticlassSVMDualBlockGradients(objective)
    let sweep = BlockCoordinateDescent(fixedSweeps: 1)
    return Instance(
      condition: condition, parameter: Vector([problem.theta]), reference: { try reference(problem, condition) },
      outputs: { problem.outputs(beta: $0) }
    ) { θ, tolerance in
      try gradients.validate(condition.prox.blocks, θ)
      let solver = "block coordinate descent"
      return try iterateToResidual(from: objective.uniformStart, tolerance: tolerance, solver: solver) { beta in
        // F(β, θ) = blockprox(β − η∇f) − β, with the full gradient assembled from the block gradients.
        var z = beta
        for block in condition.prox.blocks.ranges {
          let g = gradients.blockGradient(at: beta, θ, block: block)
          for (offset, i) in block.enumerated() { z[i] -= condition.stepSize * g[offset] }
        }
        let residual = (condition.prox.projected(z) - beta).norm()
        return (residual, try sweep.solve(condition, θ, from: beta, gradients: gradients).solution)
      }.solution
    }
  }

  /// The reference solve: cyclic BCD to precision.
  static func reference(
    _ problem: MulticlassSVMDualCase,
    _ condition: BlockCoordinateDescentCondition<MulticlassSVMDual, SimplexProjection>
  ) throws -> (solution: Vector<Double>, notes: [String]) {
    let objective = problem.objective
    let theta = Vector([problem.theta])
    let solver = BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 500)
    let gradients = MulticlassSVMDualBlockGradients(objective)
    let result = try iterateToPrecision(from: objective.uniformStart, solver: "block coordinate descent") { x in
      let run = try solver.solve(condition, theta, from: x, gradients: gradients)
      return (run.solution, run.iterations, run.residual, run.status == .converged)
    }
    return (
      result.solution,
      [
        "solver: cyclic block coordinate descent over the rows of β, step 1/(‖xᵢ‖²/θ), \(result.iterations) sweeps, last sweep \(result.residual)",
        "implicit: blockwise simplex-projection fixed point (η = 1)",
      ]
    )
  }
}
