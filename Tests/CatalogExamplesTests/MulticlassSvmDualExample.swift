import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Test("catalogue example: multiclass-svm-dual")
func multiclassSVMDualExample() throws {
  var rng = SeededGenerator(seed: 18)
  let X = rng.normalMatrix(rows: 4, columns: 5)
  let Y = try oneHot(Vector([0, 1, 2, 1]), classes: 3)
  let θ = Vector([1.0])
  // catalog-example: multiclass-svm-dual
  // Method `projected-gradient`; the other methods differentiate the same β* through
  // MirrorDescentCondition (KLRowSimplexMirrorMap) or BlockCoordinateDescentCondition.
  let svm = try MulticlassSVMDual(X: X, Y: Y)  // ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩, rows of β on simplices
  let rows = RowSimplexProjection(columns: 3)
  let η = 1 / svm.lipschitzConstant(θ[0])
  let condition = try ProximalGradientCondition(  // projected gradient: the prox is the projection
    objective: svm, projection: rows, objectiveParameterCount: 1, projectionParameter: Vector([]), stepSize: η)
  let β = try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(condition, θ, from: svm.uniformStart).converged()
  let dβdθ = try ImplicitDifferentiator(condition).jacobian(at: β, θ).matrix  // 12 × 1
  let W = svm.weights(β, θ[0])  // primal weights Xᵀ(Y − β)/θ, 5 × 3
  // end-catalog-example
  // Independent check: central differences of re-solving, and W from its formula.
  let reference = resolvedJacobian(at: θ) { θ in
    try FISTA(stepSize: .fixed(1 / svm.lipschitzConstant(θ[0])), tolerance: 1e-13)
      .solve(condition, θ, from: svm.uniformStart).converged()
  }
  #expect(TestSupport.relativeError(dβdθ, reference) < 1e-6)
  #expect(dβdθ.scalars.contains { abs($0) > 1e-3 })
  let residual = Reference.matmul(
    Reference.transpose(Reference.rows(X)),
    Reference.add(Reference.rows(Y), Reference.rows(β.reshaped(rows: 4, columns: 3)), scale: -1))
  #expect(TestSupport.relativeError(W, Reference.matrix(residual)) < 1e-14)
}
