public import ImplicitCore
import _Differentiation

/// The regularisation `Ω` of a Fenchel–Young loss (Blondel, Martins & Niculae, 2020), a convex
/// function on the probability simplex `Δ`, and the conjugate `Ω*` the loss is computed with.
public enum FenchelYoungRegularizer: Sendable, Hashable {
  /// `Ω(p) = Σⱼ pⱼ log pⱼ` (negative Shannon entropy) on `Δ`; `Ω*(z) = logsumexp(z)`,
  /// `∇Ω* = softmax`. The Fenchel–Young loss is the logistic (softmax cross-entropy) loss minus
  /// the entropy of the target.
  case shannonNegentropy
  /// `Ω(p) = ½‖p‖²` on `Δ`; `Ω*(z) = ⟨z, p*⟩ − ½‖p*‖²` with `p* = sparsemax(z)`,
  /// `∇Ω* = sparsemax`. The Fenchel–Young loss is the sparsemax loss.
  case squaredNorm

  /// `Ω(p)` of a distribution.
  public func value(_ p: [Double]) -> Double {
    switch self {
    case .shannonNegentropy: p.reduce(0) { $0 + ($1 > 0 ? $1 * Double.log($1) : 0) }
    case .squaredNorm: 0.5 * p.reduce(0) { $0 + $1 * $1 }
    }
  }

  /// The Lipschitz constant of `∇Ω*` in the Euclidean norm (`½` for softmax, `1` for sparsemax).
  public var conjugateSmoothness: Double {
    switch self {
    case .shannonNegentropy: 0.5
    case .squaredNorm: 1
    }
  }
}

/// The mean Fenchel–Young loss of score rows `Z` (`n × k`) against target distributions `Y`
/// (`n × k`, rows in the simplex):
///
///     (1/n) Σᵢ [ Ω*(Zᵢ) + Ω(Yᵢ) − ⟨Zᵢ, Yᵢ⟩ ]
///
/// Non-negative, zero exactly when `∇Ω*(Zᵢ) = Yᵢ`; its gradient in `Z` is `(∇Ω*(Z) − Y)/n` row
/// by row. Differentiable in `Z`, with exact second derivatives on dual numbers.
@differentiable(reverse,wrt: scores)
public func fenchelYoungLoss<S: RealScalar>(
  _ scores: Matrix<S>, targets: Matrix<Double>, regularizer: FenchelYoungRegularizer
) -> S {
  let targetTerm = (0..<targets.rows).reduce(0.0) { $0 + regularizer.value(targets.row($1).scalars) }
  let n = S(Double(targets.rows))
  let linear = scores.flattenedVector().dot(Vector<S>(converting: targets.scalars))
  switch regularizer {
  case .shannonNegentropy: return (scores.rowLogSumExp().sum() - linear + S(targetTerm)) / n
  case .squaredNorm: return (rowSparsemaxConjugate(scores).sum() - linear + S(targetTerm)) / n
  }
}

/// A linear model trained with a Fenchel–Young loss and an l2 penalty:
///
///     f(W, θ) = (1/n) Σᵢ L_Ω(zᵢ; yᵢ) + ½θ‖W‖²_F,   zᵢ = xᵢᵀW (+ c),
///     L_Ω(z; y) = Ω*(z) + Ω(y) − ⟨z, y⟩
///
/// with the conjugate `Ω*` of ``FenchelYoungRegularizer`` (`logsumexp` or the sparsemax
/// conjugate). `x` is `W` (`d × k`, flattened row by row), or `[W; cᵀ]` with an unpenalised
/// intercept row last; `θ` has one entry or one per entry of `W`; the targets `Y` are data.
/// `∇ₓf = X̃ᵀ(∇Ω*(Z) − Y)/n + θ ⊙ W`, `∇²ₓₓf = Σᵢ x̃ᵢx̃ᵢᵀ ⊗ ∇²Ω*(zᵢ)/n + θI` (`∇²Ω*` is
/// `diag(p) − ppᵀ` for softmax and `diag(s) − ssᵀ/|S|` for sparsemax, `s` the support).
public struct FenchelYoungLoss: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// `Ω`.
  public let regularizer: FenchelYoungRegularizer
  /// The features `X` (`n × d`).
  public let features: Matrix<Double>
  /// The targets `Y` (`n × k`), one distribution per row.
  public let targets: Matrix<Double>
  /// Whether `x` ends with an intercept row.
  public let fitsIntercept: Bool
  /// `X̃`.
  let design: Matrix<Double>
  let spectrum: SquaredSpectralNorm

  /// Throws on shape mismatch, non-finite data, or target rows that are not distributions.
  public init(
    features: Matrix<Double>, targets: Matrix<Double>, regularizer: FenchelYoungRegularizer,
    fitIntercept: Bool = false
  ) throws {
    try checkFinite("features X", features)
    try ImplicitError.checkDimension("targets Y (one row per row of X)", targets.rows, expected: features.rows)
    guard targets.columns >= 2 else {
      throw ImplicitError.invalidArgument("need at least 2 classes, got \(targets.columns)")
    }
    try validateDistributions("targets Y", targets)
    self.regularizer = regularizer
    self.features = features
    self.targets = targets
    fitsIntercept = fitIntercept
    design = fitIntercept ? appendingOnesColumn(features) : features
    spectrum = SquaredSpectralNorm(design)
  }

  /// Hard labels `0..<classes` (given as reals) as one-hot targets.
  public init(
    features: Matrix<Double>, labels: Vector<Double>, classes: Int, regularizer: FenchelYoungRegularizer,
    fitIntercept: Bool = false
  ) throws {
    try checkCount("labels (one per row of X)", labels, features.rows)
    try self.init(
      features: features, targets: oneHotTargets(labels, classes: classes), regularizer: regularizer,
      fitIntercept: fitIntercept)
  }

  /// The number of classes `k`.
  public var classes: Int { targets.columns }
  /// Number of penalised weights `d·k`.
  public var penalisedCount: Int { features.columns * classes }
  /// Dimension of `x`.
  public var solutionDimension: Int { design.columns * classes }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let loss = fenchelYoungLoss(
      linearScores(x, design: design, classes: classes), targets: targets, regularizer: regularizer)
    if fitsIntercept { return loss + l2Penalty(x.slice(from: 0, count: penalisedCount), θ) }
    return loss + l2Penalty(x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (the flattened weights)", x, solutionDimension)
    try validatePenalty(θ, coordinates: penalisedCount)
  }

  /// `L(∇Ω*)·‖X̃‖₂²/n + max θ`.
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    regularizer.conjugateSmoothness * spectrum.value / Double(max(features.rows, 1)) + largestStrength(θ)
  }
}
