public import ImplicitCore
import _Differentiation

/// The marginals `(a, b)` of the transportation polytope `U(a, b) = {P ≥ 0 : P𝟙 = a, Pᵀ𝟙 = b}`
/// (`a` one entry per row, `b` one per column; `Σa = Σb`). Flattened as `a` followed by `b`.
public struct TransportMarginals: InnerProductSpace, Sendable {
  /// Row sums.
  public var a: Vector<Double>
  /// Column sums.
  public var b: Vector<Double>

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(a: Vector<Double>, b: Vector<Double>) {
    self.a = a
    self.b = b
  }

  @derivative(of: init(a:b:))
  public static func _vjpInit(a: Vector<Double>, b: Vector<Double>) -> (
    value: TransportMarginals, pullback: (TransportMarginals) -> (Vector<Double>, Vector<Double>)
  ) {
    (TransportMarginals(a: a, b: b), { ($0.a, $0.b) })
  }

  /// The Birkhoff polytope's marginals (doubly stochastic `n × n` matrices).
  public static func birkhoff(_ n: Int) -> TransportMarginals {
    TransportMarginals(a: Vector(repeating: 1, count: n), b: Vector(repeating: 1, count: n))
  }

  public typealias TangentVector = TransportMarginals
  public mutating func move(by step: TransportMarginals) { self = self + step }
  public static var zero: TransportMarginals { TransportMarginals(a: .zero, b: .zero) }
  public static func + (l: TransportMarginals, r: TransportMarginals) -> TransportMarginals {
    TransportMarginals(a: l.a + r.a, b: l.b + r.b)
  }
  public static func - (l: TransportMarginals, r: TransportMarginals) -> TransportMarginals {
    TransportMarginals(a: l.a - r.a, b: l.b - r.b)
  }

  public var flattened: [Double] { a.scalars + b.scalars }
  /// Takes the number of rows from `self`.
  public func unflattened(_ values: [Double]) -> TransportMarginals {
    TransportMarginals(a: Vector(Array(values[0..<a.count])), b: Vector(Array(values[a.count...])))
  }
}
