public import _Differentiation

/// A dense row-major matrix, generic over its scalar like ``Vector``.
///
/// The 0×0 matrix doubles as the symbolic zero tangent. Products with vectors have separate
/// derivatives for "with respect to the vector only" and "with respect to both", so
/// differentiating `A * x` in `x` never builds the outer product that `∂/∂A` would need.
@frozen
public struct Matrix<Scalar: RealScalar>: Sendable {
  /// Number of rows.
  public var rows: Int
  /// Number of columns.
  public var columns: Int
  /// Entries in row-major order.
  public var scalars: [Scalar]

  /// A matrix from row-major entries, for shapes the code itself guarantees.
  ///
  /// `scalars.count` must equal `rows * columns`; otherwise this traps, as `Array` does on a bad
  /// index (a programming error). For data from users or files use the throwing
  /// ``init(rows:columns:validating:)``.
  @inlinable public init(rows: Int, columns: Int, scalars: [Scalar]) {
    precondition(
      rows >= 0 && columns >= 0 && scalars.count == rows * columns,
      "Matrix: \(scalars.count) entries for \(rows)×\(columns)")
    self.rows = rows
    self.columns = columns
    self.scalars = scalars
  }
  /// A matrix from an array of equally long rows, for literals and shapes the code itself
  /// guarantees. Ragged rows trap (a programming error); for data from users or files use the
  /// throwing ``init(validating:)``.
  @inlinable public init(_ rowArrays: [[Scalar]]) {
    let c = rowArrays.first?.count ?? 0
    precondition(rowArrays.allSatisfy { $0.count == c }, "Matrix: rows of different lengths")
    self.init(rows: rowArrays.count, columns: c, scalars: rowArrays.flatMap { $0 })
  }
  /// A matrix from row-major entries given as data: throws
  /// ``ImplicitError/shapeMismatch(what:expected:actual:)`` when `scalars.count ≠ rows × columns`
  /// and ``ImplicitError/invalidArgument(_:)`` for a negative or overflowing shape, instead of
  /// trapping like ``init(rows:columns:scalars:)``.
  public init(rows: Int, columns: Int, validating scalars: [Scalar]) throws {
    guard rows >= 0, columns >= 0 else {
      throw ImplicitError.invalidArgument("a matrix shape must be non-negative, got \(rows)×\(columns)")
    }
    let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
    guard !overflow else { throw ImplicitError.invalidArgument("the matrix shape \(rows)×\(columns) overflows") }
    guard scalars.count == count else {
      throw ImplicitError.shapeMismatch(
        what: "the entries of a \(rows)×\(columns) matrix", expected: "\(count) entries", actual: "\(scalars.count)")
    }
    self.init(rows: rows, columns: columns, scalars: scalars)
  }
  /// A matrix from rows given as data: throws ``ImplicitError/shapeMismatch(what:expected:actual:)``
  /// naming the first row whose length differs from the first row's, instead of trapping like
  /// ``init(_:)``.
  public init(validating rowArrays: [[Scalar]]) throws {
    let c = rowArrays.first?.count ?? 0
    if let i = rowArrays.firstIndex(where: { $0.count != c }) {
      throw ImplicitError.shapeMismatch(
        what: "row \(i) of the matrix", expected: "\(c) entries (as row 0)", actual: "\(rowArrays[i].count)")
    }
    self.init(rows: rowArrays.count, columns: c, scalars: rowArrays.flatMap { $0 })
  }
  /// A `rows`×`columns` matrix filled with `value`.
  @inlinable public init(repeating value: Scalar, rows: Int, columns: Int) {
    self.init(rows: rows, columns: columns, scalars: Array(repeating: value, count: rows * columns))
  }
  /// The zero matrix.
  @inlinable public static func zeros(rows: Int, columns: Int) -> Matrix {
    Matrix(repeating: .zero, rows: rows, columns: columns)
  }
  /// The identity matrix of size `n`.
  @inlinable public static func identity(_ n: Int) -> Matrix {
    var m = zeros(rows: n, columns: n)
    for i in 0..<n { m.scalars[i * n + i] = 1 }
    return m
  }
  /// A matrix of `Scalar` converted from a real matrix (the identity for `Double`).
  @inlinable public init(converting other: Matrix<Double>) {
    self.init(rows: other.rows, columns: other.columns, scalars: Vector<Scalar>(converting: other.scalars).scalars)
  }

  /// Entry access (not differentiable). Traps on an index outside the shape, like `Array`.
  @inlinable public subscript(row: Int, column: Int) -> Scalar {
    get { scalars[row * columns + column] }
    set { scalars[row * columns + column] = newValue }
  }
  /// Row `i` as a vector (not differentiable).
  @inlinable public func row(_ i: Int) -> Vector<Scalar> {
    Vector(Array(scalars[(i * columns)..<((i + 1) * columns)]))
  }
  /// The rows as arrays.
  @inlinable public var rowArrays: [[Scalar]] { (0..<rows).map { row($0).scalars } }
  /// Whether the matrix is the empty symbolic zero.
  @inlinable public var isEmpty: Bool { scalars.isEmpty }
  /// Whether every entry is finite.
  @inlinable public var isFinite: Bool { scalars.allSatisfy(\.isFiniteScalar) }
}

extension Matrix: Equatable where Scalar: Equatable {
  @inlinable public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
    lhs.rows == rhs.rows && lhs.columns == rhs.columns && lhs.scalars == rhs.scalars
  }
}

extension Matrix: AdditiveArithmetic {
  /// The symbolic zero (0×0), which acts as zero of every shape.
  @inlinable public static var zero: Matrix { Matrix(rows: 0, columns: 0, scalars: []) }

  @inlinable public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
    if lhs.isEmpty { return rhs }
    if rhs.isEmpty { return lhs }
    precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "Matrix +: shapes differ")
    return Matrix(rows: lhs.rows, columns: lhs.columns, scalars: (lhs.flattened + rhs.flattened).scalars)
  }

  @inlinable public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
    if rhs.isEmpty { return lhs }
    if lhs.isEmpty { return Matrix(rows: rhs.rows, columns: rhs.columns, scalars: rhs.flattened._negated().scalars) }
    precondition(lhs.rows == rhs.rows && lhs.columns == rhs.columns, "Matrix -: shapes differ")
    return Matrix(rows: lhs.rows, columns: lhs.columns, scalars: (lhs.flattened - rhs.flattened).scalars)
  }
}

extension Matrix: Differentiable {
  public typealias TangentVector = Matrix
  @inlinable public mutating func move(by offset: Matrix) { self = self + offset }
}

// MARK: - Kernels

extension Matrix {
  @inlinable var flattened: Vector<Scalar> { Vector(scalars) }

  @inlinable func _withDoubles<R>(_ body: (UnsafeBufferPointer<Double>) -> R) -> R {
    scalars.withUnsafeBufferPointer { $0.withMemoryRebound(to: Double.self, body) }
  }

  @inlinable func _matvec(_ x: Vector<Scalar>) -> Vector<Scalar> {
    precondition(columns == x.count, "Matrix * Vector: \(rows)×\(columns) times \(x.count)")
    if Scalar.self == Double.self {
      return _withDoubles { a in
        x._withDoubles { xs in
          Vector._fromDoubles(count: rows) { Kernels.matvec(a.baseAddress!, rows, columns, xs.baseAddress!, $0) }
        }
      }
    }
    var out = [Scalar](repeating: .zero, count: rows)
    for i in 0..<rows {
      var s = Scalar.zero
      for j in 0..<columns { s = s + scalars[i * columns + j] * x.scalars[j] }
      out[i] = s
    }
    return Vector(out)
  }

  @inlinable func _matvecTransposed(_ y: Vector<Scalar>) -> Vector<Scalar> {
    precondition(rows == y.count, "Matrix.transposedTimes: \(rows)×\(columns) transposed times \(y.count)")
    if Scalar.self == Double.self {
      return _withDoubles { a in
        y._withDoubles { ys in
          Vector._fromDoubles(count: columns) {
            Kernels.matvecTransposed(a.baseAddress!, rows, columns, ys.baseAddress!, $0)
          }
        }
      }
    }
    var out = [Scalar](repeating: .zero, count: columns)
    for i in 0..<rows {
      let yi = y.scalars[i]
      for j in 0..<columns { out[j] = out[j] + scalars[i * columns + j] * yi }
    }
    return Vector(out)
  }

  /// Outer product `u vᵀ` (the derivative of `A·v` with respect to `A`).
  @inlinable static func _outer(_ u: Vector<Scalar>, _ v: Vector<Scalar>) -> Matrix {
    var out = [Scalar]()
    out.reserveCapacity(u.count * v.count)
    for i in 0..<u.count { out.append(contentsOf: v._scaled(by: u.scalars[i]).scalars) }
    return Matrix(rows: u.count, columns: v.count, scalars: out)
  }

  @inlinable func _matmul(_ other: Matrix) -> Matrix {
    precondition(columns == other.rows, "Matrix * Matrix: \(rows)×\(columns) times \(other.rows)×\(other.columns)")
    if Scalar.self == Double.self {
      let c = [Double](unsafeUninitializedCapacity: rows * other.columns) { buffer, n in
        _withDoubles { a in
          other._withDoubles { b in
            if buffer.count > 0 {
              Kernels.matmul(a.baseAddress!, b.baseAddress!, rows, columns, other.columns, buffer.baseAddress!)
            }
          }
        }
        n = rows * other.columns
      }
      return Matrix(rows: rows, columns: other.columns, scalars: unsafeBitCast(c, to: [Scalar].self))
    }
    var out = Matrix.zeros(rows: rows, columns: other.columns)
    for i in 0..<rows {
      for p in 0..<columns {
        let a = scalars[i * columns + p]
        for j in 0..<other.columns {
          out.scalars[i * other.columns + j] =
            out.scalars[i * other.columns + j] + a * other.scalars[p * other.columns + j]
        }
      }
    }
    return out
  }

  @inlinable func _transposed() -> Matrix {
    var out = [Scalar](repeating: .zero, count: scalars.count)
    for i in 0..<rows { for j in 0..<columns { out[j * rows + i] = scalars[i * columns + j] } }
    return Matrix(rows: columns, columns: rows, scalars: out)
  }

  /// `other` if non-empty, else zeros of this matrix's shape.
  @inlinable func _materialized(_ other: Matrix) -> Matrix {
    other.isEmpty ? Matrix.zeros(rows: rows, columns: columns) : other
  }
}
