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
    evaluate: evaluateSVM)

  /// Registers the module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try registry.register(multiclassSVMDual)
  }

  @Sendable static func evaluateSVM(_ c: ReferenceCase) throws -> CaseEvaluation {
    let problem = try MulticlassSVMDualCase(c)
    let objective = problem.objective
    let condition = try BlockCoordinateDescentCondition(
      objective: objective, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: objective.classes, dimension: objective.samples * objective.classes))
    let theta = Vector([problem.theta])
    let solver = BlockCoordinateDescent(tolerance: 1e-15, maxSweeps: 500)
    let gradients = MulticlassSVMDualBlockGradients(objective)
    let result = try iterateToPrecision(from: objective.uniformStart, solver: "block coordinate descent") { x in
      let run = try solver.iterate(condition, theta, from: x, gradients: gradients)
      return (run.solution, run.sweeps, run.residual, run.status == .converged)
    }
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: result.solution, theta)
    return CaseEvaluation(
      outputs: problem.outputs(beta: result.solution, dBeta: Vector(jacobian.matrix.scalars)),
      notes: [
        "solver: cyclic block coordinate descent over the rows of β, step 1/(‖xᵢ‖²/θ), \(result.iterations) sweeps, last sweep \(result.residual)",
        "implicit: blockwise simplex-projection fixed point (η = 1); \(jacobian.assembly); \(jacobian.diagnostics)",
      ])
  }
}
