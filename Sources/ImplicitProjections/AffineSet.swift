public import ImplicitCore
import _Differentiation

/// The parameters `(A, b)` of the affine set `{x : Ax = b}` (`A` is `m × n`, `b` has `m`
/// entries). Flattened as `A` (row-major) followed by `b`.
public struct AffineSet: InnerProductSpace, Sendable {
  /// The constraint matrix `A` (`m × n`).
  public var A: Matrix<Double>
  /// The right-hand side `b` (`m`).
  public var b: Vector<Double>

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(A: Matrix<Double>, b: Vector<Double>) {
    self.A = A
    self.b = b
  }

  @derivative(of: init(A:b:))
  public static func _vjpInit(A: Matrix<Double>, b: Vector<Double>) -> (
    value: AffineSet, pullback: (AffineSet) -> (Matrix<Double>, Vector<Double>)
  ) {
    (AffineSet(A: A, b: b), { ($0.A, $0.b) })
  }

  public typealias TangentVector = AffineSet
  public mutating func move(by step: AffineSet) { self = self + step }
  public static var zero: AffineSet { AffineSet(A: .zero, b: .zero) }
  public static func + (l: AffineSet, r: AffineSet) -> AffineSet { AffineSet(A: l.A + r.A, b: l.b + r.b) }
  public static func - (l: AffineSet, r: AffineSet) -> AffineSet { AffineSet(A: l.A - r.A, b: l.b - r.b) }

  public var flattened: [Double] { A.scalars + b.scalars }
  /// Takes the shape of `A` from `self`.
  public func unflattened(_ values: [Double]) -> AffineSet {
    let count = A.rows * A.columns
    return AffineSet(
      A: Matrix(rows: A.rows, columns: A.columns, scalars: Array(values[0..<count])), b: Vector(Array(values[count...]))
    )
  }
}
