public import ImplicitCore

/// A ``ParametricObjective`` that evaluates its gradient `∇ₓf(xᵢ, θᵢ)` at many points and
/// parameters at once, faster than one at a time: with a dense design shared by every element,
/// the products `A·xᵢ` and `Aᵀrᵢ` of the whole batch become two matrix–matrix products that read
/// `A` once (compute-bound), instead of one pass over `A` per element (memory-bound).
///
/// Batched solvers (``GradientDescent``'s `solve(_:_:from:)` on a ``Batch``) call it once per
/// iteration for all their live elements; objectives that do not conform get one
/// ``ParametricObjective/gradient(at:_:)`` per element. Each gradient equals the one-element
/// gradient up to rounding (the sums run in another order), and a non-finite point or parameter
/// spoils only its own gradient.
public protocol BatchedGradientObjective: ParametricObjective {
  /// `∇ₓf(xs[i], θs[i])` for every `i` (`xs` and `θs` have equal counts and valid shapes).
  func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) -> [Vector<Double>]
}

/// `Aᵀ(A·xᵢ − tᵢ)` for every `i`, as two matrix–matrix products with the dense `A` (`m × n`):
/// `R = X·Aᵀ − T` (the points as the rows of `X`), then `G = R·A`.
func normalProducts(
  _ A: Matrix<Double>, _ xs: [Vector<Double>], minus targets: (Int) -> Vector<Double>
) -> [Vector<Double>] {
  let (count, m, n) = (xs.count, A.rows, A.columns)
  var points = [Double]()
  points.reserveCapacity(count * n)
  for x in xs { points.append(contentsOf: x.scalars) }
  var residuals = [Double](repeating: 0, count: count * m)
  points.withUnsafeBufferPointer { x in
    A.scalars.withUnsafeBufferPointer { a in
      residuals.withUnsafeMutableBufferPointer { r in
        guard let x = x.baseAddress, let a = a.baseAddress, let r = r.baseAddress else { return }
        Kernels.matmulTransposedRight(x, count, n, a, m, r)
      }
    }
  }
  for i in 0..<count {
    let t = targets(i)
    for j in 0..<m { residuals[i * m + j] -= t[j] }
  }
  let g = Matrix(rows: count, columns: m, scalars: residuals) * A
  return (0..<count).map { i in Vector(Array(g.scalars[(i * n)..<((i + 1) * n)])) }
}

extension RidgeRegression: BatchedGradientObjective {
  /// `Aᵀ(Axᵢ − b) + θᵢ ⊙ xᵢ` for every `i`: with a dense `A`, two matrix–matrix products for the
  /// whole batch; with a sparse one, one fused pass per element.
  public func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) -> [Vector<Double>] {
    guard xs.count > 1, let dense = A as? Matrix<Double> else {
      return zip(xs, θs).map { gradient(at: $0, $1) }
    }
    var gs = normalProducts(dense, xs) { _ in b }
    for i in gs.indices { addPenaltyProduct(θs[i], xs[i], to: &gs[i]) }
    return gs
  }
}

extension LeastSquares: BatchedGradientObjective {
  /// `Aᵀ(Axᵢ − θᵢ)` for every `i`: with a dense `A`, two matrix–matrix products for the whole
  /// batch; with a sparse one, one fused pass per element.
  public func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) -> [Vector<Double>] {
    guard xs.count > 1, let dense = A as? Matrix<Double> else {
      return zip(xs, θs).map { gradient(at: $0, $1) }
    }
    return normalProducts(dense, xs) { θs[$0] }
  }
}
