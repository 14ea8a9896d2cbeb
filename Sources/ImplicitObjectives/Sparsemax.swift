public import ImplicitCore
import _Differentiation

/// `sparsemax(z) = argmin_{p ∈ Δ} ‖p − z‖²`: the Euclidean projection onto the probability
/// simplex (Martins & Astudillo, 2016), `pⱼ = max(zⱼ − τ, 0)` with `τ` such that `Σ p = 1`.
///
/// Computed in the scalar type, with the support chosen on the real parts: on dual numbers the
/// result carries the exact directional derivative `J·ż`, `J = diag(s) − ssᵀ/|S|` (`s` the
/// support indicator). Differentiable, with that `J` (symmetric) as its reverse derivative.
@differentiable(reverse)
public func sparsemax<S: RealScalar>(_ z: Vector<S>) -> Vector<S> { sparsemaxWithSupport(z).value }

@derivative(of: sparsemax)
public func _vjpSparsemax<S: RealScalar>(_ z: Vector<S>) -> (value: Vector<S>, pullback: (Vector<S>) -> Vector<S>) {
  let (p, support) = sparsemaxWithSupport(z)
  return (
    p,
    { v in
      if v.isSymbolicZero { return Vector.zeros(p.count) }
      // J v = s ⊙ (v − mean of v over the support).
      var total = S.zero
      for j in support { total = total + v[j] }
      let mean = total / S(Double(support.count))
      var out = Vector<S>.zeros(p.count)
      for j in support { out[j] = v[j] - mean }
      return out
    }
  )
}

/// `sparsemax(z)` and its support (indices with `pⱼ > 0`, by real part).
func sparsemaxWithSupport<S: RealScalar>(_ z: Vector<S>) -> (value: Vector<S>, support: [Int]) {
  let n = z.count
  guard n > 0 else { return (z, []) }
  // τ from the sorted real parts: the support is the k largest entries with 1 + k·z₍ₖ₎ > Σᵢ≤ₖ z₍ᵢ₎.
  let order = (0..<n).sorted { z[$0].primal > z[$1].primal }
  var cumulative = 0.0
  var size = 0
  for (k, i) in order.enumerated() {
    cumulative += z[i].primal
    if 1 + Double(k + 1) * z[i].primal > cumulative { size = k + 1 }
  }
  size = max(size, 1)
  let support = Array(order[..<size]).sorted()
  // τ again in the scalar type, so that dual tangents flow through it.
  var total = S.zero
  for j in support { total = total + z[j] }
  let tau = (total - S(1)) / S(Double(size))
  var p = Vector<S>.zeros(n)
  for j in support {
    let value = z[j] - tau
    if value.primal > 0 { p[j] = value }
  }
  return (p, support)
}

/// `Ω*(z) = max_{p ∈ Δ} ⟨z, p⟩ − ½‖p‖² = ⟨z, p*⟩ − ½‖p*‖²` with `p* = sparsemax(z)`, for every
/// row of `Z`: the convex conjugate of `Ω = ½‖·‖² + ι_Δ`. Its gradient is `sparsemax` (Danskin),
/// written in the scalar type so that dual numbers carry the exact Hessian `J_sparsemax`.
@differentiable(reverse)
func rowSparsemaxConjugate<S: RealScalar>(_ scores: Matrix<S>) -> Vector<S> {
  rowSparsemaxConjugateAndGradient(scores).value
}

@derivative(of: rowSparsemaxConjugate)
func _vjpRowSparsemaxConjugate<S: RealScalar>(_ scores: Matrix<S>) -> (
  value: Vector<S>, pullback: (Vector<S>) -> Matrix<S>
) {
  let (value, gradient) = rowSparsemaxConjugateAndGradient(scores)
  return (
    value,
    { v in
      if v.isEmpty { return Matrix.zeros(rows: gradient.rows, columns: gradient.columns) }
      var out = gradient
      for i in 0..<out.rows {
        for j in 0..<out.columns { out.scalars[i * out.columns + j] = v[i] * gradient.scalars[i * out.columns + j] }
      }
      return out
    }
  )
}

func rowSparsemaxConjugateAndGradient<S: RealScalar>(_ scores: Matrix<S>) -> (value: Vector<S>, gradient: Matrix<S>) {
  var values = [S]()
  var gradient = [S]()
  values.reserveCapacity(scores.rows)
  gradient.reserveCapacity(scores.scalars.count)
  for i in 0..<scores.rows {
    let z = scores.row(i)
    let p = sparsemaxWithSupport(z).value
    values.append(z._plainDot(p) - S(0.5) * p._plainDot(p))
    gradient.append(contentsOf: p.scalars)
  }
  return (Vector(values), Matrix(rows: scores.rows, columns: scores.columns, scalars: gradient))
}

extension Vector {
  /// `Σ selfᵢ·otherᵢ` in the scalar type (not differentiable; used inside derivatives).
  func _plainDot(_ other: Vector) -> Scalar {
    var s = Scalar.zero
    for i in 0..<count { s = s + self[i] * other[i] }
    return s
  }
}
