import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitTestSupport
import Testing

@Test("catalogue example: lasso")
func lassoExample() throws {
  var rng = SeededGenerator(seed: 3)
  let A = rng.normalMatrix(rows: 12, columns: 6)
  let b = rng.normalVector(12)
  let λ = Vector([0.3 * A.transposedTimes(b).scalars.map(abs).max()!])
  // catalog-example: lasso
  let lasso = try ProximalGradientCondition(
    objective: LeastSquares(A: A), prox: LassoProximal(), objectiveParameterCount: b.count,
    proxParameter: λ, stepSize: 1 / A.squaredSpectralNorm())
  let θ = lasso.packParameters(objective: b, prox: λ)  // θ = [b; λ]
  let run = try FISTA(tolerance: 1e-12).solve(lasso, θ, from: .zeros(6))
  let x = lasso.refined(try run.converged(), θ).solution  // semismooth Newton polish
  let implicit = ImplicitDifferentiator(lasso)  // throws ImplicitError.degenerate at a zero-width margin
  let jacobian = try implicit.jacobian(at: x, θ)
  let dxdλ = try implicit.jvp(.basis(12, count: 13), at: x, θ).value  // ∂x*/∂λ
  // end-catalog-example
  // Independent check: on the support S, ∂x_S/∂b = (A_SᵀA_S)⁻¹A_Sᵀ and ∂x_S/∂λ = −(A_SᵀA_S)⁻¹sign(x_S).
  let S = support(x)
  #expect(!S.isEmpty && S.count < 6)
  let rows = Reference.rows(A)
  let AS = rows.map { row in S.map { row[$0] } }
  let gram = Reference.matmul(Reference.transpose(AS), AS)
  var expected = [[Double]](repeating: [Double](repeating: 0, count: 13), count: 6)
  let dλ = try #require(Reference.solve(gram, S.map { x[$0] > 0 ? -1.0 : 1.0 }))
  for (p, i) in S.enumerated() { expected[i][12] = dλ[p] }
  for r in 0..<12 {
    let db = try #require(Reference.solve(gram, AS[r]))
    for (p, i) in S.enumerated() { expected[i][r] = db[p] }
  }
  #expect(jacobian.diagnostics.isReliable)
  #expect(TestSupport.relativeError(jacobian.matrix, Reference.matrix(expected)) < 1e-10)
  #expect(TestSupport.relativeError(dxdλ, Vector(expected.map { $0[12] })) < 1e-10)
}
