import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjectedGradient
import ImplicitProjections
import ImplicitProximal
import ImplicitRidge
import _Differentiation

/// A problem `x*(θ)` with a scalar parameter, an iterative solver, and three ways to get
/// `∂x/∂θ` at the solver's `t`-th iterate `x̂ₜ`:
/// - implicit: the optimality condition's Jacobian formula evaluated at `x̂ₜ` (as if it were `x*`);
/// - unrolled: the exact derivative of `x̂ₜ(θ)`, i.e. of the `t` iterations themselves;
/// - exact: `∂x*/∂θ` from a closed form or a very tight solve.
protocol JacobianPrecisionProblem {
  var name: String { get }
  /// `x*` and `∂x*/∂θ`.
  var exact: (solution: Vector<Double>, jacobian: Vector<Double>) { get }
  /// Where the ground truth comes from.
  var groundTruth: String { get }
  /// The solver's iterate after `t` iterations.
  func iterate(_ t: Int) throws -> Vector<Double>
  /// `∂x̂ₜ/∂θ`: differentiation through the `t` iterations (forward mode on dual numbers).
  func unrolledJacobian(_ t: Int) throws -> Vector<Double>
  /// The implicit-function-theorem Jacobian at `x̂`.
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double>
  /// `vᵀ ∂x̂ₜ/∂θ` by Swift's reverse-mode AD through the iterations, to confirm that the dual-number
  /// unrolling computes the same derivative.
  func reverseModeUnrolled(_ t: Int, cotangent v: Vector<Double>) -> Double
}

// MARK: - Ridge regression, gradient descent

/// `x*(θ) = argmin ½‖Ax − b‖² + ½θ‖x‖²` by gradient descent from 0 with a fixed step `1/L`;
/// exact: `x* = (AᵀA + θI)⁻¹Aᵀb`, `∂x*/∂θ = −(AᵀA + θI)⁻¹x*`.
struct JacobianPrecisionRidge: JacobianPrecisionProblem {
  let A: Matrix<Double>
  let b: Vector<Double>
  let θ: Double
  let step: Double
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  let condition: RidgeCondition
  var name: String { "ridge (gradient descent)" }
  var groundTruth: String { "closed form (Cholesky of AᵀA + θI)" }

  init(A: Matrix<Double>, b: Vector<Double>, θ: Double) throws {
    self.A = A
    self.b = b
    self.θ = θ
    step = 1 / (A.squaredSpectralNorm() + θ)
    condition = try RidgeCondition(A: A, b: b)
    var gram = A.transposed() * A
    for j in 0..<A.columns { gram[j, j] += θ }
    guard let cholesky = CholeskyFactorization(gram) else {
      throw ImplicitError.invalidArgument("AᵀA + θI is not positive definite")
    }
    let x = Vector(cholesky.solve(A.transposedTimes(b).scalars))
    exact = (x, Vector(cholesky.solve(x.scalars)).scaled(by: -1))
  }

  /// `t` steps `x ← x − η(Aᵀ(Ax − b) + θx)`, written once for `Double` and dual numbers.
  @differentiable(reverse,wrt: θ)
  func gradientDescent<S: RealScalar>(_ θ: S, iterations t: Int) -> Vector<S> {
    var x = Vector<S>.zeros(A.columns)
    let target = Vector<S>(converting: b.scalars)
    let η = S(step)
    for _ in 0..<t { x = x - η * (A.transposedTimes(A.times(x) - target) + θ * x) }
    return x
  }

  func iterate(_ t: Int) -> Vector<Double> { gradientDescent(θ, iterations: t) }
  func unrolledJacobian(_ t: Int) -> Vector<Double> {
    gradientDescent(Dual(θ, derivative: 1), iterations: t).derivatives
  }
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, θ).matrix.scalars)
  }
  func reverseModeUnrolled(_ t: Int, cotangent v: Vector<Double>) -> Double {
    pullback(at: θ) { θ in gradientDescent(θ, iterations: t) }(v)
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

/// `x*(λ) = argmin ½‖Ax − b‖² + λ‖x‖₁` by proximal gradient (ISTA) from 0 with step `1/L`;
/// exact: on the support `S` with signs `s`, `x*_S = (A_SᵀA_S)⁻¹(A_Sᵀb − λs)`,
/// `∂x*_S/∂λ = −(A_SᵀA_S)⁻¹s`, zero elsewhere (the support is read off a long ISTA run and
/// the closed form is checked against the optimality conditions).
struct JacobianPrecisionLasso: JacobianPrecisionProblem {
  let A: Matrix<Double>
  let b: Vector<Double>
  let λ: Double
  let step: Double
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  let condition: ProximalGradientCondition<JacobianPrecisionLeastSquares, LassoProximal>
  /// The smallest `|Aⱼᵀ(b − Ax*)| − λ` off the support and `|x*ⱼ|` on it: strict complementarity.
  let margin: Double
  var name: String { "lasso (proximal gradient)" }
  var groundTruth: String { "closed form on the support (support from 20 000 ISTA iterations, KKT checked)" }

  init(A: Matrix<Double>, b: Vector<Double>, λ: Double) throws {
    self.A = A
    self.b = b
    self.λ = λ
    step = 1 / A.squaredSpectralNorm()
    condition = try ProximalGradientCondition(
      objective: JacobianPrecisionLeastSquares(A: A, b: b), prox: LassoProximal(), objectiveParameterCount: 0,
      proxParameter: Vector([λ]), stepSize: step)
    // The support and signs from a long run, then the exact solution on that support.
    let long: Vector<Double> = JacobianPrecisionLasso.proximalGradient(A, b, λ, step: step, iterations: 20_000)
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

  /// `t` steps `x ← S_{ηλ}(x − ηAᵀ(Ax − b))` with soft thresholding `S_τ(z) = sign(z)·max(|z| − τ, 0)`.
  @differentiable(reverse,wrt: λ)
  static func proximalGradient<S: RealScalar>(
    _ A: Matrix<Double>, _ b: Vector<Double>, _ λ: S, step: Double, iterations t: Int
  ) -> Vector<S> {
    var x = Vector<S>.zeros(A.columns)
    let target = Vector<S>(converting: b.scalars)
    let η = S(step)
    for _ in 0..<t {
      let z = x - η * A.transposedTimes(A.times(x) - target)
      x = z.sign() * (z.abs() - η * λ).relu()
    }
    return x
  }

  func iterate(_ t: Int) -> Vector<Double> {
    JacobianPrecisionLasso.proximalGradient(A, b, λ, step: step, iterations: t)
  }
  func unrolledJacobian(_ t: Int) -> Vector<Double> {
    JacobianPrecisionLasso.proximalGradient(A, b, Dual(λ, derivative: 1), step: step, iterations: t).derivatives
  }
  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, Vector([λ])).matrix.scalars)
  }
  func reverseModeUnrolled(_ t: Int, cotangent v: Vector<Double>) -> Double {
    let (A, b, step) = (self.A, self.b, self.step)
    return pullback(at: λ) { λ in JacobianPrecisionLasso.proximalGradient(A, b, λ, step: step, iterations: t) }(v)
  }
}

// MARK: - Multiclass SVM dual, projected gradient

/// `β*(θ) = argmin_{βᵢ ∈ Δₖ} ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩` by projected gradient (no momentum)
/// from the uniform start with step `1/L`, differentiated through `ProximalGradientCondition` (a projection as prox);
/// exact: a tight accelerated solve and the implicit Jacobian there (checked against central
/// finite differences of tight re-solves).
struct JacobianPrecisionSVM: JacobianPrecisionProblem {
  let objective: MulticlassSVMDual
  let θ: Double
  let step: Double
  let gram: Matrix<Double>
  let condition: ProximalGradientCondition<MulticlassSVMDual, ProjectionProximal<RowSimplexProjection>>
  let exact: (solution: Vector<Double>, jacobian: Vector<Double>)
  /// Relative difference between the exact Jacobian and central finite differences.
  let finiteDifferenceCheck: Double
  var name: String { "SVM dual (projected gradient)" }
  var groundTruth: String {
    "tight solve + implicit Jacobian (finite differences of tight re-solves agree to \(sci(finiteDifferenceCheck)))"
  }
  var rows: Int { objective.samples }
  var classes: Int { objective.classes }
  var projection: RowSimplexProjection { RowSimplexProjection(columns: objective.classes) }

  init(X: Matrix<Double>, Y: Matrix<Double>, θ: Double) throws {
    let objective = try MulticlassSVMDual(X: X, Y: Y)
    let gram = X * X.transposed()
    let squaredNorm = X.squaredSpectralNorm()
    self.objective = objective
    self.gram = gram
    self.θ = θ
    step = θ / squaredNorm
    condition = try ProximalGradientCondition(
      objective: objective, projection: RowSimplexProjection(columns: Y.columns), objectiveParameterCount: 1,
      projectionParameter: Vector([]), stepSize: step)
    // A tight solve: accelerated projected gradient with restarts.
    func tight(_ θ: Double) throws -> Vector<Double> {
      let projection = RowSimplexProjection(columns: Y.columns)
      let solver = FISTA(stepSize: .fixed(θ / squaredNorm), tolerance: 1e-13, maxIterations: 500_000)
      return try solver.solve(
        from: objective.uniformStart, gradient: { JacobianPrecisionSVM.gradient(gram, Y, $0, θ) },
        prox: { z, _ in projection.project(z, Vector([])) }
      ).converged()
    }
    let solution = try tight(θ)
    let jacobian = Vector(try ImplicitDifferentiator(condition).jacobian(at: solution, Vector([θ])).matrix.scalars)
    let h = 1e-5 * θ
    let fd = (try tight(θ + h) - tight(θ - h)).scaled(by: 1 / (2 * h))
    finiteDifferenceCheck = (fd - jacobian).norm() / jacobian.norm()
    exact = (solution, jacobian)
  }

  /// `∇_β f = (1/θ)K(β − Y) + Y − 1` with `K = XXᵀ`.
  static func gradient(_ gram: Matrix<Double>, _ Y: Matrix<Double>, _ beta: Vector<Double>, _ θ: Double) -> Vector<
    Double
  > {
    let B = Matrix(reshaping: beta, rows: Y.rows, columns: Y.columns)
    return ((1 / θ) * (gram * (B - Y)) + Y - Matrix(repeating: 1, rows: Y.rows, columns: Y.columns)).flattenedVector()
  }

  func iterate(_ t: Int) -> Vector<Double> { run(t, at: θ).beta }
  func unrolledJacobian(_ t: Int) -> Vector<Double> { run(t, at: θ).derivative }

  /// `t` steps `β ← P(β − η∇f(β, θ))` (the step `η` is the problem's, a constant), carrying the
  /// tangent `dβ/dθ` along (forward mode by hand: `dz = dβ − η((1/θ)K dβ − (1/θ²)K(β − Y))`,
  /// `dβ⁺ = ∂P(z)·dz` from the projection's JVP).
  func run(_ t: Int, at θ: Double) -> (beta: Vector<Double>, derivative: Vector<Double>) {
    let Y = objective.Y
    var beta = objective.uniformStart
    var tangent = Vector<Double>.zeros(beta.count)
    for _ in 0..<t {
      let B = Matrix(reshaping: beta, rows: rows, columns: classes)
      let dB = Matrix(reshaping: tangent, rows: rows, columns: classes)
      let z = beta - step * JacobianPrecisionSVM.gradient(gram, Y, beta, θ)
      let dGradient = ((1 / θ) * (gram * dB) - (1 / (θ * θ)) * (gram * (B - Y))).flattenedVector()
      let dz = tangent - step * dGradient
      beta = projection.project(z, Vector([]))
      tangent = projection.jvp(at: z, Vector([]), dz, Vector([]))
    }
    return (beta, tangent)
  }

  func implicitJacobian(at x: Vector<Double>) throws -> Vector<Double> {
    Vector(try ImplicitDifferentiator(condition).jacobian(at: x, Vector([θ])).matrix.scalars)
  }

  /// The same iterations with differentiable matrix operations and the projection's
  /// hand-written derivative, under Swift's reverse mode.
  func reverseModeUnrolled(_ t: Int, cotangent v: Vector<Double>) -> Double {
    let (gram, Y, step, projection, n, k) = (self.gram, objective.Y, self.step, self.projection, rows, classes)
    let ones = Matrix<Double>(repeating: 1, rows: n, columns: k)
    let start = objective.uniformStart
    @differentiable(reverse)
    func unrolled(_ θ: Double) -> Vector<Double> {
      var beta = start
      for _ in 0..<t {
        let B = beta.reshaped(rows: n, columns: k)
        let g = ((1 / θ) * (gram * (B - Y)) + Y - ones).flattenedVector()
        beta = projection(beta - step * g, Vector([]))
      }
      return beta
    }
    return pullback(at: θ, of: unrolled)(v)
  }
}
