public import ImplicitCore

// Closed forms of the SVM dual's gradient and second-order products: one product with
// `K = XXᵀ` each (the Gram matrix when it was formed, else two skinny passes over `X`), where
// reverse mode over the generic `callAsFunction` would tape every entry of `Xᵀ(Y − β)`.
// With `B = β` as an `n × k` matrix and `t = θ`:
//
//     ∇_β f = K(B − Y)/t + Y − 1,    ∇²f·U = KU/t,    ∂∇_β f/∂t = −K(B − Y)/t²
extension MulticlassSVMDual {
  /// `K M = X XᵀM`, from the Gram matrix when the objective formed it.
  func kernelTimes(_ M: Matrix<Double>) -> Matrix<Double> {
    if let kernel { return kernel.times(M) }
    return X.times(X.transposedTimes(M))
  }

  /// `∇_β f(β, θ) = X Xᵀ(B − Y)/θ + Y − 1` (flattened row by row), in closed form.
  public func gradient(at beta: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let t = θ.sum()
    let B = Matrix(reshaping: beta, rows: X.rows, columns: Y.columns)
    var g = kernelTimes(B - Y).flattenedVector().scaled(by: 1 / t)
    g.addScaled(1, Y.flattenedVector())
    return g.mapScalars { $0 - 1 }
  }

  /// `(∇²f·u, (∂∇_β f/∂θ)ᵀu) = (KU/θ, −⟨B − Y, KU⟩/θ²)`, in closed form (`K` symmetric).
  public func gradientPullback(
    at beta: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let t = θ.sum()
    let U = Matrix(reshaping: u.isSymbolicZero ? Vector.zeros(beta.count) : u, rows: X.rows, columns: Y.columns)
    let B = Matrix(reshaping: beta, rows: X.rows, columns: Y.columns)
    let KU = kernelTimes(U).flattenedVector()
    return (KU.scaled(by: 1 / t), Vector([-(B - Y).flattenedVector().dot(KU) / (t * t)]))
  }

  /// `∇²f·v + (∂∇_β f/∂θ)·τ = K(V − τ(B − Y)/θ)/θ`, in closed form.
  public func gradientJVP(
    at beta: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ τ: Vector<Double>
  ) -> Vector<Double> {
    let t = θ.sum()
    let dt = τ.isSymbolicZero ? 0 : τ.sum()
    let V = Matrix(reshaping: v.isSymbolicZero ? Vector.zeros(beta.count) : v, rows: X.rows, columns: Y.columns)
    let B = Matrix(reshaping: beta, rows: X.rows, columns: Y.columns)
    return kernelTimes(V - (dt / t) * (B - Y)).flattenedVector().scaled(by: 1 / t)
  }
}
