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
  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` (value only).
  func meanSoftplusValue<S: RealScalar>(_ x: Vector<S>) -> S
  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` and its gradient `Aᵀσ(Ax)/m`.
  func meanSoftplusParts<S: RealScalar>(_ x: Vector<S>) -> (value: S, gradient: Vector<S>)
  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` and its gradient on doubles, in one pass over the data.
  func meanSoftplusValueAndGradient(_ x: Vector<Double>) -> (value: Double, gradient: Vector<Double>)
  /// The curvature weights `σ(1 − σ)(⟨aᵢ, x⟩)/m`: the Hessian of the mean softplus is `Aᵀ·diag(weights)·A`.
  func meanSoftplusCurvature(_ x: Vector<Double>) -> Vector<Double>
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
  /// The dense ``Matrix/meanSoftplusOfProduct(_:)``.
  public func meanSoftplusValue<S: RealScalar>(_ x: Vector<S>) -> S { meanSoftplusOfProduct(x) }
  /// The dense fused pass, through the registered derivative of ``Matrix/meanSoftplusOfProduct(_:)``.
  public func meanSoftplusParts<S: RealScalar>(_ x: Vector<S>) -> (value: S, gradient: Vector<S>) {
    let (value, pullback) = valueWithPullback(at: x) { x in self.meanSoftplusOfProduct(x) }
    return (value, pullback(S(1).tangent))
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
    applyingLinearMap(x) {
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
    applyingLinearMap(y) {
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

extension SparseMatrix {
  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)`: one product.
  public func meanSoftplusValue<S: RealScalar>(_ x: Vector<S>) -> S {
    meanSoftplusParts(x, gradient: false).value
  }

  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` and `Aᵀσ(Ax)/m` (on doubles one fused pass, otherwise two products).
  public func meanSoftplusParts<S: RealScalar>(_ x: Vector<S>) -> (value: S, gradient: Vector<S>) {
    let r = meanSoftplusParts(x, gradient: true)
    return (r.value, r.gradient)
  }

  func meanSoftplusParts<S: RealScalar>(_ x: Vector<S>, gradient: Bool) -> (value: S, gradient: Vector<S>) {
    precondition(x.count == columns, "meanSoftplusOfProduct: \(rows)×\(columns) times \(x.count)")
    if S.self == Double.self, gradient {
      let r = meanSoftplusValueAndGradient(unsafeBitCast(x, to: Vector<Double>.self))
      return (unsafeBitCast(r.value, to: S.self), unsafeBitCast(r.gradient, to: Vector<S>.self))
    }
    let scale = S(1 / Double(rows))
    let scores = scalarProduct(x)
    var value = S.zero
    var weights = [S]()
    weights.reserveCapacity(gradient ? rows : 0)
    for z in scores.scalars {
      // softplus(z) = z + log(1 + e⁻ᶻ) for z > 0, log(1 + eᶻ) otherwise; σ likewise stable.
      if z.primal > 0 {
        let e = S.exp(-z)
        value = value + (z + S.log1p(e))
        if gradient { weights.append(scale / (1 + e)) }
      } else {
        let e = S.exp(z)
        value = value + S.log1p(e)
        if gradient { weights.append(scale * e / (1 + e)) }
      }
    }
    return (value * scale, gradient ? scalarTransposedProduct(Vector(weights)) : Vector([]))
  }

  /// The curvature weights `σ(1 − σ)(⟨aᵢ, x⟩)/m`.
  public func meanSoftplusCurvature(_ x: Vector<Double>) -> Vector<Double> {
    let scale = 1 / Double(rows)
    return Vector(
      times(x).scalars.map { z in
        let s = stableSigmoid(z)
        return s * (1 - s) * scale
      })
  }
}

/// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` over the rows `aᵢ` of a data matrix of either kind (the logistic
/// loss when the rows are `−yᵢxᵢ`); differentiable in `x`, gradient `Aᵀσ(Ax)/m` from the matrix's
/// own pass.
@differentiable(reverse,wrt: x)
public func meanSoftplusOfProduct<S: RealScalar>(of a: any DesignMatrix, _ x: Vector<S>) -> S {
  a.meanSoftplusValue(x)
}

/// The pullback of ``meanSoftplusOfProduct(of:_:)``: `t·Aᵀσ(Ax)/m`.
@derivative(of: meanSoftplusOfProduct, wrt: x)
public func _vjpMeanSoftplusOfProduct<S: RealScalar>(
  of a: any DesignMatrix, _ x: Vector<S>
) -> (value: S, pullback: (S.TangentVector) -> Vector<S>) {
  let r = a.meanSoftplusParts(x)
  return (r.value, { t in Vector(r.gradient.scalars.map { $0 * S(tangent: t) }) })
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
