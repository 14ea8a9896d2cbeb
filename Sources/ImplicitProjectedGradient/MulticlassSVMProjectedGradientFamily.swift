import ImplicitCore
import ImplicitObjectives
import ImplicitProjections

/// `multiclass-svm-dual`, method `projected-gradient`: the Crammer–Singer dual
/// `β* = argmin_{βᵢ ∈ Δₖ} ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩` solved by accelerated projected
/// gradient with ``RowSimplexProjection`` (plus a semismooth Newton polish, see
/// ``ProjectedGradientCase``) and differentiated through
/// `F(β, θ) = P_{Δ×…×Δ}(β − η∇_βf(β, θ)) − β` (``ProximalGradientCondition`` with ``ProjectionProximal``). `W` and the
/// validation loss follow from `β*`, `dβ*/dθ` (``MulticlassSVMDualCase``).
enum MulticlassSVMProjectedGradientFamily {
  static let descriptor = ConditionFamily(
    name: "multiclass-svm-dual",
    formula: "F(β, θ) = P_{Δ×…×Δ}(β − η∇_β f(β, θ)) − β   (f the Crammer–Singer dual, rows of β on simplices)",
    assumptions: [
      "theta > 0; strict complementarity on each row's simplex",
      "the dual is strongly convex on the face of the product of simplices that holds β*",
    ],
    module: "ImplicitProjectedGradient", methods: ["projected-gradient"], acceptsNoMethod: false,
    makeInstance: { c in
      let (svm, problem) = try problem(c)
      return problem.instance(c) { svm.outputs(beta: $0) }
    })

  /// The case and its projected-gradient problem; the pack is `[theta]`, which is exactly the
  /// objective's parameter.
  static func problem(
    _ c: any CaseData
  ) throws -> (svm: MulticlassSVMDualCase, problem: ProjectedGradientCase<MulticlassSVMDual, RowSimplexProjection>) {
    let svm = try MulticlassSVMDualCase(c)
    let objective = svm.objective
    let problem = try ProjectedGradientCase(
      objective: objective, objectiveParameter: Vector([svm.theta]),
      objectiveSlots: [InputSelection.Slot(name: "theta", offset: 0, count: 1)],
      projection: RowSimplexProjection(columns: objective.classes), projectionParameter: Vector<Double>([]),
      layout: try ParameterLayout(c), start: objective.uniformStart,
      lipschitz: objective.lipschitzConstant(svm.theta))
    return (svm, problem)
  }
}
