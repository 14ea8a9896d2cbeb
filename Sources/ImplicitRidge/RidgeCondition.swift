public import ImplicitCore
import _Differentiation

/// Ridge regression, `x*(θ) = argmin_x ½‖Ax − b‖² + ½θ‖x‖²`, through its stationarity
/// condition `F(x, θ) = Aᵀ(Ax − b) + θx`.
///
/// `A = ∂F/∂x = AᵀA + θI` is symmetric, and positive definite for `θ > 0` (or `A` of full
/// column rank), so CG applies; `B = ∂F/∂θ = x`. Closed form: `∂x*/∂θ = −(AᵀA + θI)⁻¹x*`.
public struct RidgeCondition: OptimalityCondition, Sendable {
  /// The design matrix (`n × p`).
  public let A: Matrix<Double>
  /// The targets (`n`).
  public let b: Vector<Double>

  /// Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` unless `b` has `A.rows`
  /// entries, and ``ImplicitError/nonFinite(what:)`` on NaN or ±∞.
  public init(A: Matrix<Double>, b: Vector<Double>) throws {
    try validateRidgeData(A: A, b: b)
    self.A = A
    self.b = b
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> {
    A.transposedTimes(A * x - b) + θ * x
  }

  public var structure: LinearStructure { .symmetricPositiveDefinite }

  public func validate(_ x: Vector<Double>, _ θ: Double) throws {
    try ImplicitError.checkDimension("x (one entry per column of A)", x.count, expected: A.columns)
  }

  /// `A v = AᵀA v + θv`, in one pass over `A`.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    A.normalTimes(v) + θ * v
  }

  /// `Aᵀu = A u` (A is symmetric), in one pass over `A`.
  public func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Vector<
    Double
  >? {
    A.normalTimes(u) + θ * u
  }

  /// `B t = t·x`.
  public func parameterJacobianProduct(_ t: Double, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? { t * x }

  /// `Bᵀu = ⟨x, u⟩`.
  public func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Double? {
    x.dot(u)
  }

  /// Solves the problem (dense Cholesky of `AᵀA + θI`); throws if that matrix is not SPD.
  public func solve(_ θ: Double) throws -> Vector<Double> {
    try solveRidge(A: A, b: b, penalty: Vector(repeating: θ, count: A.columns))
  }
}

/// Ridge regression with one strength per feature,
/// `x*(θ) = argmin_x ½‖Ax − b‖² + ½Σⱼ θⱼxⱼ²`: `F(x, θ) = Aᵀ(Ax − b) + θ ⊙ x`, `B = diag(x)`.
public struct PerFeatureRidgeCondition: OptimalityCondition, Sendable {
  public let A: Matrix<Double>
  public let b: Vector<Double>

  public init(A: Matrix<Double>, b: Vector<Double>) throws {
    try validateRidgeData(A: A, b: b)
    self.A = A
    self.b = b
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    A.transposedTimes(A * x - b) + θ * x
  }

  public var structure: LinearStructure { .symmetricPositiveDefinite }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("x (one entry per column of A)", x.count, expected: A.columns)
    try ImplicitError.checkDimension("θ (one strength per column of A)", θ.count, expected: A.columns)
  }

  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    A.normalTimes(v) + θ * v
  }

  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    t * x
  }

  /// Solves the problem (dense Cholesky of `AᵀA + diag(θ)`).
  public func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    try ImplicitError.checkDimension("θ (one strength per column of A)", θ.count, expected: A.columns)
    return try solveRidge(A: A, b: b, penalty: θ)
  }
}

func validateRidgeData(A: Matrix<Double>, b: Vector<Double>) throws {
  try ImplicitError.checkDimension("b (one entry per row of A)", b.count, expected: A.rows)
  guard A.isFinite else { throw ImplicitError.nonFinite(what: "A") }
  try ImplicitError.checkFinite("b", b)
}

/// `argmin ½‖Ax − b‖² + ½Σⱼ penaltyⱼ xⱼ²` by a dense Cholesky factorisation of `AᵀA + diag(penalty)`.
func solveRidge(A: Matrix<Double>, b: Vector<Double>, penalty: Vector<Double>) throws -> Vector<Double> {
  try ImplicitError.checkFinite("θ", penalty)
  var gram = A.transposed() * A
  for j in 0..<A.columns { gram[j, j] += penalty[j] }
  guard let cholesky = CholeskyFactorization(gram) else {
    throw ImplicitError.linearSolveFailed(
      LinearSolveSummary(
        method: "dense-cholesky", status: .notPositiveDefinite, iterations: 1, residualNorm: .nan,
        relativeResidual: .nan))
  }
  return Vector(cholesky.solve(A.transposedTimes(b).scalars))
}
