import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

// The pattern of a Swift 6 `main.swift`: a global `let` of an `ImplicitFunction` and a global
// differentiable function using it. This file compiling (the test target is in Swift 6
// language mode) is the check that `ImplicitFunction` is `Sendable`.

/// `F(x, θ) = x − θ²` (coordinate-wise): `x* = θ²`, `∂x*/∂θ = diag(2θ)`.
struct SquareRoot: OptimalityCondition {
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { x - θ * θ }
}

let globalSquare = ImplicitFunction(condition: SquareRoot()) { (θ: Vector<Double>) in θ * θ }

@differentiable(reverse)
func globalLoss(_ θ: Vector<Double>) -> Double { globalSquare(θ).sum() }

@Suite("ImplicitFunction as a global")
struct SendableGlobalTests {
  @Test("a global ImplicitFunction and a global differentiable function compose with gradient(at:)")
  func globalGradient() {
    let θ = Vector([0.5, -1.5, 2.0])
    let g = gradient(at: θ, of: globalLoss)
    #expect(Reference.relativeError(g.scalars, θ.scalars.map { 2 * $0 }) < 1e-12, "\(g)")
  }

  @Test("the function crosses into a task")
  func crossesIsolation() async {
    let g = await Task.detached { gradient(at: Vector([3.0]), of: globalLoss) }.value
    #expect(Swift.abs(g[0] - 6) < 1e-12)
  }
}
