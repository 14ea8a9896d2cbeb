public import ImplicitCore
import _Differentiation

/// Least squares with both the design and the targets as the parameter:
///
///     f(x, θ) = ½‖Ax − b‖²,      θ = [vec A (row-major); b]
///
/// for differentiating with respect to the data itself (reference cases list `A` or `b`).
/// `∇ₓf = Aᵀ(Ax − b)`. See ``LeastSquares`` when only `b` varies.
public struct DesignLeastSquares: ParametricObjective, Sendable {
  /// The number of rows of `A`.
  public let rows: Int
  /// The number of columns of `A`.
  public let columns: Int

  /// The objective for an `rows × columns` design.
  public init(rows: Int, columns: Int) {
    self.rows = rows
    self.columns = columns
  }

  /// `θ = [vec A; b]`.
  public func parameter(A: Matrix<Double>, b: Vector<Double>) -> Vector<Double> { Vector(A.scalars + b.scalars) }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let a = θ.slice(from: 0, count: rows * columns).reshaped(rows: rows, columns: columns)
    let residual = a * x - θ.slice(from: rows * columns, count: rows)
    return S(0.5) * residual.squaredNorm()
  }

  /// `(A, Ax − b)` at `θ`, on doubles.
  public func residual(at x: Vector<Double>, _ θ: Vector<Double>) -> (A: Matrix<Double>, r: Vector<Double>) {
    let a = Matrix(rows: rows, columns: columns, scalars: Array(θ.scalars[0..<(rows * columns)]))
    return (a, a * x - Vector(Array(θ.scalars[(rows * columns)..<(rows * columns + rows)])))
  }

  /// `Aᵀ(Ax − b)`, written out (no reverse pass), for solvers' inner loops.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let (a, r) = residual(at: x, θ)
    return a.transposedTimes(r)
  }
}
