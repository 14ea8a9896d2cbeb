import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitSparse
import ImplicitTestSupport
import Testing

@Test("catalogue example: sparse-lasso")
func sparseLassoExample() throws {
  // COO triplets of a 30 × 60 design with about one entry in eight, one position given twice.
  var rng = SeededGenerator(seed: 17)
  var rows = [Int](), columns = [Int](), values = [Double]()
  for i in 0..<30 {
    for j in 0..<60 where rng.next() % 8 == 0 {
      (rows, columns, values) = (rows + [i], columns + [j], values + [rng.normal()])
    }
  }
  (rows, columns, values) = (rows + [rows[0]], columns + [columns[0]], values + [0.5])
  let b = rng.normalVector(30), target = rng.normalVector(60)
  let dense = try SparseMatrix(
    rows: 30, columns: 60, rowIndices: rows, columnIndices: columns, values: values
  ).densified()
  let λ = Vector([0.2 * dense.transposedTimes(b).scalars.map(abs).max()!])
  // catalog-example: sparse-lasso
  // COO triplets in any order, duplicated positions summed; stored as CSR, never densified.
  let A = try SparseMatrix(rows: 30, columns: 60, rowIndices: rows, columnIndices: columns, values: values)
  let objective = try LeastSquares(A: A)
  let lasso = try ProximalGradientCondition(
    objective: objective, prox: LassoProximal(), objectiveParameterCount: b.count,
    proxParameter: λ, stepSize: 1 / objective.gradientLipschitzConstant(b))
  let θ = lasso.packParameters(objective: b, prox: λ)  // θ = [b; λ]
  let run = try FISTA(tolerance: 1e-12).solve(lasso, θ, from: .zeros(60))
  let x = lasso.refined(try run.converged(), θ).solution  // semismooth Newton polish
  let implicit = ImplicitDifferentiator(lasso)  // the support-restricted system, by products with A
  let dxdλ = try implicit.jvp(.basis(30, count: 31), at: x, θ).value  // ∂x*/∂λ
  let hypergradient = try implicit.vjp(x - target, at: x, θ).value  // ∇_θ ½‖x* − target‖²
  // end-catalog-example
  // Independent check, on the densified design: on the support S, ∂x_S/∂b = (A_SᵀA_S)⁻¹A_Sᵀ and
  // ∂x_S/∂λ = −(A_SᵀA_S)⁻¹sign(x_S), zero off S.
  #expect(A.nonzeroCount == values.count - 1)
  let S = support(x)
  #expect(S.count > 2 && S.count < 30)
  let AS = Reference.rows(dense).map { row in S.map { row[$0] } }
  let gram = Reference.matmul(Reference.transpose(AS), AS)
  var expected = [[Double]](repeating: [Double](repeating: 0, count: 31), count: 60)
  let dλ = try #require(Reference.solve(gram, S.map { x[$0] > 0 ? -1.0 : 1.0 }))
  for (p, i) in S.enumerated() { expected[i][30] = dλ[p] }
  for r in 0..<30 {
    let db = try #require(Reference.solve(gram, AS[r]))
    for (p, i) in S.enumerated() { expected[i][r] = db[p] }
  }
  #expect(TestSupport.relativeError(dxdλ, Vector(expected.map { $0[30] })) < 1e-10)
  let u = (x - target).scalars
  let expectedGradient = (0..<31).map { k in (0..<60).reduce(0.0) { $0 + expected[$1][k] * u[$1] } }
  #expect(TestSupport.relativeError(hypergradient, Vector(expectedGradient)) < 1e-10)
}
