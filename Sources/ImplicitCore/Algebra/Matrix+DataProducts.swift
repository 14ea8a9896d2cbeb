public import _Differentiation

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
    (_mixed(x, transposed: false), { v in v.isSymbolicZero ? Vector.zeros(x.count) : self._mixed(v, transposed: true) })
  }

  /// `Aᵀ·y` for data `A` and a vector of any scalar; differentiable in `y`.
  @inlinable @differentiable(reverse,wrt: y)
  public func transposedTimes<S: RealScalar>(_ y: Vector<S>) -> Vector<S> { _mixed(y, transposed: true) }

  @inlinable @derivative(of: transposedTimes, wrt: y)
  func _vjpTransposedTimes<S: RealScalar>(_ y: Vector<S>) -> (value: Vector<S>, pullback: (Vector<S>) -> Vector<S>) {
    (_mixed(y, transposed: true), { v in v.isSymbolicZero ? Vector.zeros(y.count) : self._mixed(v, transposed: false) })
  }

  @inlinable func _mixed<S: RealScalar>(_ x: Vector<S>, transposed: Bool) -> Vector<S> {
    applyingLinearMap(x) {
      transposed ? self._matvecTransposed($0) : self._matvec($0)
    } generic: { x in
      let converted = Matrix<S>(converting: self)
      return transposed ? converted._matvecTransposed(x) : converted._matvec(x)
    }
  }
}

/// `f(x)` for a linear map `f` of data given on doubles (`product`): directly on `Double`, as two
/// double products (values and derivatives) on ``Dual``, else by `generic`. Shared by the dense
/// and sparse data products, so a Hessian-vector product over dual numbers runs the double kernels.
@inlinable package func applyingLinearMap<S: RealScalar>(
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

// MARK: - Fused losses of data products
//
// A loss of the scores `A·x` for data `A` whose gradient is `Aᵀ(…)`: the forward pass computes
// the gradient too, in ONE pass over `A` (row by row: the score, a scalar, an axpy of the same
// row), and the pullback only scales it. On dual numbers the pass carries both parts at once,
// so an exact Hessian-vector product (reverse mode over `Dual`) also reads `A` once.

extension Matrix where Scalar == Double {
  /// `½‖A·x − b‖²` for data `A`; differentiable in `x` and `b`, gradient `Aᵀ(Ax − b)` from one pass
  /// over `A`.
  @inlinable @differentiable(reverse,wrt: (x, b))
  public func halfSquaredResidual<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> S {
    // A value alone (no derivative asked) needs no axpy: one product, no gradient.
    let residual = _mixed(x, transposed: false) - b
    return S(0.5) * residual._dot(residual)
  }

  @inlinable @derivative(of: halfSquaredResidual, wrt: (x, b))
  func _vjpHalfSquaredResidual<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> (
    value: S, pullback: (S.TangentVector) -> (Vector<S>, Vector<S>)
  ) {
    let r = _halfSquaredResidual(x, b)
    return (r.value, { t in (r.gradient._scaled(by: S(tangent: t)), r.residual._scaled(by: -S(tangent: t))) })
  }

  @inlinable @derivative(of: halfSquaredResidual, wrt: x)
  func _vjpHalfSquaredResidualX<S: RealScalar>(_ x: Vector<S>, _ b: Vector<S>) -> (
    value: S, pullback: (S.TangentVector) -> Vector<S>
  ) {
    let r = _halfSquaredResidual(x, b)
    return (r.value, { t in r.gradient._scaled(by: S(tangent: t)) })
  }

  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` over the `m` rows `aᵢ` of data `A` (the logistic loss when the
  /// rows are `−yᵢxᵢ`); differentiable in `x`, gradient `Aᵀσ(Ax)/m` from one pass over `A`.
  @inlinable @differentiable(reverse,wrt: x)
  public func meanSoftplusOfProduct<S: RealScalar>(_ x: Vector<S>) -> S {
    _mixed(x, transposed: false).softplus()._sum() / S(Double(Swift.max(rows, 1)))
  }

  @inlinable @derivative(of: meanSoftplusOfProduct, wrt: x)
  func _vjpMeanSoftplus<S: RealScalar>(_ x: Vector<S>) -> (value: S, pullback: (S.TangentVector) -> Vector<S>) {
    let r = _meanSoftplus(x)
    return (r.value, { t in r.gradient._scaled(by: S(tangent: t)) })
  }

  @inlinable func _halfSquaredResidual<S: RealScalar>(
    _ x: Vector<S>, _ b: Vector<S>
  ) -> (value: S, gradient: Vector<S>, residual: Vector<S>) {
    precondition(
      x.count == columns && b.count == rows, "halfSquaredResidual: \(rows)×\(columns), x \(x.count), b \(b.count)")
    if S.self == Double.self {
      let r = _fusedHalfSquaredResidual(
        unsafeBitCast(x.scalars, to: [Double].self), unsafeBitCast(b.scalars, to: [Double].self))
      return (
        unsafeBitCast(r.value, to: S.self), Vector(unsafeBitCast(r.gradient, to: [S].self)),
        Vector(unsafeBitCast(r.residual, to: [S].self))
      )
    }
    if S.self == Dual.self {
      let r = _fusedHalfSquaredResidual(
        unsafeBitCast(x.scalars, to: [Dual].self), unsafeBitCast(b.scalars, to: [Dual].self))
      return (
        unsafeBitCast(r.value, to: S.self), Vector(unsafeBitCast(r.gradient, to: [S].self)),
        Vector(unsafeBitCast(r.residual, to: [S].self))
      )
    }
    let residual = _mixed(x, transposed: false) - b
    return (S(0.5) * residual._dot(residual), _mixed(residual, transposed: true), residual)
  }

  @inlinable func _meanSoftplus<S: RealScalar>(_ x: Vector<S>) -> (value: S, gradient: Vector<S>) {
    precondition(x.count == columns, "meanSoftplusOfProduct: \(rows)×\(columns) times \(x.count)")
    if S.self == Double.self {
      let r = _fusedMeanSoftplus(unsafeBitCast(x.scalars, to: [Double].self))
      return (unsafeBitCast(r.value, to: S.self), Vector(unsafeBitCast(r.gradient, to: [S].self)))
    }
    if S.self == Dual.self {
      let r = _fusedMeanSoftplus(unsafeBitCast(x.scalars, to: [Dual].self))
      return (unsafeBitCast(r.value, to: S.self), Vector(unsafeBitCast(r.gradient, to: [S].self)))
    }
    let scores = _mixed(x, transposed: false)
    let n = S(Double(Swift.max(rows, 1)))
    let weights = Vector(scores.scalars.map { Vector<S>._sigmoid($0) / n })
    return (scores.softplus()._sum() / n, _mixed(weights, transposed: true))
  }

  /// `½‖Ax − b‖²`, `Aᵀ(Ax − b)` and `Ax − b` in one pass over `A`.
  @usableFromInline func _fusedHalfSquaredResidual(
    _ x: [Double], _ b: [Double]
  ) -> (value: Double, gradient: [Double], residual: [Double]) {
    var residual = [Double](repeating: 0, count: rows)
    let gradient = _fusedPass(x, dots: &residual, { targets, i, d in d - targets[i] }, context: b)
    var value = 0.0
    for i in 0..<rows {
      residual[i] -= b[i]
      value += residual[i] * residual[i]
    }
    return (0.5 * value, gradient, residual)
  }

  /// The dual-number version: value and ε parts of `x` and `b` in one pass over `A`.
  @usableFromInline func _fusedHalfSquaredResidual(
    _ x: [Dual], _ b: [Dual]
  ) -> (value: Dual, gradient: [Dual], residual: [Dual]) {
    var dots = [Double](repeating: 0, count: 2 * rows)
    let targets = b.map(\.value) + b.map(\.derivative)
    let m = rows
    let gradient = _fusedDualPass(x, dots: &dots, context: targets) { t, i, d, e in (d - t[i], e - t[m &+ i]) }
    var residual = [Dual](repeating: .zero, count: rows)
    var value = 0.0, derivative = 0.0
    for i in 0..<rows {
      let r = Dual(dots[i] - targets[i], derivative: dots[rows + i] - targets[rows + i])
      residual[i] = r
      value += r.value * r.value
      derivative += r.value * r.derivative
    }
    return (Dual(0.5 * value, derivative: derivative), gradient, residual)
  }

  /// `(1/m)Σ softplus(⟨aᵢ, x⟩)` and `Aᵀσ(Ax)/m` in one pass over `A`.
  @usableFromInline func _fusedMeanSoftplus(_ x: [Double]) -> (value: Double, gradient: [Double]) {
    var dots = [Double](repeating: 0, count: rows)
    let scale = 1 / Double(Swift.max(rows, 1))
    let gradient = _fusedPass(x, dots: &dots, { _, _, d in stableSigmoid(d) * scale }, context: [])
    var value = 0.0
    for d in dots { value += stableSoftplus(d) }
    return (value * scale, gradient)
  }

  /// The dual-number version: `σ(z)` and its derivative `σ(z)(1 − σ(z))·ż` per row, one pass.
  @usableFromInline func _fusedMeanSoftplus(_ x: [Dual]) -> (value: Dual, gradient: [Dual]) {
    var dots = [Double](repeating: 0, count: 2 * rows)
    let scale = 1 / Double(Swift.max(rows, 1))
    let gradient = _fusedDualPass(x, dots: &dots, context: []) { _, _, d, e in
      let s = stableSigmoid(d)
      return (s * scale, s * (1 - s) * e * scale)
    }
    var value = 0.0, derivative = 0.0
    for i in 0..<rows {
      value += stableSoftplus(dots[i])
      derivative += stableSigmoid(dots[i]) * dots[rows + i]
    }
    return (Dual(value * scale, derivative: derivative * scale), gradient)
  }

  /// ``Kernels/fusedRowPass(_:rows:columns:_:dots:into:coefficient:)`` on this matrix, with
  /// `context` (read-only per-row data) handed to the coefficient.
  func _fusedPass(
    _ x: [Double], dots: inout [Double], _ coefficient: @Sendable (UnsafePointer<Double>, Int, Double) -> Double,
    context: [Double]
  ) -> [Double] {
    var out = [Double](repeating: 0, count: columns)
    guard rows > 0, columns > 0 else { return out }
    scalars.withUnsafeBufferPointer { a in
      x.withUnsafeBufferPointer { xs in
        context.withUnsafeBufferPointer { c in
          let shared = SendableConstPointer(c.baseAddress ?? xs.baseAddress!)
          dots.withUnsafeMutableBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
              Kernels.fusedRowPass(
                a.baseAddress!, rows: rows, columns: columns, xs.baseAddress!, dots: d.baseAddress!,
                into: o.baseAddress!
              ) { i, dot in coefficient(shared.p, i, dot) }
            }
          }
        }
      }
    }
    return out
  }

  /// The two-direction pass on the value and ε parts of `x`; returns the dual gradient.
  func _fusedDualPass(
    _ x: [Dual], dots: inout [Double], context: [Double],
    _ coefficient: @Sendable (UnsafePointer<Double>, Int, Double, Double) -> (Double, Double)
  ) -> [Dual] {
    guard rows > 0, columns > 0 else { return [Dual](repeating: .zero, count: columns) }
    let values = x.map(\.value), derivatives = x.map(\.derivative)
    var out = [Double](repeating: 0, count: 2 * columns)
    scalars.withUnsafeBufferPointer { a in
      values.withUnsafeBufferPointer { v in
        derivatives.withUnsafeBufferPointer { w in
          context.withUnsafeBufferPointer { c in
            let shared = SendableConstPointer(c.baseAddress ?? v.baseAddress!)
            dots.withUnsafeMutableBufferPointer { d in
              out.withUnsafeMutableBufferPointer { o in
                Kernels.fusedRowPass(
                  a.baseAddress!, rows: rows, columns: columns, v.baseAddress!, w.baseAddress!, dots: d.baseAddress!,
                  into: o.baseAddress!
                ) { i, dot, second in coefficient(shared.p, i, dot, second) }
              }
            }
          }
        }
      }
    }
    let n = columns
    return (0..<n).map { Dual(out[$0], derivative: out[n + $0]) }
  }
}

// MARK: - Closed-form products on doubles
//
// What the objectives' closed-form gradients and second-order products are made of: no dual
// numbers and no reverse pass, one read of `A` per product.

extension Matrix where Scalar == Double {
  /// `Aᵀ·diag(w)·(A·v − t)` and the image `A·v`, for data `A` (`w` defaults to ones, `t` to
  /// zeros): a gradient `Aᵀ(Ax − b)` or a Hessian product `AᵀWAv` of a loss of the scores.
  ///
  /// A dense `v` costs one pass over `A` (each row: a dot product, then an axpy while the row is
  /// in cache). A `v` with at most one entry in 32 nonzero (a support-restricted direction or
  /// iterate, as in the lasso) gathers `A·v` from those columns only, then one pass for `Aᵀ·`
  /// (a gathered entry costs a cache line, eight streamed ones, hence the low density).
  public func normalProduct(
    _ v: Vector<Double>, weights w: Vector<Double>? = nil, minus t: Vector<Double>? = nil
  ) -> (product: Vector<Double>, image: Vector<Double>) {
    precondition(
      v.count == columns && (w?.count ?? rows) == rows && (t?.count ?? rows) == rows,
      "normalProduct: \(rows)×\(columns), v \(v.count), weights \(w?.count ?? rows), shift \(t?.count ?? rows)")
    var image = [Double](repeating: 0, count: rows)
    var product = [Double](repeating: 0, count: columns)
    guard rows > 0, columns > 0 else { return (Vector(product), Vector(image)) }
    let ws = w?.scalars ?? [Double](repeating: 1, count: rows)
    let ts = t?.scalars ?? [Double](repeating: 0, count: rows)
    var nonzeros = 0
    for value in v.scalars where value != 0 { nonzeros &+= 1 }
    if nonzeros &* 32 <= columns {
      var indices = [Int](), values = [Double]()
      indices.reserveCapacity(nonzeros)
      values.reserveCapacity(nonzeros)
      for (j, value) in v.scalars.enumerated() where value != 0 {
        indices.append(j)
        values.append(value)
      }
      scalars.withUnsafeBufferPointer { a in
        indices.withUnsafeBufferPointer { q in
          values.withUnsafeBufferPointer { x in
            image.withUnsafeMutableBufferPointer { y in
              if nonzeros > 0 {
                Kernels.sparseMatvec(
                  a.baseAddress!, rows, columns, indices: q.baseAddress!, values: x.baseAddress!, count: nonzeros,
                  y.baseAddress!)
              }
            }
          }
        }
      }
      var coefficients = [Double](repeating: 0, count: rows)
      var anyNonzero = false
      for i in 0..<rows {
        coefficients[i] = (image[i] - ts[i]) * ws[i]
        if coefficients[i] != 0 { anyNonzero = true }
      }
      if anyNonzero {
        scalars.withUnsafeBufferPointer { a in
          coefficients.withUnsafeBufferPointer { c in
            product.withUnsafeMutableBufferPointer { o in
              Kernels.matvecTransposed(a.baseAddress!, rows, columns, c.baseAddress!, o.baseAddress!)
            }
          }
        }
      }
      return (Vector(product), Vector(image))
    }
    scalars.withUnsafeBufferPointer { a in
      v.scalars.withUnsafeBufferPointer { x in
        ws.withUnsafeBufferPointer { wp in
          ts.withUnsafeBufferPointer { tp in
            let weight = SendableConstPointer(wp.baseAddress!), shift = SendableConstPointer(tp.baseAddress!)
            image.withUnsafeMutableBufferPointer { d in
              product.withUnsafeMutableBufferPointer { o in
                Kernels.fusedRowPass(
                  a.baseAddress!, rows: rows, columns: columns, x.baseAddress!, dots: d.baseAddress!,
                  into: o.baseAddress!
                ) { i, dot in (dot - shift.p[i]) * weight.p[i] }
              }
            }
          }
        }
      }
    }
    return (Vector(product), Vector(image))
  }

  /// ``Kernels/fusedRowPass(_:rows:columns:directions:count:dots:into:coefficient:)`` on this
  /// matrix: `directions` holds `count` vectors of `columns` entries one after another, and
  /// `coefficient(context, i, dᵢ, cᵢ)` writes the `count` coefficients of row `i` from its dot
  /// products `dᵢ` (with `context`, read-only per-row data, at hand). Returns the dot products
  /// (`rows × count`, row by row) and `Σᵢ cᵢ ⊗ aᵢ` (`count × columns`); one read of the matrix.
  public func fusedRowPass(
    directions: [Double], count c: Int, context: [Double],
    coefficient:
      @Sendable (
        _ context: UnsafePointer<Double>, _ row: Int, _ dots: UnsafePointer<Double>,
        _ coefficients: UnsafeMutablePointer<Double>
      ) -> Void
  ) -> (dots: [Double], out: [Double]) {
    precondition(directions.count == c * columns, "fusedRowPass: \(directions.count) entries for \(c)×\(columns)")
    var dots = [Double](repeating: 0, count: rows * c)
    var out = [Double](repeating: 0, count: c * columns)
    guard rows > 0, columns > 0, c > 0 else { return (dots, out) }
    scalars.withUnsafeBufferPointer { a in
      directions.withUnsafeBufferPointer { v in
        context.withUnsafeBufferPointer { x in
          let shared = SendableConstPointer(x.baseAddress ?? v.baseAddress!)
          dots.withUnsafeMutableBufferPointer { d in
            out.withUnsafeMutableBufferPointer { o in
              Kernels.fusedRowPass(
                a.baseAddress!, rows: rows, columns: columns, directions: v.baseAddress!, count: c,
                dots: d.baseAddress!, into: o.baseAddress!
              ) { i, z, coefficients in coefficient(shared.p, i, z, coefficients) }
            }
          }
        }
      }
    }
    return (dots, out)
  }

  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` and its gradient `Aᵀσ(Ax)/m`, in one pass over `A` (no reverse
  /// pass; the value and gradient of ``meanSoftplusOfProduct(_:)``).
  public func meanSoftplusValueAndGradient(_ x: Vector<Double>) -> (value: Double, gradient: Vector<Double>) {
    precondition(x.count == columns, "meanSoftplusOfProduct: \(rows)×\(columns) times \(x.count)")
    let r = _fusedMeanSoftplus(x.scalars)
    return (r.value, Vector(r.gradient))
  }

  /// The curvature weights `σ'(⟨aᵢ, x⟩)/m = σ(1 − σ)/m` of ``meanSoftplusOfProduct(_:)`` at `x`:
  /// its Hessian is `Aᵀ·diag(weights)·A` (one product with `A`).
  public func meanSoftplusCurvature(_ x: Vector<Double>) -> Vector<Double> {
    let scores = _mixed(x, transposed: false)
    let scale = 1 / Double(Swift.max(rows, 1))
    return Vector(
      scores.scalars.map { z in
        let s = stableSigmoid(z)
        return s * (1 - s) * scale
      })
  }
}

/// `log(1 + eᶻ)`, stable for large `|z|` (the one scalar softplus of the library's data kernels).
@inlinable public func stableSoftplus(_ z: Double) -> Double {
  Swift.max(z, 0) + Double.log1p(Double.exp(-Swift.abs(z)))
}

/// `1/(1 + e⁻ᶻ)`, stable for large `|z|` (the one scalar sigmoid of the library's data kernels).
@inlinable public func stableSigmoid(_ z: Double) -> Double {
  if z >= 0 { return 1 / (1 + Double.exp(-z)) }
  let e = Double.exp(z)
  return e / (1 + e)
}

// MARK: - Data times a matrix of any scalar

extension Matrix where Scalar == Double {
  /// `A·B` for data `A` and a matrix `B` of any scalar; differentiable in `B`. On dual numbers the
  /// value and ε parts of `B` go side by side as one right operand (`A` is read once); a skinny
  /// `B` uses the dot-product kernel.
  @inlinable @differentiable(reverse,wrt: B)
  public func times<S: RealScalar>(_ B: Matrix<S>) -> Matrix<S> { _mixedProduct(B, transposed: false) }

  @inlinable @derivative(of: times, wrt: B)
  func _vjpTimesMatrix<S: RealScalar>(_ B: Matrix<S>) -> (value: Matrix<S>, pullback: (Matrix<S>) -> Matrix<S>) {
    let (r, c) = (B.rows, B.columns)
    return (
      _mixedProduct(B, transposed: false),
      { v in v.isEmpty ? Matrix<S>.zeros(rows: r, columns: c) : self._mixedProduct(v, transposed: true) }
    )
  }

  /// `Aᵀ·G` for data `A` and a matrix `G` of any scalar, reading `A` row by row (no transposed
  /// copy); differentiable in `G`.
  @inlinable @differentiable(reverse,wrt: G)
  public func transposedTimes<S: RealScalar>(_ G: Matrix<S>) -> Matrix<S> { _mixedProduct(G, transposed: true) }

  @inlinable @derivative(of: transposedTimes, wrt: G)
  func _vjpTransposedTimesMatrix<S: RealScalar>(_ G: Matrix<S>) -> (
    value: Matrix<S>, pullback: (Matrix<S>) -> Matrix<S>
  ) {
    let (r, c) = (G.rows, G.columns)
    return (
      _mixedProduct(G, transposed: true),
      { v in v.isEmpty ? Matrix<S>.zeros(rows: r, columns: c) : self._mixedProduct(v, transposed: false) }
    )
  }

  @inlinable func _mixedProduct<S: RealScalar>(_ B: Matrix<S>, transposed: Bool) -> Matrix<S> {
    if S.self == Double.self {
      let r = _dataProduct(unsafeBitCast(B, to: Matrix<Double>.self), transposed: transposed)
      return unsafeBitCast(r, to: Matrix<S>.self)
    }
    if S.self == Dual.self {
      return unsafeBitCast(
        _dataProduct(unsafeBitCast(B, to: Matrix<Dual>.self), transposed: transposed), to: Matrix<S>.self)
    }
    let converted = Matrix<S>(converting: transposed ? _transposed() : self)
    return converted._matmul(B)
  }

  /// `A·B` or `Aᵀ·B` on the kernels.
  @usableFromInline func _dataProduct(_ B: Matrix<Double>, transposed: Bool) -> Matrix<Double> {
    let (inner, outer) = transposed ? (rows, columns) : (columns, rows)
    precondition(
      B.rows == inner,
      "Matrix.\(transposed ? "transposedTimes" : "times"): \(rows)×\(columns) and \(B.rows)×\(B.columns)")
    let c = B.columns
    var out = [Double](repeating: 0, count: outer * c)
    if outer * c > 0 {
      scalars.withUnsafeBufferPointer { a in
        B.scalars.withUnsafeBufferPointer { b in
          out.withUnsafeMutableBufferPointer { o in
            if inner == 0 { return }
            if transposed {
              Kernels.matmulTransposedLeft(a.baseAddress!, rows, columns, b.baseAddress!, c, o.baseAddress!)
            } else {
              Kernels.matmul(a.baseAddress!, b.baseAddress!, rows, columns, c, o.baseAddress!)
            }
          }
        }
      }
    }
    return Matrix(rows: outer, columns: c, scalars: out)
  }

  /// The dual version: `[B.values | B.derivatives]` as one right operand.
  @usableFromInline func _dataProduct(_ B: Matrix<Dual>, transposed: Bool) -> Matrix<Dual> {
    let c = B.columns
    var stacked = [Double](repeating: 0, count: B.rows * 2 * c)
    for i in 0..<B.rows {
      for j in 0..<c {
        let z = B.scalars[i * c + j]
        stacked[i * 2 * c + j] = z.value
        stacked[i * 2 * c + c + j] = z.derivative
      }
    }
    let product = _dataProduct(Matrix(rows: B.rows, columns: 2 * c, scalars: stacked), transposed: transposed)
    var out = [Dual](repeating: .zero, count: product.rows * c)
    for i in 0..<product.rows {
      for j in 0..<c {
        out[i * c + j] = Dual(product.scalars[i * 2 * c + j], derivative: product.scalars[i * 2 * c + c + j])
      }
    }
    return Matrix<Dual>(rows: product.rows, columns: c, scalars: out)
  }

  /// The Gram matrix `A·Aᵀ` of the rows (symmetric, `rows × rows`), by the blocked kernel.
  public func gram() -> Matrix<Double> {
    var out = [Double](repeating: 0, count: rows * rows)
    scalars.withUnsafeBufferPointer { a in
      out.withUnsafeMutableBufferPointer { o in
        if rows > 0 && columns > 0 { Kernels.gram(a.baseAddress!, rows, columns, o.baseAddress!) }
      }
    }
    return Matrix(rows: rows, columns: rows, scalars: out)
  }
}
