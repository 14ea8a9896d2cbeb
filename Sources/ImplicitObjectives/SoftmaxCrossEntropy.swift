public import ImplicitCore
import _Differentiation

/// Multiclass logistic regression (softmax cross-entropy) of a linear model, with the target
/// distributions as the parameter, with or without an intercept:
///
///     f(W, Θ) = (1/n) Σᵢ [ logsumexp(zᵢ) − ⟨Θᵢ, zᵢ⟩ ],   zᵢ = xᵢᵀW (+ c)
///
/// `W` is `d × k` (`k` classes), flattened row by row into `x`; with an intercept `x` holds the
/// `(d + 1) × k` matrix `[W; cᵀ]` (the intercept row last). `Θ` (`n × k`, flattened row by row)
/// holds one target distribution per sample: one-hot rows are hard labels (see
/// ``oneHotTargets(_:)``), other rows soft labels. With `X̃ = [X 1]` or `X`, `Z = X̃W̃`,
/// `P = softmax(Z)` row-wise: `∇ₓf = X̃ᵀ(P − Θ)/n`, `∂∇ₓf/∂Θ = −(X̃ᵀ ⊗ I)/n`.
///
/// Unregularised, `f` is invariant under `W ↦ W + v1ᵀ` (adding the same number to every class
/// score), so its Hessian is singular and its minimiser not unique: use it as a loss, or add
/// a penalty (``L2MulticlassLogisticRegression``) before differentiating a minimiser.
public struct SoftmaxCrossEntropy: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The features `X` (`n × d`).
  public let features: Matrix<Double>
  /// The number of classes `k`.
  public let classes: Int
  /// Whether `x` ends with an intercept row.
  public let fitsIntercept: Bool
  /// `X̃`: the features, with a column of ones when fitting an intercept.
  let design: Matrix<Double>
  let spectrum: SquaredSpectralNorm
  /// The row-wise softmax of the scores at the last point a second-order product was taken at.
  let softmaxCache = PointCache()

  /// Throws on non-finite features or fewer than two classes.
  public init(features: Matrix<Double>, classes: Int, fitIntercept: Bool = false) throws {
    try checkFinite("features X", features)
    guard classes >= 2 else { throw ImplicitError.invalidArgument("need at least 2 classes, got \(classes)") }
    self.features = features
    self.classes = classes
    fitsIntercept = fitIntercept
    design = fitIntercept ? appendingOnesColumn(features) : features
    spectrum = SquaredSpectralNorm(design)
  }

  /// Dimension of `x`: `d·k`, or `(d + 1)·k` with an intercept.
  public var solutionDimension: Int { design.columns * classes }

  /// The targets `Θ` for integer labels `0..<k` (given as reals): one-hot rows, flattened.
  public func oneHotTargets(_ labels: Vector<Double>) throws -> Vector<Double> {
    try checkCount("labels (one per row of X)", labels, features.rows)
    return try ImplicitObjectives.oneHotTargets(labels, classes: classes).flattenedVector()
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    linearSoftmaxCrossEntropy(x, θ, design: design, classes: classes)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (the flattened \(design.columns)×\(classes) weights)", x, solutionDimension)
    try checkCount("θ (the flattened \(features.rows)×\(classes) targets)", θ, features.rows * classes)
    try ImplicitError.checkFinite("θ", θ)
  }

  /// `‖X̃‖₂²/(2n)` (the Hessian of `logsumexp` is at most `½I`).
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    spectrum.value / (2 * Double(max(features.rows, 1)))
  }
}

/// Scores `X̃·W̃` of a linear model whose weights `x` are the flattened `design.columns × classes`
/// matrix.
@differentiable(reverse,wrt: x)
func linearScores<S: RealScalar>(_ x: Vector<S>, design: Matrix<Double>, classes: Int) -> Matrix<S> {
  design.times(x.reshaped(rows: design.columns, columns: classes))
}

/// `(1/n) Σᵢ [logsumexp(Zᵢ) − ⟨Θᵢ, Zᵢ⟩]` for scores `Z` (`n × k`) and flattened targets `Θ`.
@differentiable(reverse)
func meanSoftmaxCrossEntropy<S: RealScalar>(logits: Matrix<S>, targets: Vector<S>) -> S {
  (logits.rowLogSumExp().sum() - logits.flattenedVector().dot(targets)) / S(Double(withoutDerivative(at: logits).rows))
}
