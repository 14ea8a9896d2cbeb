import _Differentiation

/// A dual number `value + tangent·ε` with `ε² = 0`.
///
/// Evaluating a function written generically over ``RealScalar`` on dual numbers gives its
/// value and its exact directional derivative in one pass (forward mode without the
/// compiler's experimental forward mode). Because `Dual` is `Differentiable`, reverse mode
/// can also run *over* dual numbers: the gradient of `f` at `x + εv` has `∇f(x)` as its
/// value part and the exact Hessian-vector product `∇²f(x)·v` as its tangent part.
@frozen
public struct Dual: RealScalar, AdditiveArithmetic {
  /// The real part.
  public var value: Double
  /// The ε part: the directional derivative being carried.
  public var derivative: Double

  /// Creates `value + derivative·ε`.
  @inlinable public init(_ value: Double, derivative: Double) {
    self.value = value
    self.derivative = derivative
  }
  @inlinable public init(_ value: Double) { self.init(value, derivative: 0) }
  @inlinable public init(integerLiteral value: Int) { self.init(Double(value)) }
  @inlinable public init(floatLiteral value: Double) { self.init(value) }
  @inlinable public init(tangent: Dual) { self = tangent }
  @inlinable public var tangent: Dual { self }
  @inlinable public var primal: Double { value }
  @inlinable public var isFiniteScalar: Bool { value.isFinite && derivative.isFinite }
  public var description: String { "\(value) + \(derivative)ε" }

  public typealias TangentVector = Dual
  @inlinable public mutating func move(by offset: Dual) { self = self + offset }
  @inlinable public static var zero: Dual { Dual(0, derivative: 0) }
  @inlinable public static func < (lhs: Dual, rhs: Dual) -> Bool { lhs.value < rhs.value }
  @inlinable public static func == (lhs: Dual, rhs: Dual) -> Bool {
    lhs.value == rhs.value && lhs.derivative == rhs.derivative
  }

  @inlinable @differentiable(reverse)
  public static func + (lhs: Dual, rhs: Dual) -> Dual {
    Dual(lhs.value + rhs.value, derivative: lhs.derivative + rhs.derivative)
  }
  @inlinable @derivative(of: +)
  public static func _vjpAdd(lhs: Dual, rhs: Dual) -> (value: Dual, pullback: (Dual) -> (Dual, Dual)) {
    (lhs + rhs, { ($0, $0) })
  }

  @inlinable @differentiable(reverse)
  public static func - (lhs: Dual, rhs: Dual) -> Dual {
    Dual(lhs.value - rhs.value, derivative: lhs.derivative - rhs.derivative)
  }
  @inlinable @derivative(of: -)
  public static func _vjpSubtract(lhs: Dual, rhs: Dual) -> (
    value: Dual, pullback: (Dual) -> (Dual, Dual)
  ) {
    (lhs - rhs, { ($0, -$0) })
  }

  @inlinable @differentiable(reverse)
  public static prefix func - (operand: Dual) -> Dual {
    Dual(-operand.value, derivative: -operand.derivative)
  }
  @inlinable @derivative(of: -)
  public static func _vjpNegate(operand: Dual) -> (value: Dual, pullback: (Dual) -> Dual) {
    (-operand, { -$0 })
  }

  @inlinable @differentiable(reverse)
  public static func * (lhs: Dual, rhs: Dual) -> Dual {
    Dual(
      lhs.value * rhs.value,
      derivative: lhs.derivative * rhs.value + lhs.value * rhs.derivative)
  }
  @inlinable @derivative(of: *)
  public static func _vjpMultiply(lhs: Dual, rhs: Dual) -> (
    value: Dual, pullback: (Dual) -> (Dual, Dual)
  ) {
    (lhs * rhs, { ($0 * rhs, $0 * lhs) })
  }

  @inlinable @differentiable(reverse)
  public static func / (lhs: Dual, rhs: Dual) -> Dual {
    let q = lhs.value / rhs.value
    return Dual(q, derivative: (lhs.derivative - q * rhs.derivative) / rhs.value)
  }
  @inlinable @derivative(of: /)
  public static func _vjpDivide(lhs: Dual, rhs: Dual) -> (
    value: Dual, pullback: (Dual) -> (Dual, Dual)
  ) {
    let q = lhs / rhs
    return (q, { ($0 / rhs, -($0 * q) / rhs) })
  }

  @inlinable @differentiable(reverse)
  public static func exp(_ x: Dual) -> Dual {
    let e = _elementaryExp(x.value)
    return Dual(e, derivative: e * x.derivative)
  }
  @inlinable @derivative(of: exp)
  public static func _vjpExp(_ x: Dual) -> (value: Dual, pullback: (Dual) -> Dual) {
    let e = exp(x)
    return (e, { $0 * e })
  }

  @inlinable @differentiable(reverse)
  public static func log(_ x: Dual) -> Dual {
    Dual(_elementaryLog(x.value), derivative: x.derivative / x.value)
  }
  @inlinable @derivative(of: log)
  public static func _vjpLog(_ x: Dual) -> (value: Dual, pullback: (Dual) -> Dual) {
    (log(x), { $0 / x })
  }

  @inlinable @differentiable(reverse)
  public static func log1p(_ x: Dual) -> Dual {
    Dual(_elementaryLog1p(x.value), derivative: x.derivative / (1 + x.value))
  }
  @inlinable @derivative(of: log1p)
  public static func _vjpLog1p(_ x: Dual) -> (value: Dual, pullback: (Dual) -> Dual) {
    (log1p(x), { $0 / (1 + x) })
  }

  @inlinable @differentiable(reverse)
  public static func sqrt(_ x: Dual) -> Dual {
    let r = x.value.squareRoot()
    return Dual(r, derivative: x.derivative / (2 * r))
  }
  @inlinable @derivative(of: sqrt)
  public static func _vjpSqrt(_ x: Dual) -> (value: Dual, pullback: (Dual) -> Dual) {
    let r = sqrt(x)
    return (r, { $0 / (2 * r) })
  }
}
