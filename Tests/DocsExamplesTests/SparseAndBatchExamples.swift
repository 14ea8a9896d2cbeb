// The Swift blocks of docs/sparse-data.md and docs/batches.md, compiled and run: the sparse lasso
// hypergradient against the same computation on the dense equal of the design and central finite
// differences of re-solves; the batches against one-at-a-time calls and the closed form of the
// ridge derivative.
import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitRidge
import ImplicitSparse
import ImplicitTestSupport
import Testing
import _Differentiation

// docs-example: sparse-data-2
/// `d/dλ ½‖V·x*(λ) − c‖²` for the lasso `x*(λ) = argmin ½‖Ax − b‖² + λ‖x‖₁` on a design of
/// either kind (a `SparseMatrix` or a dense `Matrix`).
func lassoHypergradient(
  _ A: any DesignMatrix, _ b: Vector<Double>, λ: Double, validation V: any DesignMatrix, _ c: Vector<Double>
) throws -> (x: Vector<Double>, loss: Double, hypergradient: Double) {
  let objective = try LeastSquares(A: A)
  let lasso = try ProximalGradientCondition(
    objective: objective, prox: LassoProximal(), objectiveParameterCount: b.count, proxParameter: Vector([λ]),
    stepSize: 1 / objective.gradientLipschitzConstant(b))
  let θ = lasso.packParameters(objective: b, prox: Vector([λ]))  // θ = (b, λ)
  let run = try FISTA(tolerance: 1e-13, maxIterations: 100_000).solve(lasso, θ, from: .zeros(A.columns))
  let x = lasso.refined(try run.converged(), θ).solution  // exact support, for a sharp derivative
  let residual = V.product(x) - c
  let v = try ImplicitDifferentiator(lasso).vjp(V.transposedProduct(residual), at: x, θ).value
  return (x, 0.5 * residual.dot(residual), v[b.count])  // the last entry of θ is λ
}
// end-docs-example

/// COO triplets of a random `m × n` matrix with about a third of its entries, one entry
/// duplicated (so that summing is exercised).
func sparseTriplets(_ m: Int, _ n: Int, seed: UInt64) -> (rows: [Int], columns: [Int], values: [Double]) {
  var rng = SeededGenerator(seed: seed)
  var r = [Int](), c = [Int](), v = [Double]()
  for i in 0..<m {
    for j in 0..<n where rng.next() % 3 == 0 {
      r.append(i)
      c.append(j)
      v.append(rng.normal())
    }
  }
  r.append(r[0])
  c.append(c[0])
  v.append(0.5)
  return (r, c, v)
}

@Test("docs/sparse-data.md: the sparse lasso hypergradient equals the dense one and finite differences")
func sparseDataPage() throws {
  let (m, n) = (40, 25)
  let training = sparseTriplets(m, n, seed: 111), validation = sparseTriplets(30, n, seed: 112)
  var rng = SeededGenerator(seed: 113)
  let b = rng.normalVector(m), c = rng.normalVector(30)
  // docs-example: sparse-data-1
  // (row, column, value) triplets in any order; duplicated positions are summed.
  let A = try SparseMatrix(
    rows: 40, columns: 25, rowIndices: training.rows, columnIndices: training.columns, values: training.values)
  let V = try SparseMatrix(
    rows: 30, columns: 25, rowIndices: validation.rows, columnIndices: validation.columns,
    values: validation.values)
  print(A.nonzeroCount, A.storageBytes)  // the CSR arrays, never a dense copy
  // end-docs-example
  #expect(A.nonzeroCount == training.values.count - 1)  // the duplicate was summed into one entry
  #expect(A.densified()[training.rows[0], training.columns[0]] == training.values[0] + 0.5)
  #expect(throws: ImplicitError.self) {
    try SparseMatrix(rows: 2, columns: 2, rowIndices: [0, 2], columnIndices: [0, 1], values: [1, 1])
  }
  #expect(throws: ImplicitError.self) {
    try SparseMatrix(rows: 2, columns: 2, rowIndices: [0, 1], columnIndices: [0, 1], values: [1, .nan])
  }

  // docs-example: sparse-data-3
  let λ = 0.3 * A.transposedProduct(b).scalars.map(abs).max()!
  let sparse = try lassoHypergradient(A, b, λ: λ, validation: V, c)
  // end-docs-example
  let dense = try lassoHypergradient(A.densified(), b, λ: λ, validation: V.densified(), c)
  let support = sparse.x.scalars.indices.filter { sparse.x[$0] != 0 }
  #expect(support.count > 2 && support.count < n - 2)
  #expect((sparse.x - dense.x).norm() <= 1e-10 * dense.x.norm())
  #expect(abs(sparse.hypergradient - dense.hypergradient) <= 1e-10 * abs(dense.hypergradient))
  let h = 1e-6
  let up = try lassoHypergradient(A, b, λ: λ + h, validation: V, c)
  let down = try lassoHypergradient(A, b, λ: λ - h, validation: V, c)
  let finiteDifference = (up.loss - down.loss) / (2 * h)
  #expect(abs(sparse.hypergradient - finiteDifference) <= 1e-6 * abs(finiteDifference))
  #expect(abs(sparse.hypergradient) > 1e-3)
}

@Test("docs/batches.md: batched hypergradients equal one-at-a-time calls and the closed form")
func batchesPage() throws {
  var rng = SeededGenerator(seed: 5)
  let A = rng.normalMatrix(rows: 30, columns: 4), b = rng.normalVector(30)
  let Aval = rng.normalMatrix(rows: 20, columns: 4), bval = rng.normalVector(20)
  let condition = try RidgeCondition(A: A, b: b)
  // docs-example: batches-1
  // Ridge strengths to compare; the last one makes AᵀA + θI indefinite, so its solve fails.
  let θs = Batch([0.1, 0.5, 2.0, -1e6])
  let solutions = θs.map { θ in try condition.solve(θ) }  // one Result per θ, in order, in parallel

  var xs = [Vector<Double>](), kept = [Double]()
  for (θ, solution) in zip(θs.elements, solutions) {
    switch solution {
    case .success(let x): (xs, kept) = (xs + [x], kept + [θ])
    case .failure(let error): print("θ = \(θ): \(error)")  // this element only
    }
  }
  // d/dθ ‖Aval·x*(θ) − bval‖² at every kept θ: one VJP per element, in parallel.
  let cotangents = xs.map { x in 2 * Aval.transposedTimes(Aval * x - bval) }
  let hypergradients = try ImplicitDifferentiator(condition).vjps(cotangents, at: xs, kept)
  for (θ, result) in zip(kept, hypergradients) {
    print(θ, try result.get().value)  // or the error of that element alone
  }
  // end-docs-example
  #expect(kept == [0.1, 0.5, 2.0])
  #expect(solutions[3].isFailure)
  #expect(hypergradients.count == 3)
  let differentiator = ImplicitDifferentiator(condition)
  for i in kept.indices {
    let batched = try hypergradients[i].get()
    let alone = try differentiator.vjp(cotangents[i], at: xs[i], kept[i])
    #expect(batched.value == alone.value)
    // Independent: the closed form ∂x*/∂θ = −(AᵀA + θI)⁻¹x* of an independent dense solve.
    let dx = referenceRidgeDerivative(A, b, kept[i])
    let closedForm = Reference.dot(cotangents[i].scalars, dx)
    #expect(abs(batched.value - closedForm) <= 1e-10 * max(1, abs(closedForm)))
  }

  // docs-example: batches-2
  let ridge = ImplicitFunction(condition: condition) { θ in
    (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: A.columns)
  }
  // x*(θᵢ) for the whole batch; the backward pass runs the per-element VJPs in parallel.
  let g = gradient(at: Batch([0.1, 0.5, 2.0])) { batch in
    let xs = ridge(batch: batch)
    var loss = 0.0
    for i in 0..<xs.count { loss = loss + (Aval * xs[i] - bval).squaredNorm() }
    return loss
  }  // g[i] = ∂loss/∂θᵢ
  // end-docs-example
  #expect(g.count == 3)
  for i in 0..<3 {
    #expect(abs(g[i] - (try hypergradients[i].get().value)) <= 1e-12 * max(1, abs(g[i])))
    let alone = gradient(at: kept[i]) { θ in (Aval * ridge(θ) - bval).squaredNorm() }
    #expect(abs(g[i] - alone) <= 1e-13 * max(1, abs(alone)))
  }

  // docs-example: batches-3
  // The same sweep on one thread (for timing, or inside your own parallel loop).
  let serial = Kernels.withThreadLimit(1) { θs.map { θ in try condition.solve(θ) } }
  // end-docs-example
  #expect(serial.count == 4)
  for i in 0..<3 { #expect(try serial[i].get() == (try solutions[i].get())) }
}

extension Result {
  /// Whether this is a failure.
  fileprivate var isFailure: Bool {
    if case .failure = self { return true }
    return false
  }
}
