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
///   // Reverse mode hands back a symbolic zero for a member nothing depended on.
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
/// The value `.zero` that `AdditiveArithmetic` provides may be a *symbolic* zero with no shape
/// (``isSymbolicZero``; ``Vector/zero`` is one, and is not the empty vector); the library never
/// takes its shape from `.zero`, and expands cotangents with ``materialized(like:)`` before using
/// them. A struct whose members can be symbolic zeros on their own implements that member by
/// member, as above.
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
  /// Whether `self` is a symbolic (shapeless) zero, which acts as zero of every shape. Default:
  /// `dimension == 0` (a type whose only value without coordinates is its `.zero`); ``Vector``
  /// tells its symbolic zero from a genuine vector of dimension 0.
  var isSymbolicZero: Bool { get }
  /// `self` with every symbolic (shapeless) zero replaced by a real zero shaped like
  /// `template`. The default handles a value that is entirely symbolic; structs implement it
  /// member by member.
  func materialized(like template: Self) -> Self
}

extension InnerProductSpace {
  public var isSymbolicZero: Bool { dimension == 0 }
  /// `⟨self, other⟩`: 0 when either is a symbolic zero; traps when the dimensions differ
  /// otherwise (a programming error, like an index out of range), never truncates.
  public func innerProduct(with other: Self) -> Double {
    if isSymbolicZero || other.isSymbolicZero { return 0 }
    let a = flattened, b = other.flattened
    precondition(a.count == b.count, "innerProduct: dimensions \(a.count) and \(b.count)")
    guard !a.isEmpty else { return 0 }
    return a.withUnsafeBufferPointer { pa in
      b.withUnsafeBufferPointer { Kernels.dot(pa.baseAddress!, $0.baseAddress!, a.count) }
    }
  }
  /// `self += alpha·x`: a symbolic zero on either side is zero; traps when the dimensions differ
  /// otherwise.
  public mutating func addScaled(_ alpha: Double, _ x: Self) {
    if x.isSymbolicZero { return }
    if isSymbolicZero {
      self = x.scaled(by: alpha)
      return
    }
    var a = flattened
    let b = x.flattened
    precondition(a.count == b.count, "addScaled: dimensions \(a.count) and \(b.count)")
    for i in 0..<b.count { a[i] += alpha * b[i] }
    self = unflattened(a)
  }
  public func scaled(by alpha: Double) -> Self { unflattened(flattened.map { alpha * $0 }) }
  public var dimension: Int { flattened.count }
  public func materialized(like template: Self) -> Self {
    isSymbolicZero && !template.isSymbolicZero ? template.zeroLike : self
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
  /// `values` as a vector (the symbolic zero stays symbolic when `values` is empty).
  @inlinable public func unflattened(_ values: [Double]) -> Vector {
    isSymbolicZero && values.isEmpty ? self : Vector(values)
  }
  @inlinable public func innerProduct(with other: Vector) -> Double { _dot(other) }
  @inlinable public mutating func addScaled(_ alpha: Double, _ x: Vector) {
    if x.isSymbolicZero { return }
    if isSymbolicZero { self = Vector.zeros(x.count) }
    precondition(count == x.count, "Vector.addScaled: dimensions \(count) and \(x.count)")
    if isEmpty { return }
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
    if isEmpty || other.isEmpty { return 0 }  // the matrix's own symbolic zero is 0×0
    return Vector(scalars)._dot(Vector(other.scalars))
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
