public import ImplicitCore
import _Differentiation

/// The parameters of a box section `{x : lower ≤ x ≤ upper, wᵀx = c}`: bounds, weights `w` and
/// value `c`. Flattened as `lower`, `upper`, `weights`, then `value`.
public struct BoxSection: InnerProductSpace, Sendable {
  public var lower: Vector<Double>
  public var upper: Vector<Double>
  /// The weights `w` of the linear constraint.
  public var weights: Vector<Double>
  /// The value `c` of the linear constraint.
  public var value: Double

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(lower: Vector<Double>, upper: Vector<Double>, weights: Vector<Double>, value: Double) {
    self.lower = lower
    self.upper = upper
    self.weights = weights
    self.value = value
  }

  @derivative(of: init(lower:upper:weights:value:))
  public static func _vjpInit(lower: Vector<Double>, upper: Vector<Double>, weights: Vector<Double>, value: Double) -> (
    value: BoxSection, pullback: (BoxSection) -> (Vector<Double>, Vector<Double>, Vector<Double>, Double)
  ) {
    (
      BoxSection(lower: lower, upper: upper, weights: weights, value: value),
      { ($0.lower, $0.upper, $0.weights, $0.value) }
    )
  }

  public typealias TangentVector = BoxSection
  public mutating func move(by step: BoxSection) { self = self + step }
  public static var zero: BoxSection { BoxSection(lower: .zero, upper: .zero, weights: .zero, value: 0) }
  public static func + (l: BoxSection, r: BoxSection) -> BoxSection {
    BoxSection(
      lower: l.lower + r.lower, upper: l.upper + r.upper, weights: l.weights + r.weights, value: l.value + r.value)
  }
  public static func - (l: BoxSection, r: BoxSection) -> BoxSection {
    BoxSection(
      lower: l.lower - r.lower, upper: l.upper - r.upper, weights: l.weights - r.weights, value: l.value - r.value)
  }

  public var flattened: [Double] { lower.scalars + upper.scalars + weights.scalars + [value] }
  public func unflattened(_ values: [Double]) -> BoxSection {
    let n = (values.count - 1) / 3
    return BoxSection(
      lower: Vector(Array(values[0..<n])), upper: Vector(Array(values[n..<(2 * n)])),
      weights: Vector(Array(values[(2 * n)..<(3 * n)])), value: values.last ?? 0)
  }
}
