import _Differentiation

// Products of a constant real matrix (data: features, a design matrix) with a vector of any
// scalar. In code written generically over `RealScalar` this avoids converting the data to
// `Matrix<S>` on every call: on `Double` it is the plain kernel, on `Dual` it is two kernel
// products (value and derivative parts), never a generic scalar loop.

extension Matrix where Scalar == Double {
  /// `A·x` for data `A` and a vector of any scalar; differentiable in `x`.
  @inlinable @differentiable(reverse,wrt: x)
  public func times<S: RealScalar>(_ x: Vector<S>) -> Vector<S> { _mixed(x, transposed: false) }

  @inlinable @derivative(of: times, wrt: x)
  func _vjpTimes<S: RealScalar>(_ x: Vector<S>) -> (value: Vector<S>, pullback: (Vector<S>) -> Vector<S>) {
    (_mixed(x, transposed: false), { v in v.isEmpty ? Vector.zeros(x.count) : self._mixed(v, transposed: true) })
  }

  /// `Aᵀ·y` for data `A` and a vector of any scalar; differentiable in `y`.
  @inlinable @differentiable(reverse,wrt: y)
  public func transposedTimes<S: RealScalar>(_ y: Vector<S>) -> Vector<S> { _mixed(y, transposed: true) }

  @inlinable @derivative(of: transposedTimes, wrt: y)
  func _vjpTransposedTimes<S: RealScalar>(_ y: Vector<S>) -> (value: Vector<S>, pullback: (Vector<S>) -> Vector<S>) {
    (_mixed(y, transposed: true), { v in v.isEmpty ? Vector.zeros(y.count) : self._mixed(v, transposed: false) })
  }

  @inlinable func _mixed<S: RealScalar>(_ x: Vector<S>, transposed: Bool) -> Vector<S> {
    let product: (Vector<Double>) -> Vector<Double> = { transposed ? self._matvecTransposed($0) : self._matvec($0) }
    if S.self == Double.self {
      return unsafeBitCast(product(unsafeBitCast(x, to: Vector<Double>.self)), to: Vector<S>.self)
    }
    if S.self == Dual.self {
      let d = unsafeBitCast(x, to: Vector<Dual>.self)
      let result = Vector<Dual>(values: product(d.values), derivatives: product(d.derivatives))
      return unsafeBitCast(result, to: Vector<S>.self)
    }
    let converted = Matrix<S>(converting: self)
    return transposed ? converted._matvecTransposed(x) : converted._matvec(x)
  }
}
