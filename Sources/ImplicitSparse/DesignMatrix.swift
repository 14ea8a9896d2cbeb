public import ImplicitCore
public import _Differentiation

/// A data matrix that objectives multiply by (a design matrix `A`, features `X`): a dense
/// ``Matrix`` or a ``SparseMatrix``. Objectives store it as `any DesignMatrix`, so each full pass
/// over the data is one dynamic call into the concrete type's own kernel (the dense path keeps
/// its fused kernels).
public protocol DesignMatrix: Sendable {
  /// The number of rows.
  var rows: Int { get }
  /// The number of columns.
  var columns: Int { get }
  /// Whether every entry is finite.
  var isFinite: Bool { get }
  /// `A·v`.
  func product(_ v: Vector<Double>) -> Vector<Double>
  /// `Aᵀ·u`.
  func transposedProduct(_ u: Vector<Double>) -> Vector<Double>
  /// `Aᵀ·diag(w)·(A·v − t)` and `A·v` in one pass (`w` ones and `t` zeros when `nil`).
  func weightedNormalProduct(
    _ v: Vector<Double>, weights: Vector<Double>?, minus: Vector<Double>?
  ) -> (product: Vector<Double>, image: Vector<Double>)
  /// `A·x` for a vector of any scalar (on dual numbers: value and tangent parts).
  func scalarProduct<S: RealScalar>(_ x: Vector<S>) -> Vector<S>
  /// `Aᵀ·y` for a vector of any scalar.
  func scalarTransposedProduct<S: RealScalar>(_ y: Vector<S>) -> Vector<S>
  /// `½‖A·x − b‖²` (value only).
  func halfSquaredResidualValue<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> S
  /// `½‖A·x − b‖²`, its gradient `Aᵀ(Ax − b)` in `x` and the residual `Ax − b`.
  func halfSquaredResidualParts<S: RealScalar>(
    _ x: Vector<S>, _ b: Vector<S>
  ) -> (value: S, gradient: Vector<S>, residual: Vector<S>)
}

extension DesignMatrix {
  /// ``weightedNormalProduct(_:weights:minus:)`` with optional weights and shift.
  public func normalProduct(
    _ v: Vector<Double>, weights w: Vector<Double>? = nil, minus t: Vector<Double>? = nil
  ) -> (product: Vector<Double>, image: Vector<Double>) {
    weightedNormalProduct(v, weights: w, minus: t)
  }
}

extension Matrix: DesignMatrix where Scalar == Double {
  /// `A·v`.
  public func product(_ v: Vector<Double>) -> Vector<Double> { times(v) }
  /// `Aᵀ·u`.
  public func transposedProduct(_ u: Vector<Double>) -> Vector<Double> { transposedTimes(u) }
  /// The dense fused kernel ``Matrix/normalProduct(_:weights:minus:)``.
  public func weightedNormalProduct(
    _ v: Vector<Double>, weights: Vector<Double>?, minus: Vector<Double>?
  ) -> (product: Vector<Double>, image: Vector<Double>) {
    normalProduct(v, weights: weights, minus: minus)
  }
  /// `A·x` by the dense data product.
  public func scalarProduct<S: RealScalar>(_ x: Vector<S>) -> Vector<S> { times(x) }
  /// `Aᵀ·y` by the dense data product.
  public func scalarTransposedProduct<S: RealScalar>(_ y: Vector<S>) -> Vector<S> { transposedTimes(y) }
  /// The dense ``Matrix/halfSquaredResidual(_:_:)``.
  public func halfSquaredResidualValue<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> S {
    halfSquaredResidual(x, b)
  }
  /// The dense fused pass, through the registered derivative of ``Matrix/halfSquaredResidual(_:_:)``.
  public func halfSquaredResidualParts<S: RealScalar>(
    _ x: Vector<S>, _ b: Vector<S>
  ) -> (value: S, gradient: Vector<S>, residual: Vector<S>) {
    let (value, pullback) = valueWithPullback(at: x, b) { x, b in self.halfSquaredResidual(x, b) }
    let (gradient, negatedResidual) = pullback(S(1).tangent)
    return (value, gradient, Vector(negatedResidual.scalars.map { -$0 }))
  }
}

extension SparseMatrix: DesignMatrix {
  /// `A·v`.
  public func product(_ v: Vector<Double>) -> Vector<Double> { times(v) }
  /// `Aᵀ·u`.
  public func transposedProduct(_ u: Vector<Double>) -> Vector<Double> { transposedTimes(u) }
  /// ``normalProduct(_:weights:minus:)``.
  public func weightedNormalProduct(
    _ v: Vector<Double>, weights: Vector<Double>?, minus: Vector<Double>?
  ) -> (product: Vector<Double>, image: Vector<Double>) {
    normalProduct(v, weights: weights, minus: minus)
  }

  /// `A·x` on doubles, on dual numbers as two double products, otherwise a scalar loop.
  public func scalarProduct<S: RealScalar>(_ x: Vector<S>) -> Vector<S> {
    mixed(x) {
      times($0)
    } generic: { x in
      Vector(
        (0..<rows).map { i in
          var sum = S.zero
          for k in rowStarts[i]..<rowStarts[i + 1] { sum = sum + S(values[k]) * x[columnIndices[k]] }
          return sum
        })
    }
  }

  /// `Aᵀ·y` on doubles, on dual numbers as two double products, otherwise a scalar loop.
  public func scalarTransposedProduct<S: RealScalar>(_ y: Vector<S>) -> Vector<S> {
    mixed(y) {
      transposedTimes($0)
    } generic: { y in
      var out = [S](repeating: S.zero, count: columns)
      for i in 0..<rows {
        for k in rowStarts[i]..<rowStarts[i + 1] {
          out[columnIndices[k]] = out[columnIndices[k]] + S(values[k]) * y[i]
        }
      }
      return Vector(out)
    }
  }

  func mixed<S: RealScalar>(
    _ x: Vector<S>, _ product: (Vector<Double>) -> Vector<Double>, generic: (Vector<S>) -> Vector<S>
  ) -> Vector<S> {
    if S.self == Double.self {
      return unsafeBitCast(product(unsafeBitCast(x, to: Vector<Double>.self)), to: Vector<S>.self)
    }
    if S.self == Dual.self {
      let d = unsafeBitCast(x, to: Vector<Dual>.self)
      let result = Vector<Dual>(values: product(d.values), derivatives: product(d.derivatives))
      return unsafeBitCast(result, to: Vector<S>.self)
    }
    return generic(x)
  }

  /// `½‖A·x − b‖²`: one product.
  public func halfSquaredResidualValue<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> S {
    precondition(
      x.count == columns && b.count == rows, "halfSquaredResidual: \(rows)×\(columns), x \(x.count), b \(b.count)")
    let r = scalarProduct(x) - b
    var sum = S.zero
    for value in r.scalars { sum = sum + value * value }
    return S(0.5) * sum
  }

  /// `½‖A·x − b‖²`, `Aᵀ(Ax − b)` and `Ax − b`: one product and one transposed product (on doubles
  /// the fused pass).
  public func halfSquaredResidualParts<S: RealScalar>(
    _ x: Vector<S>, _ b: Vector<S>
  ) -> (value: S, gradient: Vector<S>, residual: Vector<S>) {
    precondition(
      x.count == columns && b.count == rows, "halfSquaredResidual: \(rows)×\(columns), x \(x.count), b \(b.count)")
    if S.self == Double.self {
      let (g, image) = normalProduct(
        unsafeBitCast(x, to: Vector<Double>.self), minus: unsafeBitCast(b, to: Vector<Double>.self))
      let r = image - unsafeBitCast(b, to: Vector<Double>.self)
      return (
        unsafeBitCast(0.5 * r.dot(r), to: S.self), unsafeBitCast(g, to: Vector<S>.self),
        unsafeBitCast(r, to: Vector<S>.self)
      )
    }
    let r = scalarProduct(x) - b
    var sum = S.zero
    for value in r.scalars { sum = sum + value * value }
    return (S(0.5) * sum, scalarTransposedProduct(r), r)
  }
}

/// `½‖A·x − b‖²` for a data matrix `A` of either kind; differentiable in `x` and `b` (gradient
/// `Aᵀ(Ax − b)` from the matrix's own pass, no tape through the product).
@differentiable(reverse,wrt: (x, b))
public func halfSquaredResidual<S: RealScalar>(of a: any DesignMatrix, _ x: Vector<S>, _ b: Vector<S>) -> S {
  a.halfSquaredResidualValue(x, b)
}

/// The pullback of ``halfSquaredResidual(of:_:_:)`` in `(x, b)`: `(t·Aᵀr, −t·r)` with `r = Ax − b`.
@derivative(of: halfSquaredResidual, wrt: (x, b))
public func _vjpHalfSquaredResidual<S: RealScalar>(
  of a: any DesignMatrix, _ x: Vector<S>, _ b: Vector<S>
) -> (value: S, pullback: (S.TangentVector) -> (Vector<S>, Vector<S>)) {
  let r = a.halfSquaredResidualParts(x, b)
  return (
    r.value,
    { t in
      let s = S(tangent: t)
      return (Vector(r.gradient.scalars.map { $0 * s }), Vector(r.residual.scalars.map { -($0 * s) }))
    }
  )
}

/// The pullback of ``halfSquaredResidual(of:_:_:)`` in `x`: `t·Aᵀ(Ax − b)`.
@derivative(of: halfSquaredResidual, wrt: x)
public func _vjpHalfSquaredResidualX<S: RealScalar>(
  of a: any DesignMatrix, _ x: Vector<S>, _ b: Vector<S>
) -> (value: S, pullback: (S.TangentVector) -> Vector<S>) {
  let r = a.halfSquaredResidualParts(x, b)
  return (r.value, { t in Vector(r.gradient.scalars.map { $0 * S(tangent: t) }) })
}
