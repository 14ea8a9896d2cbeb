public import ImplicitCore
import _Differentiation

/// l2-regularised multiclass logistic regression (JAXopt's `l2_multiclass_logreg`), hard labels,
/// with or without an (unpenalised) intercept:
///
///     f(W, θ) = (1/n) Σᵢ [ logsumexp(zᵢ) − zᵢ,yᵢ ] + ½θ‖W‖²_F,   zᵢ = xᵢᵀW (+ c)
///
/// `x` is `W` (`d × k`, flattened row by row), or `[W; cᵀ]` with an intercept (the intercept row
/// last). `θ` has one entry (`½θ‖W‖²`) or one per entry of `W` (`½Σ θⱼₖWⱼₖ²`).
/// `∇ₓf = X̃ᵀ(P − Y)/n + θ ⊙ W` with `P` the row-wise softmax of the scores and `Y` the one-hot
/// labels; `∂∇ₓf/∂θ = W` (shared strength). Without intercept and with `θ > 0` the Hessian is
/// positive definite. With an intercept it is singular along `c ↦ c + t·1` (adding the same
/// number to every class's intercept changes nothing): fix one class's intercept, or ridge the
/// implicit linear solve.
public struct L2MulticlassLogisticRegression: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The unregularised loss, with the labels' one-hot targets.
  public let crossEntropy: SoftmaxCrossEntropy
  /// The one-hot labels, flattened (`n × k`).
  public let targets: Vector<Double>

  /// `labels` are integers `0..<classes` given as reals. Throws on bad labels or data.
  public init(features: Matrix<Double>, labels: Vector<Double>, classes: Int, fitIntercept: Bool = false) throws {
    crossEntropy = try SoftmaxCrossEntropy(features: features, classes: classes, fitIntercept: fitIntercept)
    targets = try crossEntropy.oneHotTargets(labels)
  }

  /// Number of penalised weights `d·k`.
  public var penalisedCount: Int { crossEntropy.features.columns * crossEntropy.classes }
  /// Dimension of `x`.
  public var solutionDimension: Int { crossEntropy.solutionDimension }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let loss = linearSoftmaxCrossEntropy(
      x, Vector<S>(converting: targets.scalars), design: crossEntropy.design, classes: crossEntropy.classes)
    if crossEntropy.fitsIntercept { return loss + l2Penalty(x.slice(from: 0, count: penalisedCount), θ) }
    return loss + l2Penalty(x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (the flattened weights)", x, solutionDimension)
    try validatePenalty(θ, coordinates: penalisedCount)
  }

  /// `‖X̃‖₂²/(2n) + max θ`.
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    crossEntropy.gradientLipschitzConstant(targets) + largestStrength(θ)
  }
}
