import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// A solution made of two pieces, as in the `InnerProductSpace` documentation.
struct PrimalDual: Differentiable, AdditiveArithmetic, InnerProductSpace {
  var primal: Vector<Double>
  var dual: Vector<Double>
  typealias TangentVector = PrimalDual

  var flattened: [Double] { primal.scalars + dual.scalars }
  func unflattened(_ values: [Double]) -> PrimalDual {
    PrimalDual(primal: Vector(Array(values[..<primal.count])), dual: Vector(Array(values[primal.count...])))
  }
  // The recipe of `InnerProductSpace`: expand member-wise symbolic zeros.
  func materialized(like template: PrimalDual) -> PrimalDual {
    PrimalDual(primal: primal.materialized(like: template.primal), dual: dual.materialized(like: template.dual))
  }
}

/// A parameter made of two pieces.
struct TwoPart: Differentiable, AdditiveArithmetic, InnerProductSpace {
  var a: Vector<Double>
  var b: Vector<Double>
  typealias TangentVector = TwoPart

  var flattened: [Double] { a.scalars + b.scalars }
  func unflattened(_ values: [Double]) -> TwoPart {
    TwoPart(a: Vector(Array(values[..<a.count])), b: Vector(Array(values[a.count...])))
  }
  func materialized(like template: TwoPart) -> TwoPart {
    TwoPart(a: a.materialized(like: template.a), b: b.materialized(like: template.b))
  }
}

/// `F((p, d), θ) = (M p − θ, d − 2p)`: `p* = M⁻¹θ`, `d* = 2M⁻¹θ`.
struct PrimalDualCondition: OptimalityCondition {
  let M: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: PrimalDual, _ θ: Vector<Double>) -> PrimalDual {
    PrimalDual(primal: M * x.primal - θ, dual: x.dual - 2 * x.primal)
  }
}

/// `F(x, θ) = M x − θ.a`, with `θ.b` not entering `F` (it may enter the user's loss).
struct PartialParameterCondition: OptimalityCondition {
  let M: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: TwoPart) -> Vector<Double> { M * x - θ.a }
}

/// Structs as solutions and parameters, and the symbolic zeros that reverse mode produces for
/// pieces a function does not use.
@Suite("Struct solutions and parameters")
struct StructSpaceTests {
  let n = 4
  var mRows: Reference.Rows { Reference.nonSymmetric(n, seed: 151, shift: 3, scale: 1) }

  @Test("InnerProductSpace defaults on a struct")
  func defaults() {
    let u = PrimalDual(primal: Vector([1, 2]), dual: Vector([3]))
    let v = PrimalDual(primal: Vector([-1, 0.5]), dual: Vector([2]))
    #expect(u.dimension == 3)
    #expect(u.innerProduct(with: v) == -1 + 1 + 6)
    #expect(u.scaled(by: 2).flattened == [2, 4, 6])
    var w = u
    w.addScaled(-1, v)
    #expect(w.flattened == [2, 1.5, 1])
    #expect(u.zeroLike.flattened == [0, 0, 0])
    #expect(Swift.abs(u.norm - 14.0.squareRoot()) < 1e-15)
    #expect(!PrimalDual(primal: Vector([.nan]), dual: Vector([1])).isFinite)
  }

  @Test("jacobian and VJP of a PrimalDual root")
  func primalDualRoot() throws {
    let m = Reference.matrix(mRows)
    let θ = Reference.randomVector(n, seed: 152)
    let p = Reference.solve(mRows, θ)!
    let x = PrimalDual(primal: Vector(p), dual: Vector(p.map { 2 * $0 }))
    let inverse = Reference.inverse(mRows)!
    let differentiator = ImplicitDifferentiator(PrimalDualCondition(M: m))
    let j = try differentiator.jacobian(at: x, Vector(θ))
    #expect(j.matrix.rows == 2 * n && j.matrix.columns == n)
    let expected = inverse + inverse.map { $0.map { 2 * $0 } }
    #expect(Reference.relativeError(Reference.rows(j.matrix), expected) < 1e-12)
  }

  @Test("a loss that uses only the primal part: the dual cotangent is a symbolic zero")
  func lossOfPrimalOnly() {
    let m = Reference.matrix(mRows)
    let rows = mRows
    let function = ImplicitFunction(condition: PrimalDualCondition(M: m)) { θ in
      let p = Reference.solve(rows, θ.scalars)!
      return PrimalDual(primal: Vector(p), dual: Vector(p.map { 2 * $0 }))
    }
    let θ = Reference.randomVector(n, seed: 153), r = Vector(Reference.randomVector(n, seed: 154))
    let g = gradient(at: Vector(θ)) { θ in function(θ).primal.dot(r) }
    let expected = Reference.solve(Reference.transpose(mRows), r.scalars)!  // M⁻ᵀr
    #expect(
      g.count == n && Reference.relativeError(g.scalars, expected) < 1e-12,
      "\(g) vs \(expected)")
  }

  @Test("a parameter piece that F does not use gets a zero derivative, the other piece its own")
  func partiallyUsedParameter() throws {
    let m = Reference.matrix(mRows)
    let θ = TwoPart(a: Vector(Reference.randomVector(n, seed: 155)), b: Vector([0.5, -0.5]))
    let x = Vector(Reference.solve(mRows, θ.a.scalars)!)
    let u = Vector(Reference.randomVector(n, seed: 156))
    let differentiator = ImplicitDifferentiator(PartialParameterCondition(M: m))
    let vjp = try differentiator.vjp(u, at: x, θ).value
    let expected = Reference.solve(Reference.transpose(mRows), u.scalars)!  // M⁻ᵀu
    #expect(Reference.relativeError(vjp.a.scalars, expected) < 1e-12, "\(vjp)")
    #expect(vjp.b.scalars == [0, 0], "\(vjp)")
    let j = try differentiator.jacobian(at: x, θ)
    let inverse = Reference.inverse(mRows)!
    let expectedJ = inverse.map { $0 + [0, 0] }
    #expect(Reference.relativeError(Reference.rows(j.matrix), expectedJ) < 1e-12, "\(j.matrix)")
  }
}
