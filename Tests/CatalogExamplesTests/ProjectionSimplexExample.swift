import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Test("catalogue example: projection-simplex")
func projectionSimplexExample() throws {
  var rng = SeededGenerator(seed: 12)
  let z = rng.normalVector(6)
  // catalog-example: projection-simplex
  // Sort-based projection (sparsemax for s = 1) with its closed-form Jacobian:
  let simplex = SimplexProjection()
  let p = simplex.project(z, 1.0)
  let jacobian = simplex.jacobian(at: z, 1.0)  // diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|, 6 × 6
  // Or (method `bisection`): the threshold τ as the root of F(τ, z) = Σ relu(z − τ) − s,
  // differentiated implicitly; then p = relu(z − τ) and ∂p/∂z = diag(𝟙_S)(I − 𝟙 ∂τ/∂z).
  let τ = try SimplexThresholdBisection.solve(z, simplexValue: 1).threshold
  let dτdz = try ImplicitDifferentiator(SimplexThresholdCondition(simplexValue: 1)).jacobian(at: τ, z).matrix  // 1 × 6
  // end-catalog-example
  // Independent check: the support S = {zᵢ > τ} gives the closed forms ∂τ/∂z = 𝟙_Sᵀ/|S| and
  // ∂p/∂z = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|; p = relu(z − τ) sums to 1.
  let S = (0..<6).filter { z[$0] > τ }
  #expect(S.count > 1 && S.count < 6)
  let k = Double(S.count)
  var expected = Matrix<Double>.zeros(rows: 6, columns: 6)
  for i in S { for j in S { expected[i, j] = (i == j ? 1 : 0) - 1 / k } }
  #expect(TestSupport.relativeError(jacobian, expected) < 1e-15)
  #expect(TestSupport.relativeError(Vector(dτdz.scalars), Vector((0..<6).map { S.contains($0) ? 1 / k : 0 })) < 1e-15)
  #expect(TestSupport.relativeError(p, Vector(z.scalars.map { max($0 - τ, 0) })) < 1e-12)
  #expect(abs(p.sum() - 1) < 1e-14)
}
