public import _Differentiation

// MARK: - Matrix–vector products

extension Matrix {
  /// `A·x`.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Matrix, rhs: Vector<Scalar>) -> Vector<Scalar> { lhs._matvec(rhs) }

  @inlinable @derivative(of: *, wrt: rhs)
  static func _vjpMatvecVector(lhs: Matrix, rhs: Vector<Scalar>) -> (
    value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Vector<Scalar>
  ) {
    (lhs._matvec(rhs), { v in v.isSymbolicZero ? Vector.zeros(rhs.count) : lhs._matvecTransposed(v) })
  }

  @inlinable @derivative(of: *)
  static func _vjpMatvec(lhs: Matrix, rhs: Vector<Scalar>) -> (
    value: Vector<Scalar>, pullback: (Vector<Scalar>) -> (Matrix, Vector<Scalar>)
  ) {
    (
      lhs._matvec(rhs),
      { v in
        let v = v.isSymbolicZero ? Vector.zeros(lhs.rows) : v
        return (Matrix._outer(v, rhs), lhs._matvecTransposed(v))
      }
    )
  }

  /// `Aᵀ·y`, without forming the transpose (forwards to ``transposedProduct(_:_:)``: a method
  /// differentiated with respect to `self` and a parameter is mis-handled by the compiler in
  /// unspecialised cross-module code at `-O`; see `Vector.dot(_:)`).
  @differentiable(reverse)
  public func transposedTimes(_ y: Vector<Scalar>) -> Vector<Scalar> { Matrix.transposedProduct(self, y) }

  /// `Aᵀ·y`.
  @inlinable @differentiable(reverse)
  public static func transposedProduct(_ a: Matrix, _ y: Vector<Scalar>) -> Vector<Scalar> { a._matvecTransposed(y) }

  @inlinable @derivative(of: transposedProduct, wrt: y)
  static func _vjpTransposedProductVector(_ a: Matrix, _ y: Vector<Scalar>) -> (
    value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Vector<Scalar>
  ) {
    (a._matvecTransposed(y), { v in v.isSymbolicZero ? Vector.zeros(y.count) : a._matvec(v) })
  }

  @inlinable @derivative(of: transposedProduct)
  static func _vjpTransposedProduct(_ a: Matrix, _ y: Vector<Scalar>) -> (
    value: Vector<Scalar>, pullback: (Vector<Scalar>) -> (Matrix, Vector<Scalar>)
  ) {
    (
      a._matvecTransposed(y),
      { v in
        let v = v.isSymbolicZero ? Vector.zeros(a.columns) : v
        return (Matrix._outer(y, v), a._matvec(v))
      }
    )
  }

  /// `Aᵀ·(A·x)` in one pass over `A` (each row read once): the Gauss–Newton / least-squares
  /// Hessian product. Differentiable in `x`.
  @inlinable @differentiable(reverse,wrt: x)
  public func normalTimes(_ x: Vector<Scalar>) -> Vector<Scalar> { _normalMatvec(x) }

  @inlinable func _normalMatvec(_ x: Vector<Scalar>) -> Vector<Scalar> {
    precondition(columns == x.count, "Matrix.normalTimes: \(rows)×\(columns) with \(x.count)")
    if Scalar.self == Double.self {
      return _withDoubles { a in
        x._withDoubles { xs in
          Vector._fromDoubles(count: columns) {
            Kernels.normalMatvec(a.baseAddress!, rows, columns, xs.baseAddress!, $0)
          }
        }
      }
    }
    return _matvecTransposed(_matvec(x))
  }

  @inlinable @derivative(of: normalTimes, wrt: x)
  func _vjpNormalTimes(_ x: Vector<Scalar>) -> (value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Vector<Scalar>) {
    (_normalMatvec(x), { v in v.isSymbolicZero ? Vector.zeros(x.count) : self._normalMatvec(v) })
  }
}

// MARK: - Matrix–matrix operations

extension Matrix {
  /// `A·B`.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Matrix, rhs: Matrix) -> Matrix { lhs._matmul(rhs) }

  @inlinable @derivative(of: *)
  static func _vjpMatmul(lhs: Matrix, rhs: Matrix) -> (value: Matrix, pullback: (Matrix) -> (Matrix, Matrix)) {
    let value = lhs._matmul(rhs)
    return (
      value,
      { v in
        let v = value._materialized(v)
        return (v._matmul(rhs._transposed()), lhs._transposed()._matmul(v))
      }
    )
  }

  @inlinable @derivative(of: *, wrt: rhs)
  static func _vjpMatmulRight(lhs: Matrix, rhs: Matrix) -> (value: Matrix, pullback: (Matrix) -> Matrix) {
    let value = lhs._matmul(rhs)
    return (value, { v in lhs._transposed()._matmul(value._materialized(v)) })
  }

  /// The transpose.
  @inlinable @differentiable(reverse)
  public func transposed() -> Matrix { _transposed() }

  @inlinable @derivative(of: transposed)
  func _vjpTransposed() -> (value: Matrix, pullback: (Matrix) -> Matrix) {
    let (r, c) = (rows, columns)
    return (_transposed(), { v in v.isEmpty ? Matrix.zeros(rows: r, columns: c) : v._transposed() })
  }

  @inlinable @derivative(of: +)
  static func _vjpAdd(lhs: Matrix, rhs: Matrix) -> (value: Matrix, pullback: (Matrix) -> (Matrix, Matrix)) {
    (lhs + rhs, { ($0, $0) })
  }

  @inlinable @derivative(of: -)
  static func _vjpSubtract(lhs: Matrix, rhs: Matrix) -> (value: Matrix, pullback: (Matrix) -> (Matrix, Matrix)) {
    (lhs - rhs, { v in (v, Matrix.zero - v) })
  }

  /// `s·A`.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Scalar, rhs: Matrix) -> Matrix {
    Matrix(rows: rhs.rows, columns: rhs.columns, scalars: rhs.flattened._scaled(by: lhs).scalars)
  }

  @inlinable @derivative(of: *)
  static func _vjpScale(lhs: Scalar, rhs: Matrix) -> (
    value: Matrix, pullback: (Matrix) -> (Scalar.TangentVector, Matrix)
  ) {
    (lhs * rhs, { v in (v.flattened._dot(rhs.flattened).tangent, v.isEmpty ? v : lhs * v) })
  }

  /// Elementwise (Hadamard) product (forwards to ``hadamard(_:_:)``; see `Vector.dot(_:)`).
  @differentiable(reverse)
  public func elementwiseProduct(_ other: Matrix) -> Matrix { Matrix.hadamard(self, other) }

  /// Elementwise (Hadamard) product of `a` and `b`.
  @inlinable @differentiable(reverse)
  public static func hadamard(_ a: Matrix, _ b: Matrix) -> Matrix {
    Matrix(rows: a.rows, columns: a.columns, scalars: a.flattened._zipMap(b.flattened, *).scalars)
  }

  @inlinable @derivative(of: hadamard)
  static func _vjpHadamard(_ a: Matrix, _ b: Matrix) -> (value: Matrix, pullback: (Matrix) -> (Matrix, Matrix)) {
    (
      hadamard(a, b),
      { v in
        let v = a._materialized(v)
        return (hadamard(v, b), hadamard(v, a))
      }
    )
  }
}

// MARK: - Reshaping and reductions

extension Matrix {
  /// The entries as a vector, row by row.
  @inlinable @differentiable(reverse)
  public func flattenedVector() -> Vector<Scalar> { Vector(scalars) }

  @inlinable @derivative(of: flattenedVector)
  func _vjpFlattenedVector() -> (value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Matrix) {
    let (r, c) = (rows, columns)
    return (
      Vector(scalars),
      { v in
        v.isSymbolicZero ? Matrix.zeros(rows: r, columns: c) : Matrix(rows: r, columns: c, scalars: v.scalars)
      }
    )
  }

  /// A `rows`×`columns` matrix holding the entries of `vector` row by row.
  @inlinable @differentiable(reverse)
  public init(reshaping vector: Vector<Scalar>, rows: Int, columns: Int) {
    self.init(rows: rows, columns: columns, scalars: vector.scalars)
  }

  @inlinable @derivative(of: init(reshaping:rows:columns:))
  static func _vjpReshaping(vector: Vector<Scalar>, rows: Int, columns: Int) -> (
    value: Matrix, pullback: (Matrix) -> Vector<Scalar>
  ) {
    let n = vector.count
    return (
      Matrix(rows: rows, columns: columns, scalars: vector.scalars),
      { v in
        v.isEmpty ? Vector.zeros(n) : Vector(v.scalars)
      }
    )
  }

  /// The sums of each row (a vector with `rows` entries).
  @inlinable @differentiable(reverse)
  public func rowSums() -> Vector<Scalar> { _matvec(Vector(repeating: 1, count: columns)) }

  @inlinable @derivative(of: rowSums)
  func _vjpRowSums() -> (value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Matrix) {
    let ones = Vector<Scalar>(repeating: 1, count: columns)
    return (_matvec(ones), { v in Matrix._outer(v.isSymbolicZero ? Vector.zeros(self.rows) : v, ones) })
  }

  /// The sums of each column (a vector with `columns` entries).
  @inlinable @differentiable(reverse)
  public func columnSums() -> Vector<Scalar> { _matvecTransposed(Vector(repeating: 1, count: rows)) }

  @inlinable @derivative(of: columnSums)
  func _vjpColumnSums() -> (value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Matrix) {
    let ones = Vector<Scalar>(repeating: 1, count: rows)
    return (_matvecTransposed(ones), { v in Matrix._outer(ones, v.isSymbolicZero ? Vector.zeros(self.columns) : v) })
  }

  /// The squared Frobenius norm `Σ Aᵢⱼ²`.
  @inlinable @differentiable(reverse)
  public func squaredNorm() -> Scalar { flattened._dot(flattened) }

  @inlinable @derivative(of: squaredNorm)
  func _vjpSquaredNorm() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Matrix) {
    (squaredNorm(), { v in (2 * Scalar(tangent: v)) * self })
  }

  /// The sum of all entries.
  @inlinable @differentiable(reverse)
  public func sum() -> Scalar { flattened._sum() }

  @inlinable @derivative(of: sum)
  func _vjpSum() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Matrix) {
    (sum(), { v in Matrix(repeating: Scalar(tangent: v), rows: self.rows, columns: self.columns) })
  }

  /// `log Σⱼ exp(Aᵢⱼ)` for each row `i`, computed stably.
  @inlinable @differentiable(reverse)
  public func rowLogSumExp() -> Vector<Scalar> { _rowLogSumExp().value }

  @inlinable func _rowLogSumExp() -> (value: Vector<Scalar>, softmax: Matrix) {
    var values = [Scalar]()
    var probabilities = [Scalar]()
    values.reserveCapacity(rows)
    probabilities.reserveCapacity(scalars.count)
    for i in 0..<rows {
      let (v, p) = row(i)._logSumExp()
      values.append(v)
      probabilities.append(contentsOf: p.scalars)
    }
    return (Vector(values), Matrix(rows: rows, columns: columns, scalars: probabilities))
  }

  @inlinable @derivative(of: rowLogSumExp)
  func _vjpRowLogSumExp() -> (value: Vector<Scalar>, pullback: (Vector<Scalar>) -> Matrix) {
    let (value, p) = _rowLogSumExp()
    return (
      value,
      { v in
        let v = v.isSymbolicZero ? Vector.zeros(p.rows) : v
        var out = p
        for i in 0..<p.rows {
          for j in 0..<p.columns { out.scalars[i * p.columns + j] = p.scalars[i * p.columns + j] * v.scalars[i] }
        }
        return out
      }
    )
  }
}

extension Vector {
  /// This vector's entries as a `rows`×`columns` matrix, row by row.
  @inlinable @differentiable(reverse)
  public func reshaped(rows: Int, columns: Int) -> Matrix<Scalar> {
    Matrix(rows: rows, columns: columns, scalars: scalars)
  }

  @inlinable @derivative(of: reshaped)
  func _vjpReshaped(rows: Int, columns: Int) -> (value: Matrix<Scalar>, pullback: (Matrix<Scalar>) -> Vector) {
    Matrix._vjpReshaping(vector: self, rows: rows, columns: columns)
  }
}
