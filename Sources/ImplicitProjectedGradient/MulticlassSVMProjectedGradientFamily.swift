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
    makeInstance: { c in try problem(c).problem.instance() },
    evaluate: evaluate)

  /// The case and its projected-gradient problem; the pack is `[theta]`, which is exactly the
  /// objective's parameter.
  static func problem(
    _ c: ReferenceCase
  ) throws -> (svm: MulticlassSVMDualCase, problem: ProjectedGradientCase<MulticlassSVMDual, RowSimplexProjection>) {
    let svm = try MulticlassSVMDualCase(c)
    let objective = svm.objective
    let problem = try ProjectedGradientCase(
      objective: objective, projection: RowSimplexProjection(columns: objective.classes), pack: ParameterPack(c),
      projectionParameter: Vector<Double>([]), slots: [], start: objective.uniformStart,
      lipschitz: objective.lipschitzConstant(svm.theta))
    return (svm, problem)
  }

  @Sendable static func evaluate(_ c: ReferenceCase) throws -> CaseEvaluation {
    let (svm, problem) = try problem(c)
    let (beta, jacobian, notes) = try problem.solveAndDifferentiate(c)
    return CaseEvaluation(outputs: svm.outputs(beta: beta, dBeta: jacobian.flattenedVector()), notes: notes)
  }
}
