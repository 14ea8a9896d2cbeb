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

  /// Solves the problem by a dense Cholesky factorisation of the smaller Gram system (`AᵀA + θI`,
  /// or the dual `AAᵀ/θ + I` for a wide `A`); throws if it is not SPD.
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

  /// Solves the problem (dense Cholesky of `AᵀA + diag(θ)`, or of the dual system for a wide `A`).
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

/// `argmin ½‖Ax − b‖² + ½Σⱼ penaltyⱼ xⱼ²` (`A` is `n × p`) by a dense Cholesky factorisation of
/// the smaller Gram matrix, never forming `AᵀA` for a wide `A`:
/// - `p ≤ n`: the normal equations `(AᵀA + D)x = Aᵀb` (`p × p`);
/// - `p > n` and every penalty positive: the dual system `(AD⁻¹Aᵀ + I)y = b` (`n × n`), then
///   `x = D⁻¹Aᵀy` (Woodbury: `(AᵀA + D)D⁻¹Aᵀ = Aᵀ(AD⁻¹Aᵀ + I)`);
/// - `p > n` with a zero penalty: `AᵀA + D` may be singular, which only a factorisation of it
///   tells: the normal equations up to ``maximumDenseNormalColumns`` columns (a singular matrix
///   throws), else an ``ImplicitError/invalidArgument(_:)`` asking for positive strengths.
func solveRidge(A: Matrix<Double>, b: Vector<Double>, penalty: Vector<Double>) throws -> Vector<Double> {
  try ImplicitError.checkFinite("θ", penalty)
  let n = A.rows, p = A.columns
  if p <= n || (p <= maximumDenseNormalColumns && !penalty.scalars.allSatisfy({ $0 > 0 })) {
    var gram = A.transposed() * A
    for j in 0..<p { gram[j, j] += penalty[j] }
    guard let cholesky = CholeskyFactorization(gram) else { throw notPositiveDefinite("dense-cholesky") }
    return Vector(cholesky.solve(A.transposedTimes(b).scalars))
  }
  if penalty.scalars.allSatisfy({ $0 > 0 }) {
    // K = A D⁻¹ Aᵀ + I from the rows of A D^{-1/2}.
    let root = penalty.scalars.map { 1 / $0.squareRoot() }
    var scaled = A.scalars
    for i in 0..<n { for j in 0..<p { scaled[i * p + j] *= root[j] } }
    var k = Matrix<Double>.zeros(rows: n, columns: n)
    scaled.withUnsafeBufferPointer { a in
      k.scalars.withUnsafeMutableBufferPointer { Kernels.gram(a.baseAddress!, n, p, $0.baseAddress!) }
    }
    for i in 0..<n { k[i, i] += 1 }
    guard let cholesky = CholeskyFactorization(k) else { throw notPositiveDefinite("dense-cholesky (dual)") }
    let y = Vector(cholesky.solve(b.scalars))
    let aty = A.transposedTimes(y)
    return Vector((0..<p).map { aty[$0] / penalty[$0] })
  }
  throw ImplicitError.invalidArgument(
    "ridge with \(p) columns and \(n) rows needs every strength θⱼ > 0 (AᵀA + diag(θ) is singular or too large "
      + "to factorise densely above \(maximumDenseNormalColumns) columns)")
}

/// The most columns for which a wide ridge problem with a zero strength is factorised densely
/// (`AᵀA + diag(θ)`, `p × p`).
let maximumDenseNormalColumns = 4096

func notPositiveDefinite(_ method: String) -> ImplicitError {
  .linearSolveFailed(
    LinearSolveSummary(
      method: method, status: .notPositiveDefinite, iterations: 1, residualNorm: .nan, relativeResidual: .nan))
}
