public import ImplicitCore
import _Differentiation

/// The parameters of a box `{lower ≤ p ≤ upper}`: one lower and one upper bound per coordinate.
/// Flattened as `lower` followed by `upper`.
public struct BoxBounds: InnerProductSpace, Sendable {
  /// The lower bounds.
  public var lower: Vector<Double>
  /// The upper bounds.
  public var upper: Vector<Double>

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(lower: Vector<Double>, upper: Vector<Double>) {
    self.lower = lower
    self.upper = upper
  }

  @derivative(of: init(lower:upper:))
  public static func _vjpInit(lower: Vector<Double>, upper: Vector<Double>) -> (
    value: BoxBounds, pullback: (BoxBounds) -> (Vector<Double>, Vector<Double>)
  ) {
    (BoxBounds(lower: lower, upper: upper), { ($0.lower, $0.upper) })
  }

  public typealias TangentVector = BoxBounds
  public mutating func move(by offset: BoxBounds) { self = self + offset }
  public static var zero: BoxBounds { BoxBounds(lower: .zero, upper: .zero) }
  public static func + (a: BoxBounds, b: BoxBounds) -> BoxBounds {
    BoxBounds(lower: a.lower + b.lower, upper: a.upper + b.upper)
  }
  public static func - (a: BoxBounds, b: BoxBounds) -> BoxBounds {
    BoxBounds(lower: a.lower - b.lower, upper: a.upper - b.upper)
  }

  public var flattened: [Double] { lower.scalars + upper.scalars }
  public func unflattened(_ values: [Double]) -> BoxBounds {
    let n = values.count / 2
    return BoxBounds(lower: Vector(Array(values[0..<n])), upper: Vector(Array(values[n...])))
  }
}
