// The fused sweep of docs/batches.md, compiled and run: every batched solve against the one-θ
// solve, the hypergradients against the closed form of the per-feature ridge derivative.
import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("docs/batches.md: the fused sweep equals one-θ solves, its hypergradients the closed form")
func fusedSweepPage() throws {
  var rng = SeededGenerator(seed: 7)
  let A = rng.normalMatrix(rows: 40, columns: 8, scale: 0.2), b = rng.normalVector(40)
  let Aval = rng.normalMatrix(rows: 25, columns: 8, scale: 0.2), bval = rng.normalVector(25)
  let base = Vector((0..<8).map { 0.5 + 0.1 * Double($0) })
  var θs = (0..<6).map { k in base.scaled(by: 1 + Double(k)) }
  θs.insert(Vector(repeating: .nan, count: 8), at: 2)  // a bad element: it fails alone
  // docs-example: batches-6
  // Per-feature ridge strengths θ on one dataset: the solves advance together, and each
  // iteration's products for all of them are two matrix–matrix products with A.
  let f = try RidgeRegression(A: A, b: b)
  let solver = GradientDescent.accelerated(mode: .fixedIterations(300))
  let results = solver.solve(f, Batch(θs), from: .zeros(A.columns))  // one Result per θ, in order

  var ws = [Vector<Double>](), kept = [Vector<Double>]()
  for (θ, result) in zip(θs, results) {
    switch result {
    case .success(let run): (ws, kept) = (ws + [run.solution], kept + [θ])  // also run.status, run.residual
    case .failure(let error): print("θ = \(θ): \(error)")  // this element only (here: NaN in θ)
    }
  }
  // ∇θ of ½‖Aval·w*(θ) − bval‖² at every kept θ: one VJP per element, in parallel.
  let cotangents = ws.map { w in Aval.transposedTimes(Aval * w - bval) }
  let differentiator = ImplicitDifferentiator(StationarityCondition(f, stronglyConvex: true))
  let hypergradients = try differentiator.vjps(cotangents, at: ws, kept)
  // end-docs-example
  #expect((try? results[2].get()) == nil && kept.count == 6 && hypergradients.count == 6)
  let rows = Reference.rows(A)
  for (i, θ) in kept.enumerated() {
    let alone = try solver.solve(f, θ, from: .zeros(8)).solution
    #expect(TestSupport.relativeError(ws[i], alone) <= 1e-12, "element \(i) against the one-θ solve")
    // Independent: ∂w*/∂θ = −(AᵀA + diag θ)⁻¹ diag(w*), so ∇θ = −w* ⊙ (AᵀA + diag θ)⁻¹ c.
    var H = Reference.matmul(Reference.transpose(rows), rows)
    for j in 0..<8 { H[j][j] += θ[j] }
    let wStar = try #require(Reference.solve(H, Reference.transposedMatvec(rows, b.scalars)))
    let cStar = Reference.transposedMatvec(
      Reference.rows(Aval), Reference.subtract(Reference.matvec(Reference.rows(Aval), wStar), bval.scalars))
    let u = try #require(Reference.solve(H, cStar))
    let closedForm = (0..<8).map { -wStar[$0] * u[$0] }
    let error = TestSupport.relativeError(try hypergradients[i].get().value.scalars, closedForm)
    #expect(error <= 1e-9, "element \(i): hypergradient differs from the closed form by \(error)")
  }
}
