public import _Differentiation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A real scalar that the library's vectors and matrices are generic over.
///
/// Two types conform: `Double`, for ordinary computation, and ``Dual``, a dual number
/// whose tangent part carries an exact directional derivative. Writing a function once,
/// generic over `RealScalar`, gives both its value (on `Double`) and exact forward-mode
/// derivatives (on `Dual`), and — because `Dual` is itself `Differentiable` — exact
/// Hessian-vector products by running reverse mode over dual numbers.
///
/// Why the protocol does not state `TangentVector == Self`: that would make `Self`
/// `AdditiveArithmetic`, and in generic code `a + b` would then resolve to the
/// `AdditiveArithmetic` requirement, which the compiler cannot differentiate. Declaring
/// every operator here as a `@differentiable` requirement keeps generic scalar code
/// differentiable. ``init(tangent:)`` and ``tangent`` convert between a scalar and its
/// tangent (the identity for both conforming types).
public protocol RealScalar: Differentiable, Comparable, Sendable, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, CustomStringConvertible
{
  @differentiable(reverse) static func + (lhs: Self, rhs: Self) -> Self
  @differentiable(reverse) static func - (lhs: Self, rhs: Self) -> Self
  @differentiable(reverse) static func * (lhs: Self, rhs: Self) -> Self
  @differentiable(reverse) static func / (lhs: Self, rhs: Self) -> Self
  @differentiable(reverse) static prefix func - (operand: Self) -> Self
  @differentiable(reverse) static func exp(_ x: Self) -> Self
  @differentiable(reverse) static func log(_ x: Self) -> Self
  @differentiable(reverse) static func log1p(_ x: Self) -> Self
  @differentiable(reverse) static func sqrt(_ x: Self) -> Self

  /// The scalar with real part `value` (and, for dual numbers, a zero tangent).
  init(_ value: Double)
  /// Converts a cotangent into a scalar of this type.
  init(tangent: TangentVector)
  /// This scalar viewed as a cotangent.
  var tangent: TangentVector { get }
  /// The real part: what branches and comparisons look at.
  var primal: Double { get }
  /// The additive identity.
  static var zero: Self { get }
}

extension RealScalar {
  /// Whether the real part (and, for duals, the tangent) is finite.
  @inlinable public var isFiniteScalar: Bool { primal.isFinite }
}

extension Double: RealScalar {
  @inlinable public init(tangent: Double) { self = tangent }
  @inlinable public var tangent: Double { self }
  @inlinable public var primal: Double { self }

  @inlinable @differentiable(reverse)
  public static func exp(_ x: Double) -> Double { _elementaryExp(x) }
  @inlinable @derivative(of: exp)
  public static func _vjpExp(_ x: Double) -> (value: Double, pullback: (Double) -> Double) {
    let e = _elementaryExp(x)
    return (e, { $0 * e })
  }

  @inlinable @differentiable(reverse)
  public static func log(_ x: Double) -> Double { _elementaryLog(x) }
  @inlinable @derivative(of: log)
  public static func _vjpLog(_ x: Double) -> (value: Double, pullback: (Double) -> Double) {
    (_elementaryLog(x), { $0 / x })
  }

  @inlinable @differentiable(reverse)
  public static func log1p(_ x: Double) -> Double { _elementaryLog1p(x) }
  @inlinable @derivative(of: log1p)
  public static func _vjpLog1p(_ x: Double) -> (value: Double, pullback: (Double) -> Double) {
    (_elementaryLog1p(x), { $0 / (1 + x) })
  }

  @inlinable @differentiable(reverse)
  public static func sqrt(_ x: Double) -> Double { x.squareRoot() }
  @inlinable @derivative(of: sqrt)
  public static func _vjpSqrt(_ x: Double) -> (value: Double, pullback: (Double) -> Double) {
    let r = x.squareRoot()
    return (r, { $0 / (2 * r) })
  }
}

// libm entry points under names that cannot collide with the static requirements above.
@usableFromInline func _elementaryExp(_ x: Double) -> Double { exp(x) }
@usableFromInline func _elementaryLog(_ x: Double) -> Double { log(x) }
@usableFromInline func _elementaryLog1p(_ x: Double) -> Double { log1p(x) }
@usableFromInline func _elementaryExpm1(_ x: Double) -> Double { expm1(x) }
