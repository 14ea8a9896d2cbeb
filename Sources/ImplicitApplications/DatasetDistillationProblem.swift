import ImplicitCore
import _Differentiation

/// The inner problem of dataset distillation: l2-regularised multiclass logistic regression
/// trained on `k` prototype images (prototype `c` has label `c`), as a function of both the
/// weights `W` (`d × k`, the unknown `x`) and the prototypes `P` (`k × d`, the parameter `θ`):
///
///     f(W, P) = (1/k) Σ_c [ logsumexp(p_cᵀW) − p_cᵀw_c ] + ½λ‖W‖²
///
/// It is written once, generically over the scalar, so the library can take exact second
/// derivatives (Hessian products in `W`, mixed products in `P`) by reverse mode over dual
/// numbers. With `λ > 0` it is strongly convex in `W`: `W*(P)` is unique and the Hessian is
/// positive definite, which lets the implicit solve use conjugate gradient.
struct PrototypeLogisticRegression: ParametricObjective {
  /// Number of classes `k` (= number of prototypes).
  let classes: Int
  /// Pixels per image `d`.
  let pixels: Int
  /// The l2 strength `λ`.
  let l2Strength: Double
  /// The prototypes' one-hot labels, flattened: the `k × k` identity.
  let targets: [Double]

  init(classes: Int, pixels: Int, l2Strength: Double) {
    self.classes = classes
    self.pixels = pixels
    self.l2Strength = l2Strength
    targets = (0..<(classes * classes)).map { $0 / classes == $0 % classes ? 1 : 0 }
  }

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> S {
    let prototypes = Matrix<S>(reshaping: p, rows: classes, columns: pixels)
    let weights = Matrix<S>(reshaping: w, rows: pixels, columns: classes)
    let scores = prototypes * weights
    let crossEntropy =
      (scores.rowLogSumExp().sum() - scores.flattenedVector().dot(Vector<S>(converting: targets)))
      / S(Double(classes))
    return crossEntropy + S(0.5 * l2Strength) * w.squaredNorm()
  }
}

/// A linear softmax classifier's loss and accuracy on a fixed labelled set: the outer objective
/// (mean cross-entropy on the real training digits) and the test metric.
struct LinearSoftmaxEvaluation {
  /// Features, one row per sample (`n × d`).
  let features: Matrix<Double>
  /// Integer labels.
  let labels: [Int]
  /// One-hot labels, flattened (`n × k`).
  let targets: Vector<Double>
  /// Number of classes `k`.
  let classes: Int

  init(_ data: LabeledDataset) {
    features = data.features
    labels = data.labels
    targets = data.oneHotLabels.flattenedVector()
    classes = data.classCount
  }

  /// Mean cross-entropy `(1/n) Σᵢ [logsumexp(xᵢᵀW) − xᵢᵀw_yᵢ]` of the weights `W` (flattened
  /// `d × k`), differentiable in `W`.
  @differentiable(reverse)
  func loss(_ w: Vector<Double>) -> Double {
    let scores = features * Matrix(reshaping: w, rows: features.columns, columns: classes)
    return (scores.rowLogSumExp().sum() - scores.flattenedVector().dot(targets)) / Double(features.rows)
  }

  /// The fraction of samples whose highest score is their label's.
  func accuracy(_ w: Vector<Double>) -> Double {
    let scores = features * Matrix(reshaping: w, rows: features.columns, columns: classes)
    var correct = 0
    for i in 0..<features.rows {
      let row = scores.scalars[(i * classes)..<((i + 1) * classes)]
      if let best = row.indices.max(by: { row[$0] < row[$1] }), best - i * classes == labels[i] { correct += 1 }
    }
    return Double(correct) / Double(max(features.rows, 1))
  }
}
