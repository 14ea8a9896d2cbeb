public import ImplicitCore
import ImplicitObjectives
import _Differentiation

/// The `logistic-regression-l2` family of reference cases:
///
///     w*(θ) = argmin_w (1/n) Σᵢ log(1 + exp(−yᵢxᵢᵀw)) + ½Σⱼ θⱼwⱼ²     (labels ±1)
///     val_loss(θ) = (1/m) Σᵢ log(1 + exp(−y_val,ᵢ x_val,ᵢᵀ w*(θ)))
///
/// solved by ``NewtonCG`` to `‖∇f‖ ≤ 10⁻¹²·max(1, ‖∇f(0)‖)` (accepted down to `10⁻⁹` with a note
/// when rounding prevents more) and differentiated through the stationarity condition
/// `∇_w f(w, θ) = 0` with exact second derivatives (dense solve). Any of `X`, `y`, `theta`,
/// `X_val`, `y_val` may be differentiated (listed under `theta` in a case); `theta` is one
/// shared strength or one per feature. `d val_loss = (∂w*/∂θ)ᵀ∇_w val + ∂val/∂θ` (the direct
/// term is non-zero only for `X_val`, `y_val`).
public enum LogisticRegressionFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "logistic-regression-l2",
    formula: "F(w, θ) = ∇_w [mean log(1 + exp(−y·Xw)) + ½Σθⱼwⱼ²]   (stationarity)",
    assumptions: [
      "labels y and y_val are −1 or +1",
      "theta is a scalar or has one entry per column of X; the Hessian XᵀDX/n + diag(θ) is positive definite (θ > 0)",
      "the training data are not separable along unpenalised directions (else no minimiser)",
    ],
    module: "ImplicitStationarity",
    makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  static let parameters = ["X", "y", "theta", "X_val", "y_val"]

  /// The stationarity condition of the training objective at the packed parameters, solved by
  /// ``NewtonCG`` from 0 (to `‖∇f‖ = ‖F(w, θ)‖ ≤ tolerance` for the conformance kit; to
  /// `10⁻¹²·max(1, ‖∇f(0)‖)` for the reference solve); outputs `w` and `val_loss`.
  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    for name in c.thetaNames where !parameters.contains(name) {
      throw c.formatError(field: "theta.\(name)", message: "not a parameter of family \"\(c.family)\"")
    }
    let X = try c.matrix("X")
    let y = try c.vector("y", count: X.rows)
    let validationX = try c.matrix("X_val")
    guard validationX.columns == X.columns else {
      throw c.formatError(field: "X_val", message: "has \(validationX.columns) columns, X has \(X.columns)")
    }
    let validationY = try c.vector("y_val", count: validationX.rows)
    try checkSignLabels(y, field: "y", c)
    try checkSignLabels(validationY, field: "y_val", c)
    guard X.rows > 0, validationX.rows > 0 else {
      throw c.formatError(field: "X", message: "needs at least one training and one validation sample")
    }
    let strength = try c.array("theta")
    guard strength.values.count == 1 || strength.values.count == X.columns else {
      throw c.formatError(
        field: "theta", message: "expected a scalar or \(X.columns) entries, got \(strength.values.count)")
    }
    guard strength.values.allSatisfy(\.isFinite) else {
      throw c.formatError(field: "theta", message: "contains NaN or infinity")
    }

    let layout = try ParameterLayout(c)
    let training = LogisticData(features: X, labels: y, featuresName: "X", labelsName: "y", layout: layout)
    let validation = LogisticData(
      features: validationX, labels: validationY, featuresName: "X_val", labelsName: "y_val", layout: layout)
    let objective = PackedLogisticObjective(
      data: training, strength: Vector(strength.values), strengthSlot: PackSlot(layout, "theta"))
    let condition = StationarityCondition(objective, stronglyConvex: strength.values.allSatisfy { $0 > 0 })
    let p = layout.packed
    let start = Vector<Double>.zeros(X.columns)
    return Instance(
      condition: condition, parameter: p,
      reference: {
        let scale = max(1, objective.solutionGradient(at: start, p).norm)
        let solve = NewtonCG(tolerance: 1e-12 * scale).minimize(objective, from: start, p)
        guard !solve.isConverged else { return (solve.solution, ["solver: \(solve)"]) }
        // Rounding in very large problems can keep ‖∇f‖ above 1e-12; 1e-9 still gives Jacobians
        // far inside the check's tolerance (error ≈ ‖A⁻¹‖·‖∇f‖), and the note says so.
        var relaxed = solve
        relaxed.tolerance = 1e-9 * scale
        return (
          try relaxed.converged(),
          [
            "solver: \(solve)",
            "note: ‖∇f‖ = \(solve.gradientNorm) is above the 1e-12 target (accepted up to 1e-9)",
          ]
        )
      },
      outputs: { w in
        // val_loss(w, θ): its derivative along (ẇ, θ̇) is ⟨∇_w val, ẇ⟩ + ⟨∇_θ val, θ̇⟩.
        let (value, gradientW, gradientP) = PackedValidationLoss(data: validation).valueWithGradients(at: w, p)
        return [
          .solution("w", w),
          InstanceOutput(name: "val_loss", value: [value]) { dw, dp in [gradientW.dot(dw) + gradientP.dot(dp)] },
        ]
      }
    ) { θ, tolerance in try NewtonCG(tolerance: tolerance).minimize(objective, from: start, θ).converged() }
  }

  static func checkSignLabels(_ labels: Vector<Double>, field: String, _ c: any CaseData) throws {
    if let bad = labels.scalars.first(where: { $0 != 1 && $0 != -1 }) {
      throw c.formatError(field: field, message: "label \(bad) is not −1 or +1")
    }
  }
}

/// Where one input sits in the packed parameter vector.
struct PackSlot {
  let offset: Int
  let count: Int

  init?(_ layout: ParameterLayout, _ name: String) {
    guard let e = layout.entry(name) else { return nil }
    offset = e.offset
    count = e.count
  }

  /// This input from the packed vector `p`.
  @differentiable(reverse,wrt: p)
  func read<S: RealScalar>(_ p: Vector<S>) -> Vector<S> { p.slice(from: offset, count: count) }
}

/// Labelled samples `(X, y)` whose features and labels may each be constants or read from the
/// packed parameter vector.
struct LogisticData {
  let features: Matrix<Double>
  let labels: Vector<Double>
  let featuresSlot: PackSlot?
  let labelsSlot: PackSlot?
  /// `−diag(y)·X`, for the common case where neither is differentiated.
  let negatedSignedFeatures: Matrix<Double>

  init(
    features: Matrix<Double>, labels: Vector<Double>, featuresName: String, labelsName: String, layout: ParameterLayout
  ) {
    self.features = features
    self.labels = labels
    featuresSlot = PackSlot(layout, featuresName)
    labelsSlot = PackSlot(layout, labelsName)
    var m = features
    for i in 0..<m.rows {
      for j in 0..<m.columns { m.scalars[i * m.columns + j] *= -labels[i] }
    }
    negatedSignedFeatures = m
  }

  /// `−yᵢ xᵢᵀw` for every sample.
  @differentiable(reverse,wrt: (w, p))
  func negatedMargins<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> Vector<S> {
    if featuresSlot == nil && labelsSlot == nil { return negatedSignedFeatures.times(w) }
    return -(signs(p) * scores(w, p))
  }

  /// `Xw`.
  @differentiable(reverse,wrt: (w, p))
  func scores<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> Vector<S> {
    guard let slot = featuresSlot else { return features.times(w) }
    return slot.read(p).reshaped(rows: features.rows, columns: features.columns) * w
  }

  /// `y`.
  @differentiable(reverse,wrt: p)
  func signs<S: RealScalar>(_ p: Vector<S>) -> Vector<S> {
    guard let slot = labelsSlot else { return Vector<S>(converting: labels.scalars) }
    return slot.read(p)
  }

  /// `(1/n) Σᵢ log(1 + exp(−yᵢxᵢᵀw))`.
  @differentiable(reverse,wrt: (w, p))
  func meanLogisticLoss<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> S {
    negatedMargins(w, p).softplus().mean()
  }
}

/// The training objective `f(w, p)` with every differentiated input read from `p`.
struct PackedLogisticObjective: ParametricObjective {
  let data: LogisticData
  let strength: Vector<Double>
  let strengthSlot: PackSlot?

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> S {
    data.meanLogisticLoss(w, p) + l2Penalty(w, penalty(p))
  }

  @differentiable(reverse,wrt: p)
  func penalty<S: RealScalar>(_ p: Vector<S>) -> Vector<S> {
    guard let slot = strengthSlot else { return Vector<S>(converting: strength.scalars) }
    return slot.read(p)
  }
}

/// The validation loss `val(w, p)`, as an objective so that both its gradients come at once.
struct PackedValidationLoss: ParametricObjective {
  let data: LogisticData

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> S { data.meanLogisticLoss(w, p) }
}
