public import ImplicitCore
import _Differentiation

/// The (linear) hinge loss of a linear classifier with an l2 penalty (labels `yᵢ ∈ {−1, +1}`):
///
///     f(w, θ) = (1/n) Σᵢ max(0, 1 − yᵢxᵢᵀw) + ½θ‖w‖²     (or ½Σⱼ θⱼwⱼ²)
///
/// Not differentiable where a margin `yᵢxᵢᵀw` equals 1; automatic differentiation returns the
/// subgradient that takes slope 0 there. Its minimiser usually sits on such kinks, where
/// `∇ₓf = 0` does *not* hold: it is not a stationarity objective. Differentiate its minimiser
/// through the dual (a box-constrained QP) or use ``SquaredHingeLoss``, which is C¹.
public struct HingeLoss: ShapeCheckedObjective, Sendable {
  /// The features `X` (`n × d`).
  public let features: Matrix<Double>
  /// The labels, each −1 or +1.
  public let labels: Vector<Double>
  /// `−diag(y)·X`.
  let negatedSignedFeatures: Matrix<Double>

  /// Throws on shape mismatch, non-finite data or a label that is not ±1.
  public init(features: Matrix<Double>, labels: Vector<Double>) throws {
    negatedSignedFeatures = try negatedSigned(features, labels)
    self.features = features
    self.labels = labels
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ θ: Vector<S>) -> S {
    (negatedSignedFeatures.times(w) + S(1)).relu().mean() + l2Penalty(w, θ)
  }

  public func validate(_ w: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("w (one entry per feature)", w, features.columns)
    try validatePenalty(θ, coordinates: features.columns)
  }
}

/// The squared hinge loss of a linear classifier with an l2 penalty (labels `yᵢ ∈ {−1, +1}`):
///
///     f(w, θ) = (1/n) Σᵢ max(0, 1 − yᵢxᵢᵀw)² + ½θ‖w‖²     (or ½Σⱼ θⱼwⱼ²)
///
/// C¹ with a piecewise-constant Hessian `2XᵀDX/n + diag(θ)`, `D` the indicator of the margins
/// below 1 (exact except at margins exactly 1). `θ > 0` makes it strongly convex, so its
/// minimiser is a root of `∇ₓf` and stationarity applies.
public struct SquaredHingeLoss: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The features `X` (`n × d`).
  public let features: Matrix<Double>
  /// The labels, each −1 or +1.
  public let labels: Vector<Double>
  /// `−diag(y)·X`.
  let negatedSignedFeatures: Matrix<Double>
  let spectrum: SquaredSpectralNorm

  /// Throws on shape mismatch, non-finite data or a label that is not ±1.
  public init(features: Matrix<Double>, labels: Vector<Double>) throws {
    negatedSignedFeatures = try negatedSigned(features, labels)
    self.features = features
    self.labels = labels
    spectrum = SquaredSpectralNorm(negatedSignedFeatures)
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ θ: Vector<S>) -> S {
    (negatedSignedFeatures.times(w) + S(1)).relu().squaredNorm() / S(Double(features.rows)) + l2Penalty(w, θ)
  }

  public func validate(_ w: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("w (one entry per feature)", w, features.columns)
    try validatePenalty(θ, coordinates: features.columns)
  }

  /// `2‖X‖₂²/n + maxⱼ θⱼ`.
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    2 * spectrum.value / Double(max(features.rows, 1)) + largestStrength(θ)
  }
}

/// `−diag(y)·X`, after checking the data.
func negatedSigned(_ features: Matrix<Double>, _ labels: Vector<Double>) throws -> Matrix<Double> {
  try checkFinite("features X", features)
  try checkCount("labels y (one per row of X)", labels, features.rows)
  try validateSignLabels(labels)
  var m = features
  for i in 0..<m.rows {
    for j in 0..<m.columns { m.scalars[i * m.columns + j] *= -labels[i] }
  }
  return m
}
