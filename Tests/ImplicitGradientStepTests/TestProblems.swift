import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import _Differentiation

/// `f(x, θ) = ½‖Ax − θ‖²`: least squares with the target `b = θ` as the objective's parameter.
struct LeastSquaresInTarget: ParametricObjective {
  let A: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    S(0.5) * (Matrix<S>(converting: A) * x - θ).squaredNorm()
  }
}

/// `argmin_x ½‖Ax − b‖² + g(x, λ)` posed as a proximal-gradient condition with `θ = [b; λ]`.
struct PenalizedLeastSquares<Prox: ProximalOperator> {
  let A: Matrix<Double>
  let b: Vector<Double>
  let λ: Prox.Parameter
  let condition: ProximalGradientCondition<LeastSquaresInTarget, Prox>

  init(A: Matrix<Double>, b: Vector<Double>, prox: Prox, λ: Prox.Parameter, stepSize: Double? = nil) throws {
    self.A = A
    self.b = b
    self.λ = λ
    condition = try ProximalGradientCondition(
      objective: LeastSquaresInTarget(A: A), prox: prox, objectiveParameterCount: b.count, proxParameter: λ,
      stepSize: stepSize ?? 1 / A.squaredSpectralNorm())
  }

  var θ: Vector<Double> { condition.packParameters(objective: b, prox: λ) }

  /// FISTA to a tight tolerance, then Newton polishing.
  func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    let run = try FISTA(tolerance: 1e-13).solve(condition, θ, from: Vector.zeros(A.columns))
    return condition.refined(run.solution, θ).solution
  }

  /// Central differences of re-solving, column by column in `θ`.
  func finiteDifferenceJacobian(at θ: Vector<Double>, step: Double = 1e-5) -> Matrix<Double> {
    let n = A.columns
    var j = Matrix<Double>.zeros(rows: n, columns: θ.count)
    for c in 0..<θ.count {
      var plus = θ, minus = θ
      plus[c] += step
      minus[c] -= step
      let up = (try? solve(plus)) ?? Vector(repeating: .nan, count: n)
      let down = (try? solve(minus)) ?? Vector(repeating: .nan, count: n)
      for r in 0..<n { j[r, c] = (up[r] - down[r]) / (2 * step) }
    }
    return j
  }
}

typealias LassoProblem = PenalizedLeastSquares<LassoProximal>

extension PenalizedLeastSquares where Prox == LassoProximal {
  /// A random lasso whose strength is `fraction` of `‖Aᵀb‖∞` (the smallest λ giving x* = 0).
  static func random(seed: UInt64, rows: Int = 10, columns: Int = 6, fraction: Double = 0.3) throws -> LassoProblem {
    var rng = SeededGenerator(seed: seed)
    let A = rng.normalMatrix(rows: rows, columns: columns)
    let b = rng.normalVector(rows)
    let λ = fraction * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    return try LassoProblem(A: A, b: b, prox: LassoProximal(), λ: Vector([λ]))
  }
}

/// ISTA or FISTA for the lasso, unrolled for a fixed number of iterations and written with the
/// differentiable prox and plain vector operations, so that Swift AD differentiates through the
/// iterations: an independent derivative to compare the implicit one with.
struct UnrolledLasso {
  let A: Matrix<Double>
  let stepSize: Double
  let iterations: Int
  let accelerated: Bool

  /// `x_K(θ)` with `θ = [b; λ]`.
  @differentiable(reverse)
  func callAsFunction(_ θ: Vector<Double>) -> Vector<Double> {
    let b = θ.slice(from: 0, count: A.rows)
    let λ = θ.slice(from: A.rows, count: 1)
    let η = stepSize
    var x = Vector<Double>.zeros(A.columns)
    var y = x
    var t = 1.0
    for _ in 0..<iterations {
      let gradient = A.transposedTimes(A * y - b)
      let next = LassoProximal()(y - η * gradient, λ, scaling: η)
      if accelerated {
        let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
        y = next + ((t - 1) / tNext) * (next - x)
        t = tNext
      } else {
        y = next
      }
      x = next
    }
    return x
  }

  /// `∂x_K/∂θ` by reverse-mode AD through the iterations, one row per output.
  func jacobian(at θ: Vector<Double>) -> Matrix<Double> {
    let n = A.columns
    let pb = pullback(at: θ) { θ in self(θ) }
    var j = Matrix<Double>.zeros(rows: n, columns: θ.count)
    for i in 0..<n {
      let row = pb(.basis(i, count: n))
      for c in 0..<θ.count { j[i, c] = row.isEmpty ? 0 : row[c] }
    }
    return j
  }
}

/// The lasso derivative in closed form on the support `S` (s = sign(x_S)):
/// `∂x_S/∂λ = −(A_SᵀA_S)⁻¹s`, `∂x_S/∂b = (A_SᵀA_S)⁻¹A_Sᵀ`, zero off `S`; columns `[b; λ]`.
func lassoClosedFormJacobian(A: Matrix<Double>, x: Vector<Double>) -> Matrix<Double>? {
  let support = x.scalars.indices.filter { x[$0] != 0 }
  let m = A.rows, n = A.columns, k = support.count
  var gram = Matrix<Double>.zeros(rows: k, columns: k)
  for (p, i) in support.enumerated() {
    for (q, j) in support.enumerated() { gram[p, q] = (0..<m).reduce(0) { $0 + A[$1, i] * A[$1, j] } }
  }
  guard let lu = LUFactorization(gram), !lu.isSingular else { return nil }
  var jacobian = Matrix<Double>.zeros(rows: n, columns: m + 1)
  let dλ = lu.solve(support.map { x[$0] > 0 ? -1.0 : 1.0 })
  for (p, i) in support.enumerated() { jacobian[i, m] = dλ[p] }
  for r in 0..<m {
    let db = lu.solve(support.map { A[r, $0] })
    for (p, i) in support.enumerated() { jacobian[i, r] = db[p] }
  }
  return jacobian
}
