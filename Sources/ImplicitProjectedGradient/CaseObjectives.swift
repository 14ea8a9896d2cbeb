import ImplicitCore
import ImplicitObjectives
import _Differentiation

/// An objective whose value and gradient are also written directly on `Double`s, for the
/// solver's inner loop (reverse mode stays for the condition's exact second-order products).
protocol DirectGradientObjective {
  func directValue(at x: Vector<Double>, _ θ: Vector<Double>) -> Double
  func directGradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>
}

extension DesignLeastSquares: DirectGradientObjective {
  func directValue(at x: Vector<Double>, _ θ: Vector<Double>) -> Double { 0.5 * residual(at: x, θ).r.squaredNorm() }
  func directGradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { gradient(at: x, θ) }
}

/// `f(x, θ) = ½xᵀQx + cᵀx` on `θ = [vec Q; c]` (`Q` as written: the gradient is `½(Q + Qᵀ)x + c`).
struct QuadraticOnInputs: ParametricObjective, DirectGradientObjective {
  let n: Int

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let q = θ.slice(from: 0, count: n * n).reshaped(rows: n, columns: n)
    return S(0.5) * x.dot(q * x) + θ.slice(from: n * n, count: n).dot(x)
  }

  func parts(_ θ: Vector<Double>) -> (Q: Matrix<Double>, c: Vector<Double>) {
    (Matrix(rows: n, columns: n, scalars: Array(θ.scalars[0..<(n * n)])), Vector(Array(θ.scalars[(n * n)...])))
  }
  func directValue(at x: Vector<Double>, _ θ: Vector<Double>) -> Double {
    let (q, c) = parts(θ)
    return 0.5 * x.dot(q * x) + c.dot(x)
  }
  /// `½(Q + Qᵀ)x + c`.
  func directGradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let (q, c) = parts(θ)
    return 0.5 * (q * x + q.transposedTimes(x)) + c
  }
}

/// `f(x, z) = ½‖x − z‖²`: its projected-gradient fixed point with step 1 is `x = P_C(z)`, the
/// projection itself.
struct SquaredDistance: ParametricObjective, DirectGradientObjective {
  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ z: Vector<S>) -> S { S(0.5) * (x - z).squaredNorm() }

  func directValue(at x: Vector<Double>, _ z: Vector<Double>) -> Double { 0.5 * (x - z).squaredNorm() }
  func directGradient(at x: Vector<Double>, _ z: Vector<Double>) -> Vector<Double> { x - z }
}

/// The simplex threshold condition on all its inputs, `θ = [z; s]`:
/// `F(τ, θ) = Σ relu(z − τ) − s` (``SimplexThresholdCondition`` with `s` a parameter too).
struct SimplexThresholdOnInputs: OptimalityCondition {
  @differentiable(reverse)
  func callAsFunction(_ tau: Double, _ θ: Vector<Double>) -> Double {
    let n = withoutDerivative(at: θ.count) - 1
    return (θ.slice(from: 0, count: n) - tau).relu().sum() - θ.slice(from: n, count: 1).sum()
  }

  /// `(z, s)` from `θ`.
  func inputs(_ θ: Vector<Double>) -> (z: Vector<Double>, s: Double) {
    (Vector(Array(θ.scalars.dropLast())), θ.scalars.last ?? 0)
  }

  func validate(_ tau: Double, _ θ: Vector<Double>) throws {
    let (z, s) = inputs(θ)
    try ImplicitError.checkFinite("z", z)
    if z.isEmpty || !(s > 0) { throw ImplicitError.invalidArgument("the simplex threshold needs entries and s > 0") }
  }
}
