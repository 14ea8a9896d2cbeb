public import ImplicitCore
public import ImplicitSparse
import _Differentiation

/// Binary logistic regression (labels `yᵢ ∈ {−1, +1}`) with an l2 penalty on the coefficients,
/// one shared strength or one per feature, with or without an (unpenalised) intercept `c`:
///
///     f(w, θ) = (1/n) Σᵢ log(1 + exp(−yᵢ(xᵢᵀw + c))) + ½Σⱼ θⱼwⱼ²
///
/// `x = w` (`d` entries) without intercept, `x = (w, c)` (`d + 1` entries) with one; `θ` has one
/// entry (`½θ‖w‖²`) or `d`. With `sᵢ = σ(yᵢ(xᵢᵀw + c))`:
/// `∇ₓf = −X̃ᵀ(y ⊙ (1 − s))/n + θ ⊙ w`, `∇²ₓₓf = X̃ᵀ diag(s ⊙ (1 − s)) X̃/n + diag(θ, 0)`,
/// `∂∇ₓf/∂θ = diag(w)` (per feature), where `X̃ = [X 1]` with an intercept and `X` without.
/// Without intercept and with `θ > 0` the Hessian is positive definite, and the closed form is
/// `∂w*/∂θ = −H⁻¹ diag(w*)`.
public struct BinaryLogisticRegression: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The features `X` (`n × d`): a dense ``Matrix`` or a ``SparseMatrix``.
  public let features: any DesignMatrix
  /// The labels, each −1 or +1.
  public let labels: Vector<Double>
  /// Whether `x` ends with an intercept.
  public let fitsIntercept: Bool
  /// `−diag(y)·X̃`: margins are `−(this)·x`, so one product per evaluation.
  let negatedSignedDesign: any DesignMatrix
  let spectrum: SquaredSpectralNorm
  /// The curvature weights `σ(1 − σ)/n` at the last point a second-order product was taken at.
  let curvature = PointCache()

  /// Throws on shape mismatch, non-finite data or a label that is not ±1.
  public init(features: any DesignMatrix, labels: Vector<Double>, fitIntercept: Bool = false) throws {
    if let sparse = features as? SparseMatrix {
      try checkFinite("features X", sparse)
      try checkCount("labels y (one per row of X)", labels, sparse.rows)
      try validateSignLabels(labels)
      negatedSignedDesign = sparse.negatedSignedRows(labels, appendingOnes: fitIntercept)
    } else if let dense = features as? Matrix<Double> {
      negatedSignedDesign = try negatedSigned(fitIntercept ? appendingOnesColumn(dense) : dense, labels)
    } else {
      throw ImplicitError.invalidArgument("features must be a Matrix<Double> or a SparseMatrix")
    }
    self.features = features
    self.labels = labels
    fitsIntercept = fitIntercept
    spectrum = SquaredSpectralNorm(negatedSignedDesign)
  }

  /// Number of features `d`.
  public var featureCount: Int { features.columns }
  /// Dimension of `x`: `d`, or `d + 1` with an intercept.
  public var solutionDimension: Int { features.columns + (fitsIntercept ? 1 : 0) }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let loss = meanSoftplusOfProduct(of: negatedSignedDesign, x)
    if fitsIntercept { return loss + l2Penalty(x.slice(from: 0, count: features.columns), θ) }
    return loss + l2Penalty(x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (coefficients\(fitsIntercept ? " and intercept" : ""))", x, solutionDimension)
    try validatePenalty(θ, coordinates: features.columns)
  }

  /// `‖X̃‖₂²/(4n) + maxⱼ θⱼ` (the logistic curvature `s(1 − s)` is at most ¼).
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    spectrum.value / (4 * Double(max(features.rows, 1))) + largestStrength(θ)
  }
}
