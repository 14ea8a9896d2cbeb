import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitRidge
import ImplicitStationarity
import _Differentiation

/// A problem `x*(θ)` with a scalar parameter, a library solver, and three ways to get `∂x/∂θ` at
/// the solver's `t`-th iterate `x̂ₜ`:
/// - implicit: the optimality condition's Jacobian formula evaluated at `x̂ₜ` (as if it were `x*`);
/// - unrolled: the exact derivative of `x̂ₜ(θ)`, by the solver's unrolled switch (reverse mode
///   through the `t` iterations);
/// - exact: `∂x*/∂θ` from a closed form or a very tight solve.
protocol JacobianPrecisionProblem {
  var name: String { get }
  /// The parameter at which everything is measured.
  var θ: Double { get }
  /// `x*` and `∂x*/∂θ`.
  var exact: (solution: Vector<Double>, jacobian: Vector<Double>) { get }
  /// Where the ground truth comes from.
  var groundTruth: String { get }
  /// The solver's iterate after `t` iterations at `θ` (the library solver in fixed-iteration mode).
  func iterate(_ t: Int, at θ: Double) throws -> Vector<Double>
  /// The same `t` iterations as a differentiable function of `θ` (one entry): the unrolled switch.
  @differentiable(reverse,wrt: θ)
  func unrolled(_ θ: Vector<Double>, iterations t: Int) -> Vector<Double>
  /// The implicit-function-theorem Jacobian at `x̂`.
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double>
}

extension JacobianPrecisionProblem {
  func iterate(_ t: Int) throws -> Vector<Double> { try iterate(t, at: θ) }

  /// `∂x̂ₜ/∂θ`: one reverse pass through the unrolled iterations per entry of `x̂ₜ`.
  func unrolledJacobian(_ t: Int) -> Vector<Double> {
    let (x, pullback) = valueWithPullback(at: Vector([θ])) { θ in unrolled(θ, iterations: t) }
    return Vector((0..<x.count).map { pullback(.basis($0, count: x.count)).sum() })
  }
}

// MARK: - Ridge regression, gradient descent

/// `x*(θ) = argmin ½‖Ax − b‖² + ½θ‖x‖²` by gradient descent from 0 with a fixed step `1/L`;
/// exact: `x* = (AᵀA + θI)⁻¹Aᵀb`, `∂x*/∂θ = −(AᵀA + θI)⁻¹x*`.
struct JacobianPrecisionRidge: JacobianPrecisionProblem {
  let objective: RidgeRegression
  let θ: Double
  let solver: GradientDescent
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  let condition: RidgeCondition
  var name: String { "ridge (gradient descent)" }
  var groundTruth: String { "closed form (Cholesky of AᵀA + θI)" }

  init(A: Matrix<Double>, b: Vector<Double>, θ: Double) throws {
    objective = try RidgeRegression(A: A, b: b)
    self.θ = θ
    solver = GradientDescent(stepSize: .fixed(1 / (A.squaredSpectralNorm() + θ)))
    condition = try RidgeCondition(A: A, b: b)
    var gram = A.transposed() * A
    for j in 0..<A.columns { gram[j, j] += θ }
    guard let cholesky = CholeskyFactorization(gram) else {
      throw ImplicitError.invalidArgument("AᵀA + θI is not positive definite")
    }
    let x = Vector(cholesky.solve(A.transposedTimes(b).scalars))
    exact = (x, Vector(cholesky.solve(x.scalars)).scaled(by: -1))
  }

  var start: Vector<Double> { Vector.zeros(objective.A.columns) }

  func iterate(_ t: Int, at θ: Double) throws -> Vector<Double> {
    var fixed = solver
    fixed.mode = .fixedIterations(t)
    return try fixed.solve(objective, Vector([θ]), from: start).solution
  }
  @differentiable(reverse,wrt: θ)
  func unrolled(_ θ: Vector<Double>, iterations t: Int) -> Vector<Double> {
    solver.unrolled(objective, θ, from: start, iterations: t)
  }
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, θ).matrix.scalars)
  }
}

// MARK: - Lasso, proximal gradient (ISTA)

/// `f(x) = ½‖Ax − b‖²` (no parameter of its own: `θ` is the lasso strength, which lives in the prox).
struct JacobianPrecisionLeastSquares: ParametricObjective {
  let A: Matrix<Double>
  let b: Vector<Double>
  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    S(0.5) * (A.times(x) - Vector<S>(converting: b.scalars)).squaredNorm()
  }
}

/// `x*(λ) = argmin ½‖Ax − b‖² + λ‖x‖₁` by proximal gradient (ISTA: `FISTA` without momentum) from
/// 0 with step `1/L`; exact: on the support `S` with signs `s`, `x*_S = (A_SᵀA_S)⁻¹(A_Sᵀb − λs)`,
/// `∂x*_S/∂λ = −(A_SᵀA_S)⁻¹s`, zero elsewhere (the support is read off a long ISTA run and
/// the closed form is checked against the optimality conditions).
struct JacobianPrecisionLasso: JacobianPrecisionProblem {
  let A: Matrix<Double>
  let b: Vector<Double>
  let θ: Double
  let step: Double
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  let condition: ProximalGradientCondition<JacobianPrecisionLeastSquares, LassoProximal>
  /// The smallest `|Aⱼᵀ(b − Ax*)| − λ` off the support and `|x*ⱼ|` on it: strict complementarity.
  let margin: Double
  var name: String { "lasso (proximal gradient)" }
  var groundTruth: String { "closed form on the support (support from 20 000 ISTA iterations, KKT checked)" }
  var λ: Double { θ }

  init(A: Matrix<Double>, b: Vector<Double>, λ: Double) throws {
    self.A = A
    self.b = b
    θ = λ
    step = 1 / A.squaredSpectralNorm()
    condition = try ProximalGradientCondition(
      objective: JacobianPrecisionLeastSquares(A: A, b: b), prox: LassoProximal(), objectiveParameterCount: 0,
      proxParameter: Vector([λ]), stepSize: step)
    // The support and signs from a long run, then the exact solution on that support.
    let long = try FISTA.fixedIterations(20_000, stepSize: step, acceleration: false)
      .solve(condition, Vector([λ]), from: Vector.zeros(A.columns)).solution
    let support = (0..<A.columns).filter { long[$0] != 0 }
    let signs = support.map { long[$0] > 0 ? 1.0 : -1.0 }
    let As = Matrix(A.rowArrays.map { row in support.map { row[$0] } })
    guard let cholesky = CholeskyFactorization(As.transposed() * As) else {
      throw ImplicitError.invalidArgument("A restricted to the lasso support is rank deficient")
    }
    let xs = cholesky.solve(zip(As.transposedTimes(b).scalars, signs).map { $0 - λ * $1 })
    let js = cholesky.solve(signs).map { -$0 }
    var x = Vector<Double>.zeros(A.columns), j = Vector<Double>.zeros(A.columns)
    for (k, i) in support.enumerated() { (x[i], j[i]) = (xs[k], js[k]) }
    // KKT: signs agree on the support, |Aⱼᵀ(b − Ax)| < λ off it.
    let correlation = A.transposedTimes(b - A * x)
    var margin = Double.infinity
    for i in 0..<A.columns {
      if let k = support.firstIndex(of: i) {
        guard x[i] * signs[k] > 0 else {
          throw ImplicitError.invalidArgument("lasso closed form: sign flip on the support")
        }
        margin = min(margin, abs(x[i]))
      } else {
        margin = min(margin, λ - abs(correlation[i]))
      }
    }
    guard margin > 0 else {
      throw ImplicitError.invalidArgument("lasso closed form: KKT conditions violated (margin \(margin))")
    }
    self.margin = margin
    exact = (x, j)
  }

  /// ISTA, `x ← S_{ηλ}(x − ηAᵀ(Ax − b))`, for `t` iterations.
  var solver: (Int) -> FISTA { { FISTA.fixedIterations($0, stepSize: step, acceleration: false) } }

  func iterate(_ t: Int, at λ: Double) throws -> Vector<Double> {
    try solver(t).solve(condition, Vector([λ]), from: Vector.zeros(A.columns)).solution
  }
  @differentiable(reverse,wrt: θ)
  func unrolled(_ θ: Vector<Double>, iterations t: Int) -> Vector<Double> {
    solver(t).unrolled(condition, θ, from: Vector.zeros(A.columns))
  }
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, Vector([λ])).matrix.scalars)
  }
}

// MARK: - Multiclass SVM dual, projected gradient

/// `β*(θ) = argmin_{βᵢ ∈ Δₖ} ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩` by projected gradient (no momentum)
/// from the uniform start with the constant step `1/L` at the base `θ`, differentiated through
/// `ProximalGradientCondition` (a projection as prox); exact: a tight accelerated solve and the
/// implicit Jacobian there (checked against central finite differences of tight re-solves).
struct JacobianPrecisionSVM: JacobianPrecisionProblem {
  let objective: MulticlassSVMDual
  let θ: Double
  let step: Double
  let condition: ProximalGradientCondition<MulticlassSVMDual, ProjectionProximal<RowSimplexProjection>>
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  /// Relative difference between the exact Jacobian and central finite differences.
  let finiteDifferenceCheck: Double
  var name: String { "SVM dual (projected gradient)" }
  var groundTruth: String {
    "tight solve + implicit Jacobian (finite differences of tight re-solves agree to \(sci(finiteDifferenceCheck)))"
  }

  init(X: Matrix<Double>, Y: Matrix<Double>, θ: Double) throws {
    let objective = try MulticlassSVMDual(X: X, Y: Y)
    let squaredNorm = X.squaredSpectralNorm()
    self.objective = objective
    self.θ = θ
    step = θ / squaredNorm
    let condition = try ProximalGradientCondition(
      objective: objective, projection: RowSimplexProjection(columns: Y.columns), objectiveParameterCount: 1,
      projectionParameter: Vector([]), stepSize: step)
    self.condition = condition
    // A tight solve: accelerated projected gradient with restarts.
    func tight(_ θ: Double) throws -> Vector<Double> {
      try FISTA(stepSize: .fixed(θ / squaredNorm), tolerance: 1e-13, maxIterations: 500_000)
        .solve(condition, Vector([θ]), from: objective.uniformStart).converged()
    }
    let solution = try tight(θ)
    let jacobian = Vector(try ImplicitDifferentiator(condition).jacobian(at: solution, Vector([θ])).matrix.scalars)
    let h = 1e-5 * θ
    let fd = (try tight(θ + h) - tight(θ - h)).scaled(by: 1 / (2 * h))
    finiteDifferenceCheck = (fd - jacobian).norm() / jacobian.norm()
    exact = (solution, jacobian)
  }

  /// `t` steps `β ← P(β − η∇f(β, θ))` with the problem's constant step `η`.
  func solver(_ t: Int) -> FISTA { FISTA.fixedIterations(t, stepSize: step, acceleration: false) }

  func iterate(_ t: Int, at θ: Double) throws -> Vector<Double> {
    try solver(t).solve(condition, Vector([θ]), from: objective.uniformStart).solution
  }
  @differentiable(reverse,wrt: θ)
  func unrolled(_ θ: Vector<Double>, iterations t: Int) -> Vector<Double> {
    solver(t).unrolled(condition, θ, from: objective.uniformStart)
  }
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, Vector([θ])).matrix.scalars)
  }
}
