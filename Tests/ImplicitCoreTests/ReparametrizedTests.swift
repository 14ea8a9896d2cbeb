import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// `F(x, θ) = Dx − θ² (elementwise)`, with hand-written `B t = −2θ⊙t` and `Bᵀu = −2θ⊙u`
/// (`D` diagonal): the products ``Reparametrized`` chains.
struct SquaredTargetCondition: OptimalityCondition {
  let diagonal: Vector<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { diagonal * x - θ * θ }

  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    -2 * (θ * t.materialized(like: θ))
  }
  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>)
    -> Vector<Double>?
  {
    -2 * (θ * u)
  }
}

/// `M(p) = Lp + W exp(p)` with non-symmetric, non-square `L`, `W` (3 × 2): a transposed
/// chain rule cannot pass the checks below.
struct LinearPlusExponential: ParameterMap {
  let L = Matrix<Double>([[1, 2], [0, -3], [4, 0.5]])
  let W = Matrix<Double>([[0.2, 0], [1, 0.3], [0, -0.7]])

  @differentiable(reverse)
  func callAsFunction(_ p: Vector<Double>) -> Vector<Double> { L * p + W * p.exp() }

  func forwardProduct(_ t: Vector<Double>, at p: Vector<Double>) -> Vector<Double>? { L * t + W * (p.exp() * t) }
}

@Suite("Reparametrized conditions F(x, M(p))")
struct ReparametrizedTests {
  let condition = Reparametrized(SquaredTargetCondition(diagonal: Vector([2, 3, 5])), map: LinearPlusExponential())
  let p = Vector<Double>([0.7, -0.4])

  /// `x*(p) = M(p)² / D`.
  func solve(_ p: Vector<Double>) -> Vector<Double> {
    let θ = LinearPlusExponential()(p)
    return (θ * θ) / Vector([2, 3, 5])
  }

  @Test("the implicit Jacobian matches finite differences of re-solving")
  func jacobianAgainstFiniteDifferences() throws {
    let x = solve(p)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: x, p).matrix
    let reference = TestSupport.finiteDifferenceJacobian(at: p, solve)
    #expect(TestSupport.relativeError(implicit.scalars, reference.scalars) < 1e-7)
  }

  @Test("B̃ᵀu and B̃t are exact chain-rule products and adjoint to each other")
  func productsAgainstFiniteDifferences() throws {
    let x = solve(p)
    let u = Vector<Double>([0.3, -1.1, 0.6]), t = Vector<Double>([-0.8, 0.45])
    // B̃ = ∂F(x, M(p))/∂p by central differences, column by column.
    let b = TestSupport.finiteDifferenceJacobian(at: p) { condition(x, $0) }
    let forward = try #require(condition.parameterJacobianProduct(t, at: x, p))
    let reverse = try #require(condition.parameterJacobianTransposedProduct(u, at: x, p))
    #expect(TestSupport.relativeError(forward.scalars, (b * t).scalars) < 1e-7)
    #expect(TestSupport.relativeError(reverse.scalars, b.transposedTimes(u).scalars) < 1e-7)
    #expect(abs(u.dot(forward) - t.dot(reverse)) < 1e-12)
    // Reverse mode of F̃ (the explicit derivative) agrees with the hand-chained product.
    let ad = pullback(at: x, p) { x, p in condition(x, p) }(u).1
    #expect(TestSupport.relativeError(ad.scalars, reverse.scalars) < 1e-12)
  }

  @Test("InputSelection reads differentiated inputs into their slots; its products are adjoint")
  func inputSelection() throws {
    struct Data: CaseData {
      var file: String { "mem" }
      var family: String { "toy" }
      var method: String? { nil }
      var thetaNames: [String] { ["b", "s"] }
      func input(_ name: String) -> CaseArray? {
        ["a": ([2], [1.0, 2]), "b": ([3], [3.0, 4, 5]), "s": ([], [7.0])][name]
      }
      func formatError(field: String, message: String) -> any Error { ImplicitError.invalidArgument(message) }
    }
    let data = Data()
    let layout = try ParameterLayout(data)
    #expect(layout.packed.scalars == [3, 4, 5, 7])
    // θ = [a; b; s broadcast over 2]: the map is 6 × 4, not square, not symmetric.
    let map = try InputSelection(
      layout: layout, base: Vector([1, 2, 3, 4, 5, 0, 0]),
      slots: [
        .init(name: "a", offset: 0, count: 2), .init(name: "b", offset: 2, count: 3),
        .init(name: "s", offset: 5, count: 2),
      ])
    let p = Vector<Double>([-1, -2, -3, 9])
    #expect(map(p).scalars == [1, 2, -1, -2, -3, 9, 9])
    let t = Vector<Double>([0.5, 0, 1, 2]), u = Vector<Double>([1, 1, 1, 1, 1, 1, 1])
    let forward = try #require(map.forwardProduct(t, at: p))
    let reverse = pullback(at: p) { map($0) }(u)
    #expect(forward.scalars == [0, 0, 0.5, 0, 1, 2, 2])
    #expect(reverse.scalars == [1, 1, 1, 2])
    // The transposed product without the map's value (Reparametrized's Bᵀ uses it) is the pullback.
    #expect(map.transposedProduct(u, at: p)?.scalars == reverse.scalars)
    #expect(u.dot(forward) == t.dot(reverse))
    // A differentiated input of the wrong size, or a slot outside θ, is a typed error, not a trap.
    #expect(throws: ImplicitError.self) {
      try InputSelection(layout: layout, base: Vector([1, 2, 3, 4, 5]), slots: [.init(name: "b", offset: 0, count: 2)])
    }
    #expect(throws: ImplicitError.self) {
      try InputSelection(layout: layout, base: Vector([1, 2]), slots: [.init(name: "a", offset: 1, count: 2)])
    }
  }
}
