import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: ridge")
func ridgeExample() throws {
  var rng = SeededGenerator(seed: 1)
  let A = rng.normalMatrix(rows: 20, columns: 5)
  let b = rng.normalVector(20)
  // catalog-example: ridge
  let condition = try RidgeCondition(A: A, b: b)
  // A differentiable function cannot throw: a failed solve returns NaN, never a plausible vector.
  let ridge = ImplicitFunction(condition: condition) { θ in
    (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: A.columns)
  }
  let jacobian = try ridge.differentiator.jacobian(at: ridge.solver(0.5), 0.5)  // ∂x*/∂θ, 5 × 1
  let slope = gradient(at: 0.5) { θ in ridge(θ).squaredNorm() }  // d‖x*‖²/dθ
  // end-catalog-example
  // Independent check: d‖x*‖²/dθ = 2⟨x*, ∂x*/∂θ⟩ with the closed form −(AᵀA + θI)⁻¹x*.
  var gram = A.transposed() * A
  for j in 0..<5 { gram[j, j] += 0.5 }
  let x = try condition.solve(0.5)
  let closedForm = Vector(CholeskyFactorization(gram)!.solve(x.scalars)).scaled(by: -1)
  #expect(TestSupport.relativeError(Vector(jacobian.matrix.scalars), closedForm) < 1e-12)
  #expect(abs(slope - 2 * x.dot(closedForm)) < 1e-12 * abs(slope))
}
