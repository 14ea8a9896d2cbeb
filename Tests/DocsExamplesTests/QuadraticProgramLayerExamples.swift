// The QP-layer blocks of docs/batches.md, compiled and run: the batch against one-at-a-time calls
// and central finite differences of re-solves, with one infeasible program failing alone.
import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing
import _Differentiation

/// Four feasible, strictly convex programs of one shape (n = 5, p = 1, m = 6), the third made
/// infeasible (x₀ ≤ −1 and x₀ ≥ 1), and the loss weights.
func layerPrograms() -> (programs: [QuadraticProgram], ws: [Vector<Double>]) {
  var rng = SeededGenerator(seed: 131)
  var programs = (0..<4).map { _ in
    let M = rng.normalMatrix(rows: 5, columns: 5)
    var Q = M.transposed() * M
    for i in 0..<5 { Q[i, i] += 0.5 }
    let x0 = rng.normalVector(5), E = rng.normalMatrix(rows: 1, columns: 5), G = rng.normalMatrix(rows: 6, columns: 5)
    let slack = Vector((0..<6).map { _ in Double.random(in: 0.1...1, using: &rng) })
    return QuadraticProgram(Q: Q, c: rng.normalVector(5, scale: 3), E: E, d: E * x0, G: G, h: G * x0 + slack)
  }
  for j in 0..<5 {
    programs[2].G[0, j] = j == 0 ? 1 : 0
    programs[2].G[1, j] = j == 0 ? -1 : 0
  }
  (programs[2].h[0], programs[2].h[1]) = (-1, -1)
  return (programs, (0..<4).map { _ in rng.normalVector(5) })
}

@Test("docs/batches.md: the QP layer's batch VJPs equal one-at-a-time calls and finite differences")
func quadraticProgramLayerPage() throws {
  let (programs, ws) = layerPrograms()
  // docs-example: batches-4
  let layer = QuadraticProgramLayer()  // ActiveSetQPSolver on every program, in parallel
  let results = try layer.solve(Batch(programs))  // throws only if shapes differ (naming the element)
  var solved = [(index: Int, solution: QuadraticProgramSolution)]()
  for (i, result) in results.enumerated() {
    switch result {
    case .success(let solution): solved.append((i, solution))
    case .failure(let error): print("program \(i): \(error)")  // this program only (here: infeasible)
    }
  }
  // ∇ of Σᵢ⟨wᵢ, x*ᵢ⟩ w.r.t. Q, c, E, d, G, h of every solved program, in parallel.
  let gradients = try layer.vjps(
    solved.map { ws[$0.index] }, at: solved.map(\.solution), solved.map { programs[$0.index] })
  for (element, gradient) in zip(solved, gradients) {
    print(element.index, try gradient.get().h)  // or that program's error (weakly active, singular KKT)
  }
  // end-docs-example
  #expect(solved.map(\.index) == [0, 1, 3])
  #expect { try results[2].get() } throws: {
    if case QuadraticProgramError.infeasible = $0 { return true } else { return false }
  }
  for (element, gradient) in zip(solved, gradients) {
    let i = element.index, g = try gradient.get()
    // Exactly the one-at-a-time call …
    #expect(g.flattened == (try layer.vjp(ws[i], at: layer.solve(programs[i]), programs[i])).flattened)
    // … and central differences of re-solving, every coordinate of the program's data.
    let fd = FiniteDifferences.gradient(at: programs[i]) { p in
      ((try? ActiveSetQPSolver().solve(p).converged().x) ?? Vector(repeating: .nan, count: 5)).dot(ws[i])
    }
    #expect(TestSupport.relativeError(g.flattened, fd) < 1e-7)
  }
}

@Test("docs/batches.md: the differentiable QP layer equals the throwing batch, NaN where a program failed")
func differentiableQuadraticProgramLayerPage() throws {
  let (programs, ws) = layerPrograms()
  // docs-example: batches-5
  let layer = QuadraticProgramLayer(onFailure: { i, error in print("program \(i): \(error)") })
  let g = gradient(at: Batch(programs)) { batch in
    let xs = layer(batch)
    var loss = 0.0
    for i in 0..<xs.count where i != 2 { loss = loss + xs[i].dot(ws[i]) }
    return loss
  }  // g[i].Q, g[i].c, …, g[i].h: ∂loss/∂(program i's data); NaN for a program that failed
  // end-docs-example
  let nan = g[2].flattened.allSatisfy { $0.isNaN }
  #expect(nan)
  for i in [0, 1, 3] {
    #expect(g[i].flattened == (try layer.vjp(ws[i], at: layer.solve(programs[i]), programs[i])).flattened)
  }
}
