import Foundation
import ImplicitCore
import ImplicitMirrorDescent
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: softmax-entropy")
func softmaxEntropyExample() throws {
  var rng = SeededGenerator(seed: 14)
  let θ = rng.normalVector(5)
  let γ = 0.7
  // catalog-example: softmax-entropy
  struct NegativeEntropyLinear: ParametricObjective {  // f(p, θ) = −⟨θ, p⟩ + γΣ pᵢ log pᵢ
    let γ: Double
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S { S(γ) * (p * p.log()).sum() - θ.dot(p) }
  }
  let f = NegativeEntropyLinear(γ: γ)
  let condition = try MirrorDescentCondition(objective: f, mirrorMap: KLSimplexMirrorMap())
  let p = try MirrorDescent(stepSize: 1 / γ)  // with step 1/γ one step lands on softmax(θ/γ)
    .solve(condition, θ, from: Vector(repeating: 0.2, count: 5)).converged()
  let jacobian = try ImplicitDifferentiator(condition).jacobian(at: p, θ).matrix  // ∂p*/∂θ, 5 × 5
  // end-catalog-example
  // Independent check: p = softmax(θ/γ) and ∂p/∂θ = (diag(p) − ppᵀ)/γ, with plain loops.
  let e = θ.scalars.map { Foundation.exp($0 / γ) }
  let softmax = e.map { $0 / e.reduce(0, +) }
  #expect(TestSupport.relativeError(p.scalars, softmax) < 1e-14)
  var expected = Matrix<Double>.zeros(rows: 5, columns: 5)
  for i in 0..<5 { for j in 0..<5 { expected[i, j] = ((i == j ? softmax[i] : 0) - softmax[i] * softmax[j]) / γ } }
  #expect(TestSupport.relativeError(jacobian, expected) < 1e-12)
}
