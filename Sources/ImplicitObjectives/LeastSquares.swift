public import ImplicitCore
public import ImplicitSparse
import _Differentiation

/// Least squares with the targets as the parameter:
///
///     f(x, θ) = ½‖Ax − θ‖²          (θ = b, the targets; A is data)
///
/// `∇ₓf = Aᵀ(Ax − θ)`, `∇²ₓₓf = AᵀA`, `∂∇ₓf/∂θ = −Aᵀ`. With `A` of full column rank the
/// minimiser is `x*(θ) = (AᵀA)⁻¹Aᵀθ`, so `∂x*/∂θ = (AᵀA)⁻¹Aᵀ` (the pseudo-inverse).
///
/// Why `θ = b`: it is the one input in which the problem stays a least-squares problem and
/// whose derivative has a closed form; a regularisation strength is ``RidgeRegression``'s `θ`.
public struct LeastSquares: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The design matrix `A` (`m × n`): a dense ``Matrix`` or a ``SparseMatrix``.
  public let A: any DesignMatrix
  let spectrum: SquaredSpectralNorm

  /// Throws ``ImplicitError/nonFinite(what:)`` if `A` has NaN or ±∞.
  public init(A: any DesignMatrix) throws {
    try checkFinite("A", A)
    self.A = A
    spectrum = SquaredSpectralNorm(A)
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    halfSquaredResidual(of: A, x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (one entry per column of A)", x, A.columns)
    try checkCount("θ = b (one entry per row of A)", θ, A.rows)
    // Non-finite targets: the closed-form products never touch θ, so nothing downstream would see them.
    try ImplicitError.checkFinite("θ = b", θ)
  }

  /// `‖A‖₂²`.
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double { spectrum.value }
}
