import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// `T(x, θ) = ½·M x + θ`: a contraction for `‖M‖ < 2`, with fixed
/// point `x* = (I − ½M)⁻¹θ` and `∂x*/∂θ = (I − ½M)⁻¹`.
struct AffineContraction: FixedPointMap {
  let M: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { 0.5 * (M * x) + θ }
}

/// `T(x, θ) = θ²` (elementwise), independent of `x`: the pullback in `x` is a symbolic zero.
struct ConstantMap: FixedPointMap {
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { θ * θ }
}

@Suite("FixedPointCondition F = T − x")
struct FixedPointConditionTests {
  let n = 5
  var mRows: Reference.Rows { Reference.randomRows(n, n, seed: 161, scale: 0.3) }

  @Test("Jacobian of an affine contraction = (I − ½M)⁻¹")
  func affineContraction() throws {
    let condition = FixedPointCondition(AffineContraction(M: Reference.matrix(mRows)))
    let θ = Reference.randomVector(n, seed: 162)
    let iMinusHalfM = Reference.add(Reference.identity(n), mRows, scale: -0.5)
    // The solver under test is irrelevant: iterate the map to its fixed point.
    var x = [Double](repeating: 0, count: n)
    for _ in 0..<200 { x = zip(Reference.matvec(mRows, x), θ).map { 0.5 * $0 + $1 } }
    #expect(Reference.relativeError(x, Reference.solve(iMinusHalfM, θ)!) < 1e-14)

    let expected = Reference.inverse(iMinusHalfM)!
    for method in [AutomaticLinearSolver(), GMRES(restart: 5), BiCGSTAB(), DenseQR()] as [any LinearSolver] {
      let d = ImplicitDifferentiator(
        condition, options: ImplicitOptions(linearSolver: tuned(method, 1e-13)))
      let j = try d.jacobian(at: Vector(x), Vector(θ))
      #expect(Reference.relativeError(Reference.rows(j.matrix), expected) < 1e-11, "\(method)")
      let u = Reference.randomVector(n, seed: 163)
      let vjp = try d.vjp(Vector(u), at: Vector(x), Vector(θ)).value
      #expect(
        Reference.relativeError(vjp.scalars, Reference.matvec(Reference.transpose(expected), u)) < 1e-11, "\(method)")
    }
  }

  @Test("a map independent of x: A = −I, ∂x*/∂θ = diag(2θ)")
  func mapIndependentOfX() throws {
    let condition = FixedPointCondition(ConstantMap())
    let θ = [0.5, -1.5, 2.0]
    let x = Vector(θ.map { $0 * $0 })
    let j = try ImplicitDifferentiator(condition).jacobian(at: x, Vector(θ))
    let expected = (0..<3).map { i in (0..<3).map { k in i == k ? 2 * θ[i] : 0 } }
    #expect(Reference.relativeError(Reference.rows(j.matrix), expected) < 1e-14)
  }
}
