public import ImplicitCore

/// A ``ParametricObjective`` that evaluates its gradient `∇ₓf(xᵢ, θᵢ)` at many points and
/// parameters at once, faster than one at a time: with a dense design shared by every element,
/// the products `A·xᵢ` and `Aᵀrᵢ` of the whole batch become two matrix–matrix products that read
/// `A` once (compute-bound), instead of one pass over `A` per element (memory-bound).
///
/// ``RidgeRegression``, ``LeastSquares`` and ``BinaryLogisticRegression`` conform (fused on a
/// dense design, one gradient per element on a sparse one).
///
/// Batched solvers (``GradientDescent``'s `solve(_:_:from:)` on a ``Batch``) call it once per
/// iteration for all their live elements; objectives that do not conform get one
/// ``ParametricObjective/gradient(at:_:)`` per element. Each gradient equals the one-element
/// gradient up to rounding (the sums run in another order), and a non-finite point or parameter
/// spoils only its own gradient.
public protocol BatchedGradientObjective: ParametricObjective {
  /// `∇ₓf(xs[i], θs[i])` for every `i`. Throws ``ImplicitError`` when `xs` and `θs` differ in
  /// length or an element has shapes (or a `θ`) the objective rejects; a non-finite point gives a
  /// non-finite gradient, not an error.
  func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) throws -> [Vector<Double>]
}

extension ShapeCheckedObjective {
  /// Throws unless `xs` and `θs` have equal lengths and every pair passes ``validate(_:_:)``.
  func validateBatch(_ xs: [Vector<Double>], _ θs: [Vector<Double>]) throws {
    try ImplicitError.checkDimension("the batch: θs (one per point in xs)", θs.count, expected: xs.count)
    for (x, θ) in zip(xs, θs) { try validate(x, θ) }
  }
}

/// `Aᵀcᵢ(A·xᵢ)` for every `i`, as two matrix–matrix products with the dense `A` (`m × n`):
/// the scores `Z = X·Aᵀ` (the points as the rows of `X`), `coefficients(i, zᵢ)` turning row `i`
/// of `Z` into its coefficients in place (a residual, the derivative of a loss), then `G = C·A`.
func rowPassProducts(
  _ A: Matrix<Double>, _ xs: [Vector<Double>], coefficients: (Int, UnsafeMutableBufferPointer<Double>) -> Void
) -> [Vector<Double>] {
  let (count, m, n) = (xs.count, A.rows, A.columns)
  var points = [Double]()
  points.reserveCapacity(count * n)
  for x in xs { points.append(contentsOf: x.scalars) }
  var scores = [Double](repeating: 0, count: count * m)
  points.withUnsafeBufferPointer { x in
    A.scalars.withUnsafeBufferPointer { a in
      scores.withUnsafeMutableBufferPointer { z in
        guard let x = x.baseAddress, let a = a.baseAddress, let z = z.baseAddress else { return }
        Kernels.matmulTransposedRight(x, count, n, a, m, z)
        for i in 0..<count { coefficients(i, UnsafeMutableBufferPointer(start: z + i * m, count: m)) }
      }
    }
  }
  let g = Matrix(rows: count, columns: m, scalars: scores) * A
  return (0..<count).map { i in Vector(Array(g.scalars[(i * n)..<((i + 1) * n)])) }
}

/// `Aᵀ(A·xᵢ − tᵢ)` for every `i` (``rowPassProducts(_:_:coefficients:)`` with residuals).
func normalProducts(
  _ A: Matrix<Double>, _ xs: [Vector<Double>], minus targets: (Int) -> Vector<Double>
) -> [Vector<Double>] {
  rowPassProducts(A, xs) { i, z in
    let t = targets(i)
    for j in 0..<z.count { z[j] -= t[j] }
  }
}

extension RidgeRegression: BatchedGradientObjective {
  /// `Aᵀ(Axᵢ − b) + θᵢ ⊙ xᵢ` for every `i`: with a dense `A`, two matrix–matrix products for the
  /// whole batch; with a sparse one, one fused pass per element.
  public func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) throws -> [Vector<Double>] {
    try validateBatch(xs, θs)
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
  public func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) throws -> [Vector<Double>] {
    try validateBatch(xs, θs)
    guard xs.count > 1, let dense = A as? Matrix<Double> else {
      return zip(xs, θs).map { gradient(at: $0, $1) }
    }
    return normalProducts(dense, xs) { θs[$0] }
  }
}

extension BinaryLogisticRegression: BatchedGradientObjective {
  /// `Mᵀσ(Mxᵢ)/n + θᵢ ⊙ wᵢ` for every `i` (`M = −diag(y)X̃`): with dense features, two
  /// matrix–matrix products for the whole batch; with sparse ones, one fused pass per element.
  public func gradients(at xs: [Vector<Double>], _ θs: [Vector<Double>]) throws -> [Vector<Double>] {
    try validateBatch(xs, θs)
    guard xs.count > 1, let dense = negatedSignedDesign as? Matrix<Double> else {
      return zip(xs, θs).map { gradient(at: $0, $1) }
    }
    let scale = 1 / Double(max(dense.rows, 1))
    var gs = rowPassProducts(dense, xs) { _, z in
      for j in 0..<z.count { z[j] = stableSigmoid(z[j]) * scale }  // σ(z)/n
    }
    for i in gs.indices { addPenaltyProduct(θs[i], prefix(xs[i], features.columns), to: &gs[i]) }
    return gs
  }
}
