public import _Differentiation

// Differentiable vector operations. Each primitive is `@inlinable` (so it specialises in the
// caller's module) and has an explicit `@inlinable @derivative`: a generic inlinable function
// with a compiler-synthesised derivative crashes the optimiser when used from another module.

// MARK: - Primitive kernels (not differentiable themselves)

extension Vector {
  @inlinable func _scaled(by s: Scalar) -> Vector {
    if isSymbolicZero { return self }
    if Scalar.self == Double.self {
      let a = unsafeBitCast(s, to: Double.self)
      return _withDoubles { x in
        Vector._fromDoubles(count: x.count) { o in for i in 0..<x.count { o[i] = a * x[i] } }
      }
    }
    return Vector(scalars.map { s * $0 })
  }

  @inlinable func _dot(_ other: Vector) -> Scalar {
    if isSymbolicZero || other.isSymbolicZero { return .zero }
    precondition(count == other.count, "Vector dot: dimensions \(count) and \(other.count)")
    if isEmpty { return .zero }
    if Scalar.self == Double.self {
      let d = _withDoubles { a in other._withDoubles { b in Kernels.dot(a.baseAddress!, b.baseAddress!, a.count) } }
      return unsafeBitCast(d, to: Scalar.self)
    }
    var s = Scalar.zero
    for i in 0..<count { s = s + scalars[i] * other.scalars[i] }
    return s
  }

  @inlinable func _sum() -> Scalar {
    if isEmpty { return .zero }
    if Scalar.self == Double.self {
      return unsafeBitCast(_withDoubles { Kernels.sum($0.baseAddress!, $0.count) }, to: Scalar.self)
    }
    var s = Scalar.zero
    for x in scalars { s = s + x }
    return s
  }

  @inlinable func _zipMap(_ other: Vector, _ f: (Scalar, Scalar) -> Scalar) -> Vector {
    precondition(count == other.count, "Vector elementwise: dimensions \(count) and \(other.count)")
    return Vector(zip(scalars, other.scalars).map(f))
  }

  /// `other`, or zeros of this vector's dimension when `other` is the symbolic zero.
  @inlinable func _materialized(_ other: Vector) -> Vector {
    other.isSymbolicZero ? Vector.zeros(count) : other
  }
}

// MARK: - Sums, differences, negation

extension Vector {
  @inlinable @derivative(of: +)
  static func _vjpAdd(lhs: Vector, rhs: Vector) -> (value: Vector, pullback: (Vector) -> (Vector, Vector)) {
    (lhs + rhs, { ($0, $0) })
  }

  @inlinable @derivative(of: -)
  static func _vjpSubtract(lhs: Vector, rhs: Vector) -> (
    value: Vector, pullback: (Vector) -> (Vector, Vector)
  ) {
    (lhs - rhs, { ($0, $0._negated()) })
  }

  /// Elementwise negation.
  @inlinable @differentiable(reverse)
  public static prefix func - (operand: Vector) -> Vector { operand._negated() }

  @inlinable @derivative(of: -)
  static func _vjpNegate(operand: Vector) -> (value: Vector, pullback: (Vector) -> Vector) {
    (operand._negated(), { $0._negated() })
  }

  /// Adds `rhs` to every entry.
  @inlinable @differentiable(reverse)
  public static func + (lhs: Vector, rhs: Scalar) -> Vector { Vector(lhs.scalars.map { $0 + rhs }) }

  @inlinable @derivative(of: +)
  static func _vjpAddScalar(lhs: Vector, rhs: Scalar) -> (
    value: Vector, pullback: (Vector) -> (Vector, Scalar.TangentVector)
  ) {
    (lhs + rhs, { v in (v, v._sum().tangent) })
  }

  /// Subtracts `rhs` from every entry.
  @inlinable @differentiable(reverse)
  public static func - (lhs: Vector, rhs: Scalar) -> Vector { Vector(lhs.scalars.map { $0 - rhs }) }

  @inlinable @derivative(of: -)
  static func _vjpSubtractScalar(lhs: Vector, rhs: Scalar) -> (
    value: Vector, pullback: (Vector) -> (Vector, Scalar.TangentVector)
  ) {
    (lhs - rhs, { v in (v, (-v._sum()).tangent) })
  }
}

// MARK: - Scaling and elementwise products

extension Vector {
  /// `lhs·rhs`.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Scalar, rhs: Vector) -> Vector { rhs._scaled(by: lhs) }

  @inlinable @derivative(of: *)
  static func _vjpScale(lhs: Scalar, rhs: Vector) -> (
    value: Vector, pullback: (Vector) -> (Scalar.TangentVector, Vector)
  ) {
    (rhs._scaled(by: lhs), { v in (v._dot(rhs).tangent, v._scaled(by: lhs)) })
  }

  /// `lhs·rhs`.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Vector, rhs: Scalar) -> Vector { lhs._scaled(by: rhs) }

  @inlinable @derivative(of: *)
  static func _vjpScaleRight(lhs: Vector, rhs: Scalar) -> (
    value: Vector, pullback: (Vector) -> (Vector, Scalar.TangentVector)
  ) {
    (lhs._scaled(by: rhs), { v in (v._scaled(by: rhs), v._dot(lhs).tangent) })
  }

  /// `lhs / rhs`.
  @inlinable @differentiable(reverse)
  public static func / (lhs: Vector, rhs: Scalar) -> Vector { lhs._scaled(by: 1 / rhs) }

  @inlinable @derivative(of: /)
  static func _vjpDivideByScalar(lhs: Vector, rhs: Scalar) -> (
    value: Vector, pullback: (Vector) -> (Vector, Scalar.TangentVector)
  ) {
    let inverse = 1 / rhs
    let value = lhs._scaled(by: inverse)
    return (value, { v in (v._scaled(by: inverse), (-(v._dot(value)) * inverse).tangent) })
  }

  /// Elementwise (Hadamard) product.
  @inlinable @differentiable(reverse)
  public static func * (lhs: Vector, rhs: Vector) -> Vector { lhs._zipMap(rhs, *) }

  @inlinable @derivative(of: *)
  static func _vjpHadamard(lhs: Vector, rhs: Vector) -> (
    value: Vector, pullback: (Vector) -> (Vector, Vector)
  ) {
    (
      lhs._zipMap(rhs, *),
      { v in
        let v = lhs._materialized(v)
        return (v._zipMap(rhs, *), v._zipMap(lhs, *))
      }
    )
  }

  /// Elementwise quotient.
  @inlinable @differentiable(reverse)
  public static func / (lhs: Vector, rhs: Vector) -> Vector { lhs._zipMap(rhs, /) }

  @inlinable @derivative(of: /)
  static func _vjpElementwiseDivide(lhs: Vector, rhs: Vector) -> (
    value: Vector, pullback: (Vector) -> (Vector, Vector)
  ) {
    let q = lhs._zipMap(rhs, /)
    return (
      q,
      { v in
        let v = lhs._materialized(v)
        let dl = v._zipMap(rhs, /)
        return (dl, -(dl._zipMap(q, *)))
      }
    )
  }
}

// MARK: - Reductions

extension Vector {
  /// Inner product `Σ selfᵢ·otherᵢ`.
  ///
  /// Not inlinable on purpose: a method whose explicit derivative is taken with respect to both
  /// `self` and a parameter gets its pullback's results swapped when the compiler uses it from
  /// unspecialised generic code in another module at `-O` (measured with Swift 6.3.1). The
  /// method therefore forwards to ``dot(_:_:)``, a static function (no `self` to reorder), and
  /// lets the compiler derive the method's derivative from it.
  @differentiable(reverse)
  public func dot(_ other: Vector) -> Scalar { Vector.dot(self, other) }

  /// Inner product `Σ aᵢ·bᵢ`: 0 when either is the symbolic ``zero``; traps when the dimensions
  /// differ otherwise.
  @inlinable @differentiable(reverse)
  public static func dot(_ a: Vector, _ b: Vector) -> Scalar { a._dot(b) }

  @inlinable @derivative(of: dot(_:_:))
  static func _vjpDot(_ a: Vector, _ b: Vector) -> (
    value: Scalar, pullback: (Scalar.TangentVector) -> (Vector, Vector)
  ) {
    (
      a._dot(b),
      { v in
        let s = Scalar(tangent: v)
        return (b._scaled(by: s), a._scaled(by: s))
      }
    )
  }

  @inlinable @derivative(of: dot(_:_:), wrt: a)
  static func _vjpDotFirst(_ a: Vector, _ b: Vector) -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    (a._dot(b), { v in b._scaled(by: Scalar(tangent: v)) })
  }

  /// `Σ selfᵢ`.
  @inlinable @differentiable(reverse)
  public func sum() -> Scalar { _sum() }

  @inlinable @derivative(of: sum)
  func _vjpSum() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    let n = count
    return (_sum(), { v in Vector(repeating: Scalar(tangent: v), count: n) })
  }

  /// The arithmetic mean of the entries.
  @inlinable @differentiable(reverse)
  public func mean() -> Scalar { _sum() / Scalar(Double(count)) }

  @inlinable @derivative(of: mean)
  func _vjpMean() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    let n = count
    return (mean(), { v in Vector(repeating: Scalar(tangent: v) / Scalar(Double(n)), count: n) })
  }

  /// `Σ selfᵢ²`.
  @inlinable @differentiable(reverse)
  public func squaredNorm() -> Scalar { _dot(self) }

  @inlinable @derivative(of: squaredNorm)
  func _vjpSquaredNorm() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    (_dot(self), { v in self._scaled(by: 2 * Scalar(tangent: v)) })
  }

  /// The Euclidean norm. Its derivative at 0 is taken as 0 (a subgradient).
  @inlinable @differentiable(reverse)
  public func norm() -> Scalar { Scalar.sqrt(_dot(self)) }

  @inlinable @derivative(of: norm)
  func _vjpNorm() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    let r = Scalar.sqrt(_dot(self))
    return (
      r,
      { v in
        r.primal == 0 ? Vector.zeros(self.count) : self._scaled(by: Scalar(tangent: v) / r)
      }
    )
  }

  /// `log Σ exp(selfᵢ)`, computed stably (shifted by the maximum).
  @inlinable @differentiable(reverse)
  public func logSumExp() -> Scalar { _logSumExp().value }

  @inlinable func _logSumExp() -> (value: Scalar, softmax: Vector) {
    let m = scalars.max() ?? .zero
    let e = Vector(scalars.map { Scalar.exp($0 - m) })
    let s = e._sum()
    return (m + Scalar.log(s), e._scaled(by: 1 / s))
  }

  @inlinable @derivative(of: logSumExp)
  func _vjpLogSumExp() -> (value: Scalar, pullback: (Scalar.TangentVector) -> Vector) {
    let (value, p) = _logSumExp()
    return (value, { v in p._scaled(by: Scalar(tangent: v)) })
  }

  /// `exp(selfᵢ) / Σ exp(selfⱼ)`.
  @inlinable @differentiable(reverse)
  public func softmax() -> Vector { _logSumExp().softmax }

  @inlinable @derivative(of: softmax)
  func _vjpSoftmax() -> (value: Vector, pullback: (Vector) -> Vector) {
    let p = _logSumExp().softmax
    return (
      p,
      { v in
        let v = p._materialized(v)
        // (diag(p) − ppᵀ) v
        return p._zipMap(v - v._dot(p), *)
      }
    )
  }
}

// MARK: - Elementwise functions

extension Vector {
  /// Applies `f` entrywise with the entrywise derivative `df` (evaluated at the input).
  @inlinable func _elementwise(
    _ f: (Scalar) -> Scalar, _ df: @escaping (Scalar) -> Scalar
  ) -> (value: Vector, pullback: (Vector) -> Vector) {
    let x = self
    return (Vector(scalars.map(f)), { v in x._materialized(v)._zipMap(x) { $0 * df($1) } })
  }

  /// `exp` of every entry.
  @inlinable @differentiable(reverse)
  public func exp() -> Vector { mapScalars(Scalar.exp) }
  @inlinable @derivative(of: exp)
  func _vjpExp() -> (value: Vector, pullback: (Vector) -> Vector) {
    let e = mapScalars(Scalar.exp)
    return (e, { v in e._materialized(v)._zipMap(e, *) })
  }

  /// Natural logarithm of every entry.
  @inlinable @differentiable(reverse)
  public func log() -> Vector { mapScalars(Scalar.log) }
  @inlinable @derivative(of: log)
  func _vjpLog() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise(Scalar.log, { 1 / $0 })
  }

  /// Square root of every entry.
  @inlinable @differentiable(reverse)
  public func sqrt() -> Vector { mapScalars(Scalar.sqrt) }
  @inlinable @derivative(of: sqrt)
  func _vjpSqrt() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise(Scalar.sqrt, { 1 / (2 * Scalar.sqrt($0)) })
  }

  /// Every entry squared.
  @inlinable @differentiable(reverse)
  public func squared() -> Vector { mapScalars { $0 * $0 } }
  @inlinable @derivative(of: squared)
  func _vjpSquared() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise({ $0 * $0 }, { 2 * $0 })
  }

  /// `log(1 + exp(x))` of every entry, computed without overflow.
  @inlinable @differentiable(reverse)
  public func softplus() -> Vector { mapScalars(Vector._softplus) }
  @inlinable @derivative(of: softplus)
  func _vjpSoftplus() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise(Vector._softplus, Vector._sigmoid)
  }

  /// The logistic sigmoid `1 / (1 + exp(−x))` of every entry.
  @inlinable @differentiable(reverse)
  public func sigmoid() -> Vector { mapScalars(Vector._sigmoid) }
  @inlinable @derivative(of: sigmoid)
  func _vjpSigmoid() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise(
      Vector._sigmoid,
      {
        let s = Vector._sigmoid($0); return s * (1 - s)
      })
  }

  /// `max(x, 0)` of every entry (derivative 0 at 0).
  @inlinable @differentiable(reverse)
  public func relu() -> Vector { mapScalars { $0.primal > 0 ? $0 : .zero } }
  @inlinable @derivative(of: relu)
  func _vjpRelu() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise({ $0.primal > 0 ? $0 : .zero }, { $0.primal > 0 ? 1 : .zero })
  }

  /// `|x|` of every entry (derivative `sign(x)`, 0 at 0).
  @inlinable @differentiable(reverse)
  public func abs() -> Vector { mapScalars { $0.primal < 0 ? -$0 : $0 } }
  @inlinable @derivative(of: abs)
  func _vjpAbs() -> (value: Vector, pullback: (Vector) -> Vector) {
    _elementwise({ $0.primal < 0 ? -$0 : $0 }, Vector._sign)
  }

  /// The sign (−1, 0 or 1) of every entry; piecewise constant, so its derivative is zero.
  @inlinable @differentiable(reverse)
  public func sign() -> Vector { mapScalars(Vector._sign) }
  @inlinable @derivative(of: sign)
  func _vjpSign() -> (value: Vector, pullback: (Vector) -> Vector) {
    let n = count
    return (mapScalars(Vector._sign), { _ in Vector.zeros(n) })
  }

  @inlinable static func _sign(_ x: Scalar) -> Scalar { x.primal > 0 ? 1 : (x.primal < 0 ? -1 : .zero) }
  @inlinable static func _sigmoid(_ x: Scalar) -> Scalar {
    if x.primal >= 0 { return 1 / (1 + Scalar.exp(-x)) }
    let e = Scalar.exp(x)
    return e / (1 + e)
  }
  @inlinable static func _softplus(_ x: Scalar) -> Scalar {
    x.primal > 0 ? x + Scalar.log1p(Scalar.exp(-x)) : Scalar.log1p(Scalar.exp(x))
  }
}

// MARK: - Slicing and joining

extension Vector {
  /// The `count` entries starting at `start`.
  @inlinable @differentiable(reverse)
  public func slice(from start: Int, count: Int) -> Vector { Vector(Array(scalars[start..<(start + count)])) }

  @inlinable @derivative(of: slice)
  func _vjpSlice(from start: Int, count: Int) -> (value: Vector, pullback: (Vector) -> Vector) {
    let n = self.count
    return (
      slice(from: start, count: count),
      { v in
        var out = Vector.zeros(n)
        if !v.isSymbolicZero { out.scalars.replaceSubrange(start..<(start + count), with: v.scalars) }
        return out
      }
    )
  }

  /// This vector followed by `other` (forwards to ``concatenate(_:_:)``; see ``dot(_:)`` for why).
  @differentiable(reverse)
  public func concatenated(with other: Vector) -> Vector { Vector.concatenate(self, other) }

  /// `a` followed by `b`.
  @inlinable @differentiable(reverse)
  public static func concatenate(_ a: Vector, _ b: Vector) -> Vector { Vector(a.scalars + b.scalars) }

  @inlinable @derivative(of: concatenate)
  static func _vjpConcatenate(_ a: Vector, _ b: Vector) -> (value: Vector, pullback: (Vector) -> (Vector, Vector)) {
    let n = a.count, m = b.count
    return (
      concatenate(a, b),
      { v in
        if v.isSymbolicZero { return (Vector.zeros(n), Vector.zeros(m)) }
        return (Vector(Array(v.scalars[0..<n])), Vector(Array(v.scalars[n..<(n + m)])))
      }
    )
  }
}
