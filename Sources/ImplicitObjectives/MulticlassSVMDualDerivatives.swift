public import ImplicitCore

// Closed forms of the SVM dual's gradient and second-order products: one product with
// `K = XXᵀ` each (the Gram matrix when it was formed, else two skinny passes over `X`), where
// reverse mode over the generic `callAsFunction` would tape every entry of `Xᵀ(Y − β)`.
// With `B = β` as an `n × k` matrix and `t = θ`:
//
//     ∇_β f = K(B − Y)/t + Y − 1,    ∇²f·U = KU/t,    ∂∇_β f/∂t = −K(B − Y)/t²
//
// Each builds its right operand in one loop over flat arrays (no matrix temporaries besides the
// product's own output) and scales the product in place.
extension MulticlassSVMDual: ClosedFormDerivatives {
  /// `K M = X XᵀM` for `M` given flat (`n × k`, row by row), from the Gram matrix when the
  /// objective formed it; returned flat.
  func kernelTimes(_ m: [Double]) -> [Double] {
    let M = Matrix(rows: X.rows, columns: Y.columns, scalars: m)
    if let kernel { return kernel.times(M).scalars }
    return X.times(X.transposedTimes(M)).scalars
  }

  /// `∇_β f(β, θ) = X Xᵀ(B − Y)/θ + Y − 1` (flattened row by row), in closed form.
  public func gradient(at beta: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let scale = 1 / θ.sum()
    let y = Y.scalars
    var m = beta.scalars
    for i in m.indices { m[i] -= y[i] }
    var g = kernelTimes(m)
    for i in g.indices { g[i] = g[i] * scale + y[i] - 1 }
    return Vector(g)
  }

  /// `(∇²f·u, (∂∇_β f/∂θ)ᵀu) = (KU/θ, −⟨B − Y, KU⟩/θ²)`, in closed form (`K` symmetric).
  public func gradientPullback(
    at beta: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let t = θ.sum()
    var ku = kernelTimes(u.isSymbolicZero ? [Double](repeating: 0, count: beta.count) : u.scalars)
    let y = Y.scalars
    var mixed = 0.0
    for i in ku.indices {
      mixed += (beta[i] - y[i]) * ku[i]
      ku[i] /= t
    }
    return (Vector(ku), Vector([-mixed / (t * t)]))
  }

  /// `∇²f·v + (∂∇_β f/∂θ)·τ = K(V − τ(B − Y)/θ)/θ`, in closed form.
  public func gradientJVP(
    at beta: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ τ: Vector<Double>
  ) -> Vector<Double> {
    let t = θ.sum()
    let s = (τ.isSymbolicZero ? 0 : τ.sum()) / t
    let y = Y.scalars
    var m = v.isSymbolicZero ? [Double](repeating: 0, count: beta.count) : v.scalars
    if s != 0 {
      for i in m.indices { m[i] -= s * (beta[i] - y[i]) }
    }
    var out = kernelTimes(m)
    for i in out.indices { out[i] /= t }
    return Vector(out)
  }
}
