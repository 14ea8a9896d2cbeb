public import ImplicitCore
public import ImplicitSparse
import _Differentiation

/// Ridge-regularised least squares, with one shared strength or one strength per feature:
///
///     f(x, θ) = ½‖Ax − b‖² + ½θ‖x‖²          (θ has one entry)
///     f(x, θ) = ½‖Ax − b‖² + ½Σⱼ θⱼxⱼ²        (θ has one entry per column of A)
///
/// `∇ₓf = Aᵀ(Ax − b) + θ ⊙ x`, `∇²ₓₓf = AᵀA + diag(θ)` (positive definite for `θ > 0`),
/// `∂∇ₓf/∂θ = x` (shared) or `diag(x)` (per feature). Closed form:
/// `∂x*/∂θ = −(AᵀA + diag(θ))⁻¹ x*` (shared) or `−(AᵀA + diag(θ))⁻¹ diag(x*)`.
public struct RidgeRegression: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The design matrix `A` (`m × n`): a dense ``Matrix`` or a ``SparseMatrix``.
  public let A: any DesignMatrix
  /// The targets `b` (`m`).
  public let b: Vector<Double>
  let spectrum: SquaredSpectralNorm

  /// Throws on shape mismatch or non-finite data.
  public init(A: any DesignMatrix, b: Vector<Double>) throws {
    try checkFinite("A", A)
    try ImplicitError.checkFinite("b", b)
    try checkCount("b (one entry per row of A)", b, A.rows)
    self.A = A
    self.b = b
    spectrum = SquaredSpectralNorm(A)
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    halfSquaredResidual(of: A, x, Vector<S>(converting: b.scalars)) + l2Penalty(x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (one entry per column of A)", x, A.columns)
    try validatePenalty(θ, coordinates: A.columns)
  }

  /// `‖A‖₂² + maxⱼ θⱼ`.
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    spectrum.value + largestStrength(θ)
  }
}
