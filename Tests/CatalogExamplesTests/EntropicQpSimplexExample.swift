import ImplicitCore
import ImplicitMirrorDescent
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: entropic-qp-simplex")
func entropicQPSimplexExample() throws {
  var rng = SeededGenerator(seed: 13)
  let M = rng.normalMatrix(rows: 4, columns: 4, scale: 0.5)
  let Q = M.transposed() * M
  let θ = rng.normalVector(4)
  let γ = 0.5
  // catalog-example: entropic-qp-simplex
  struct EntropicQP: ParametricObjective {  // f(p, θ) = ½pᵀQp − ⟨θ, p⟩ + γΣ pᵢ log pᵢ
    let Q: Matrix<Double>, γ: Double
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S {
      S(0.5) * p.dot(Q.times(p)) - θ.dot(p) + S(γ) * (p * p.log()).sum()
    }
  }
  let f = EntropicQP(Q: Q, γ: γ)
  let condition = try MirrorDescentCondition(objective: f, mirrorMap: KLSimplexMirrorMap())
  let step = 1 / (γ + Q.squaredSpectralNorm().squareRoot())  // 1/(γ + ‖Q‖₂) converges
  let p = try MirrorDescent(stepSize: step, tolerance: 1e-13)
    .solve(condition, θ, from: Vector(repeating: 0.25, count: 4)).converged()
  let jacobian = try ImplicitDifferentiator(condition).jacobian(at: p, θ).matrix  // ∂p*/∂θ, 4 × 4
  // end-catalog-example
  // Independent check: p is interior, so (dp, dμ) solves [[Q + γ diag(1/p), 𝟙], [𝟙ᵀ, 0]]·(dp, dμ) = (dθ, 0).
  #expect(p.scalars.allSatisfy { $0 > 1e-6 })
  var hessian = Reference.rows(Q)
  for i in 0..<4 { hessian[i][i] += γ / p[i] }
  let kkt = (0..<4).map { hessian[$0] + [1.0] } + [[1, 1, 1, 1, 0]]
  var expected = Matrix<Double>.zeros(rows: 4, columns: 4)
  for j in 0..<4 {
    let column = try #require(Reference.solve(kkt, (0..<5).map { $0 == j ? 1.0 : 0 }))
    for i in 0..<4 { expected[i, j] = column[i] }
  }
  #expect(TestSupport.relativeError(jacobian, expected) < 1e-9)
}
