import ImplicitCore
import ImplicitObjectives
import Testing
import _Differentiation

/// The SVM dual's closed-form gradient and second-order products against reverse mode through
/// its `callAsFunction` and central finite differences of that gradient.
@Suite struct MulticlassSVMDualDerivativesTests {
  @Test func closedFormsMatchReverseModeAndFiniteDifferences() throws {
    var rng = SeededGenerator(seed: 11)
    let X = rng.normalMatrix(rows: 6, columns: 4)
    let Y = try oneHot(Vector([0, 2, 1, 1, 0, 2]), classes: 3)
    let f = try MulticlassSVMDual(X: X, Y: Y)
    let beta = rng.normalVector(18), θ = Vector([0.7])
    let u = rng.normalVector(18), v = rng.normalVector(18), τ = Vector([0.3])
    func close(_ a: Vector<Double>, _ b: Vector<Double>, _ tol: Double) -> Bool {
      (a - b).norm() <= tol * max(1, b.norm())
    }
    // The gradient against reverse mode through f.
    let reverse = gradient(at: beta) { beta in f(beta, θ) }
    #expect(close(f.gradient(at: beta, θ), reverse, 1e-13))
    // ∇²f·v + (∂∇f/∂θ)τ against central differences of the gradient along (v, τ).
    let h = 1e-6
    let fd =
      (f.gradient(at: beta + h * v, θ + h * τ) - f.gradient(at: beta - h * v, θ - h * τ)).scaled(by: 1 / (2 * h))
    #expect(close(f.gradientJVP(at: beta, θ, along: v, τ), fd, 1e-8))
    // The pullback is the transpose of the JVP: ⟨u, J(v, τ)⟩ = ⟨Jᵀu, (v, τ)⟩.
    let (px, pθ) = f.gradientPullback(at: beta, θ, u)
    let lhs = u.dot(f.gradientJVP(at: beta, θ, along: v, τ)), rhs = px.dot(v) + pθ.dot(τ)
    #expect(abs(lhs - rhs) <= 1e-12 * max(1, abs(lhs)))
  }
}
