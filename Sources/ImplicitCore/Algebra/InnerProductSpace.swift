public import _Differentiation

/// The vector-space structure the implicit-differentiation machinery needs from a solution
/// `x`, a parameter `θ` and their tangents.
///
/// `Double`, `Vector<Double>` and `Matrix<Double>` conform. A struct of several pieces — say a
/// primal vector and its dual variables — conforms in a few lines:
///
/// ```swift
/// struct PrimalDual: Differentiable, AdditiveArithmetic, InnerProductSpace {
///   var primal: Vector<Double>
///   var dual: Vector<Double>
///   typealias TangentVector = PrimalDual
///
///   var flattened: [Double] { primal.scalars + dual.scalars }
///   func unflattened(_ values: [Double]) -> PrimalDual {
///     PrimalDual(primal: Vector(Array(values[..<primal.count])),
///                dual: Vector(Array(values[primal.count...])))
///   }
///   // Reverse mode hands back a symbolic (empty) zero for a member nothing depended on.
///   func materialized(like template: PrimalDual) -> PrimalDual {
///     PrimalDual(primal: primal.materialized(like: template.primal),
///                dual: dual.materialized(like: template.dual))
///   }
/// }
/// ```
///
/// `flattened` / `unflattened(_:)` are the only requirements without a default: they fix
/// the order of the coordinates, which dense solves and full Jacobians use. Conformers that
/// care about speed also implement `innerProduct(with:)` and `addScaled(_:_:)` directly.
///
/// The empty value `.zero` that `AdditiveArithmetic` provides may be a *symbolic* zero with no
/// shape (as for ``Vector``); the library never takes its shape from `.zero`, and expands
/// cotangents with ``materialized(like:)`` before using them. A struct whose members can be
/// symbolic zeros on their own implements that member by member, as above.
public protocol InnerProductSpace: Differentiable, AdditiveArithmetic where TangentVector == Self {
  /// The coordinates, in a fixed order.
  var flattened: [Double] { get }
  /// A value of the same shape as `self` holding `values` (as ordered by ``flattened``).
  func unflattened(_ values: [Double]) -> Self
  /// `⟨self, other⟩`.
  func innerProduct(with other: Self) -> Double
  /// `self += alpha·x`.
  mutating func addScaled(_ alpha: Double, _ x: Self)
  /// `alpha·self`.
  func scaled(by alpha: Double) -> Self
  /// The number of coordinates.
  var dimension: Int { get }
  /// `self` with every symbolic (shapeless) zero replaced by a real zero shaped like
  /// `template`. The default handles a value that is entirely symbolic; structs implement it
  /// member by member.
  func materialized(like template: Self) -> Self
}

extension InnerProductSpace {
  public func innerProduct(with other: Self) -> Double {
    let a = flattened, b = other.flattened
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { Kernels.dot(pa.baseAddress!, $0.baseAddress!, min(a.count, b.count)) }
    }
  }
  public mutating func addScaled(_ alpha: Double, _ x: Self) {
    var a = flattened
    let b = x.flattened
    if a.isEmpty { a = Array(repeating: 0, count: b.count) }
    for i in 0..<b.count { a[i] += alpha * b[i] }
    self = unflattened(a)
  }
  public func scaled(by alpha: Double) -> Self { unflattened(flattened.map { alpha * $0 }) }
  public var dimension: Int { flattened.count }
  public func materialized(like template: Self) -> Self {
    dimension == 0 && template.dimension != 0 ? template.zeroLike : self
  }

  /// `‖self‖₂`.
  @inlinable public var norm: Double { innerProduct(with: self).squareRoot() }
  /// Whether every coordinate is finite.
  public var isFinite: Bool { flattened.allSatisfy(\.isFinite) }
  /// The zero of the same shape as `self` (unlike `.zero`, which may be shapeless).
  public var zeroLike: Self { unflattened(Array(repeating: 0, count: dimension)) }
}

extension Double: InnerProductSpace {
  @inlinable public var flattened: [Double] { [self] }
  @inlinable public func unflattened(_ values: [Double]) -> Double { values[0] }
  @inlinable public func innerProduct(with other: Double) -> Double { self * other }
  @inlinable public mutating func addScaled(_ alpha: Double, _ x: Double) { self += alpha * x }
  @inlinable public func scaled(by alpha: Double) -> Double { alpha * self }
  @inlinable public var dimension: Int { 1 }
}

extension Vector: InnerProductSpace where Scalar == Double {
  @inlinable public var flattened: [Double] { scalars }
  @inlinable public func unflattened(_ values: [Double]) -> Vector { Vector(values) }
  @inlinable public func innerProduct(with other: Vector) -> Double { _dot(other) }
  @inlinable public mutating func addScaled(_ alpha: Double, _ x: Vector) {
    if x.isEmpty { return }
    if isEmpty { scalars = Array(repeating: 0, count: x.count) }
    precondition(count == x.count, "Vector.addScaled: dimensions \(count) and \(x.count)")
    scalars.withUnsafeMutableBufferPointer { y in
      x.scalars.withUnsafeBufferPointer { Kernels.axpy(alpha, $0.baseAddress!, y.baseAddress!, y.count) }
    }
  }
  @inlinable public func scaled(by alpha: Double) -> Vector { _scaled(by: alpha) }
  @inlinable public var dimension: Int { count }
}

extension Matrix: InnerProductSpace where Scalar == Double {
  @inlinable public var flattened: [Double] { scalars }
  @inlinable public func unflattened(_ values: [Double]) -> Matrix {
    Matrix(rows: rows, columns: columns, scalars: values)
  }
  @inlinable public func innerProduct(with other: Matrix) -> Double {
    Vector(scalars)._dot(Vector(other.scalars))
  }
  @inlinable public mutating func addScaled(_ alpha: Double, _ x: Matrix) {
    if x.isEmpty { return }
    if isEmpty { self = Matrix.zeros(rows: x.rows, columns: x.columns) }
    var v = Vector(scalars)
    v.addScaled(alpha, Vector(x.scalars))
    scalars = v.scalars
  }
  @inlinable public func scaled(by alpha: Double) -> Matrix {
    Matrix(rows: rows, columns: columns, scalars: Vector(scalars)._scaled(by: alpha).scalars)
  }
  @inlinable public var dimension: Int { scalars.count }
}
