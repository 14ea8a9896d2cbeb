import ImplicitCore
import ImplicitGradientStep
import ImplicitProjectedGradient
import ImplicitProjections
import ImplicitProximal
import _Differentiation

/// `f(x, c) = ½xᵀQx + cᵀx` (`θ_f = c`).
struct QuadraticObjective: ParametricObjective {
  let Q: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ c: Vector<S>) -> S {
    S(0.5) * x.dot(Matrix<S>(converting: Q) * x) + c.dot(x)
  }
}

/// `f(x, θ) = Σ softplus(Mx − θ) + ½μ‖x‖²`: a Hessian that depends on `x` and a non-trivial
/// `∂∇f/∂θ`.
struct SoftplusObjective: ParametricObjective {
  let M: Matrix<Double>
  let mu: Double

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    (Matrix<S>(converting: M) * x - θ).softplus().sum() + S(0.5 * mu) * x.squaredNorm()
  }
}

/// A small box-constrained QP with some coordinates at each bound and some free:
/// `min_{l ≤ x ≤ u} ½xᵀQx + cᵀx`, `θ = [c, lower, upper]`.
struct BoxQPProblem {
  let n = 6
  let Q: Matrix<Double>
  let c: Vector<Double>
  let bounds: BoxBounds
  let lipschitz: Double

  init() {
    var rng = SeededGenerator(seed: 101)
    let b = rng.normalMatrix(rows: n, columns: n, scale: 0.5)
    Q = b.transposed() * b + Matrix.identity(n)
    c = rng.normalVector(n, scale: 2)
    bounds = BoxBounds(lower: Vector(repeating: -0.4, count: n), upper: Vector((0..<n).map { 0.3 + 0.05 * Double($0) }))
    lipschitz = LinearOperator(template: Vector<Double>.zeros(n), structure: .symmetric) { [Q] in Q * $0 }
      .largestEigenvalue()
  }

  var condition: ProximalGradientCondition<QuadraticObjective, ProjectionProximal<BoxProjection>> {
    try! ProximalGradientCondition(
      objective: QuadraticObjective(Q: Q), projection: BoxProjection(), objectiveParameterCount: n,
      projectionParameter: bounds, stepSize: 1 / lipschitz)
  }

  var parameter: Vector<Double> { condition.packParameters(objective: c, prox: bounds) }

  func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    try FISTA(stepSize: .fixed(1 / lipschitz), tolerance: 1e-13, maxIterations: 100_000)
      .solve(condition, θ, from: Vector.zeros(n)).converged()
  }
}

/// `min_{‖x‖ ≤ r} Σ softplus(Mx − θ_f) + ½μ‖x‖²` with the constraint active:
/// `θ = [θ_f (m entries), r]`.
struct SoftplusBallProblem {
  let n = 5, m = 7
  let objective: SoftplusObjective
  let thetaF: Vector<Double>
  let radius = 0.6

  init() {
    var rng = SeededGenerator(seed: 202)
    objective = SoftplusObjective(M: rng.normalMatrix(rows: m, columns: n), mu: 0.1)
    thetaF = rng.normalVector(m, scale: 3)
  }

  var condition: ProximalGradientCondition<SoftplusObjective, ProjectionProximal<L2BallProjection>> {
    try! ProximalGradientCondition(
      objective: objective, projection: L2BallProjection(), objectiveParameterCount: m, projectionParameter: radius,
      stepSize: 0.1)
  }

  var parameter: Vector<Double> { condition.packParameters(objective: thetaF, prox: radius) }

  func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    try FISTA(stepSize: .backtracking(initial: 1, shrinkFactor: 0.5), tolerance: 1e-13, maxIterations: 100_000)
      .solve(condition, θ, from: Vector.zeros(n)).converged()
  }
}
