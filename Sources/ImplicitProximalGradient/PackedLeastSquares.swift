import ImplicitCore
import _Differentiation

/// `f(x, θ) = ½‖Ax − b‖²` where `A` and `b` are read from the packed parameter vector `θ` when a
/// reference case differentiates them (``ParameterPack`` layout), and are constants otherwise.
/// Entries of `θ` that are neither (the penalty's strengths) do not enter `f`.
struct PackedLeastSquares: ParametricObjective {
  let A: Matrix<Double>
  let b: Vector<Double>
  /// Offset of `A` (row-major) in `θ`, or −1 when `A` is a constant.
  let designOffset: Int
  /// Offset of `b` in `θ`, or −1 when `b` is a constant.
  let targetOffset: Int

  init(A: Matrix<Double>, b: Vector<Double>, pack: ParameterPack) {
    self.A = A
    self.b = b
    designOffset = pack.entries.first { $0.name == "A" }?.offset ?? -1
    targetOffset = pack.entries.first { $0.name == "b" }?.offset ?? -1
  }

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let residual = design(θ) * x - target(θ)
    return S(0.5) * residual.squaredNorm()
  }

  @differentiable(reverse)
  func design<S: RealScalar>(_ θ: Vector<S>) -> Matrix<S> {
    if designOffset < 0 { return Matrix<S>(converting: A) }
    return θ.slice(from: designOffset, count: A.rows * A.columns).reshaped(rows: A.rows, columns: A.columns)
  }

  @differentiable(reverse)
  func target<S: RealScalar>(_ θ: Vector<S>) -> Vector<S> {
    if targetOffset < 0 { return Vector<S>(converting: b.scalars) }
    return θ.slice(from: targetOffset, count: b.count)
  }
}
