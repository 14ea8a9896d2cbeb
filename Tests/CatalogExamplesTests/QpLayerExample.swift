import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: qp-layer")
func qpLayerExample() throws {
  var rng = SeededGenerator(seed: 21)
  // Three feasible, strictly convex programs of one shape (n = 4, p = 1, m = 5).
  let programs = (0..<3).map { _ in
    let M = rng.normalMatrix(rows: 4, columns: 4)
    var Q = M.transposed() * M
    for i in 0..<4 { Q[i, i] += 0.5 }
    let x0 = rng.normalVector(4), E = rng.normalMatrix(rows: 1, columns: 4), G = rng.normalMatrix(rows: 5, columns: 4)
    let slack = Vector((0..<5).map { _ in Double.random(in: 0.1...1, using: &rng) })
    return QuadraticProgram(Q: Q, c: rng.normalVector(4, scale: 3), E: E, d: E * x0, G: G, h: G * x0 + slack)
  }
  let ws = (0..<3).map { _ in rng.normalVector(4) }
  // catalog-example: qp-layer
  let layer = QuadraticProgramLayer()  // ActiveSetQPSolver on every program, in parallel
  let solutions = try layer.solve(Batch(programs)).map { try $0.get() }  // one Result per program
  // ∇ of Σᵢ⟨wᵢ, x*ᵢ⟩ w.r.t. every input of every program (reusing the solver's factors, in parallel):
  let gradients = try layer.vjps(ws, at: solutions, programs).map { try $0.get() }  // .Q, .c, .E, .d, .G, .h
  // The same through the differentiable wrapper, composing with gradient(at:):
  let g = gradient(at: Batch(programs)) { batch in
    let xs = layer(batch)
    var loss = 0.0
    for i in 0..<xs.count { loss = loss + xs[i].dot(ws[i]) }
    return loss
  }
  // end-catalog-example
  // Independent check: central differences of re-solving each program, every coordinate of its data.
  #expect(solutions.contains { !$0.activeSet.isEmpty })
  for i in 0..<3 {
    let fd = FiniteDifferences.gradient(at: programs[i]) { p in
      ((try? ActiveSetQPSolver().solve(p).converged().x) ?? Vector(repeating: .nan, count: 4)).dot(ws[i])
    }
    #expect(TestSupport.relativeError(gradients[i].flattened, fd) < 1e-7)
    #expect(g[i].flattened == gradients[i].flattened)
  }
}
