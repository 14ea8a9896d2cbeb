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
    makeInstance: makeInstance, evaluate: evaluate)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  static let parameters = ["X", "y", "theta", "X_val", "y_val"]

  /// A case read and checked: the packed parameters, the training objective and the validation set.
  struct Setup {
    let pack: ParameterPack
    let objective: PackedLogisticObjective
    let validation: LogisticData
    let features: Int
    /// Every strength positive: the objective is strongly convex.
    let stronglyConvex: Bool

    var condition: StationarityCondition<PackedLogisticObjective> {
      StationarityCondition(objective, stronglyConvex: stronglyConvex)
    }
  }

  static func setup(_ c: ReferenceCase) throws -> Setup {
    for name in c.thetaNames where !parameters.contains(name) {
      throw CaseFormatError(file: c.file, field: "theta.\(name)", message: "not a parameter of family \"\(c.family)\"")
    }
    let X = try c.matrix("X")
    let y = try c.vector("y", count: X.rows)
    let validationX = try c.matrix("X_val")
    guard validationX.columns == X.columns else {
      throw CaseFormatError(
        file: c.file, field: "X_val", message: "has \(validationX.columns) columns, X has \(X.columns)")
    }
    let validationY = try c.vector("y_val", count: validationX.rows)
    try checkSignLabels(y, field: "y", c)
    try checkSignLabels(validationY, field: "y_val", c)
    guard X.rows > 0, validationX.rows > 0 else {
      throw CaseFormatError(file: c.file, field: "X", message: "needs at least one training and one validation sample")
    }
    let strength = try c.array("theta")
    guard strength.count == 1 || strength.count == X.columns else {
      throw CaseFormatError(
        file: c.file, field: "theta", message: "expected a scalar or \(X.columns) entries, got \(strength.count)")
    }
    guard strength.values.allSatisfy(\.isFinite) else {
      throw CaseFormatError(file: c.file, field: "theta", message: "contains NaN or infinity")
    }

    let pack = ParameterPack(c)
    let training = LogisticData(features: X, labels: y, featuresName: "X", labelsName: "y", pack: pack)
    let validation = LogisticData(
      features: validationX, labels: validationY, featuresName: "X_val", labelsName: "y_val", pack: pack)
    let objective = PackedLogisticObjective(
      data: training, strength: strength.vector, strengthSlot: PackSlot(pack, "theta"))
    return Setup(
      pack: pack, objective: objective, validation: validation, features: X.columns,
      stronglyConvex: strength.values.allSatisfy { $0 > 0 })
  }

  /// A runnable instance for the conformance kit: the stationarity condition at the packed
  /// parameters, solved by ``NewtonCG`` from 0 to `‖∇f‖ = ‖F(w, θ)‖ ≤ tolerance`.
  @Sendable static func makeInstance(_ c: ReferenceCase) throws -> any RunnableInstance {
    let s = try setup(c)
    let objective = s.objective, start = Vector<Double>.zeros(s.features)
    return Instance(condition: s.condition, parameter: s.pack.packed) { p, tolerance in
      try NewtonCG(tolerance: tolerance).solve(objective, p, from: start).converged()
    }
  }

  @Sendable static func evaluate(_ c: ReferenceCase) throws -> CaseEvaluation {
    let s = try setup(c)
    let pack = s.pack, objective = s.objective, validation = s.validation
    let p = pack.packed

    let start = Vector<Double>.zeros(s.features)
    let scale = max(1, objective.solutionGradient(at: start, p).norm)
    let solve = try NewtonCG(tolerance: 1e-12 * scale).solve(objective, p, from: start)
    var notes = ["solver: \(solve)"]
    let w: Vector<Double>
    if solve.isConverged {
      w = solve.solution
    } else if solve.status != .nonFinite && solve.residual <= 1e-9 * scale {
      // Rounding in very large problems can keep ‖∇f‖ above 1e-12; 1e-9 still gives Jacobians
      // far inside the check's tolerance (error ≈ ‖A⁻¹‖·‖∇f‖), and the note says so.
      w = solve.solution
      notes.append("note: ‖∇f‖ = \(solve.residual) is above the 1e-12 target (accepted up to 1e-9)")
    } else {
      w = try solve.converged()
    }

    let jacobian = try ImplicitDifferentiator(s.condition).jacobian(at: w, p)

    // val_loss and its total derivative (dw/dθ)ᵀ∇_w val + ∂val/∂θ.
    let loss = PackedValidationLoss(data: validation)
    let (value, lossGradientW, lossGradientP) = loss.valueWithGradients(at: w, p)
    var total = jacobian.matrix.transposed().times(lossGradientW)
    total.addScaled(1, lossGradientP)

    return CaseEvaluation(
      outputs: [
        "w": pack.output(NDArray(w), jacobian: jacobian.matrix),
        "val_loss": pack.output(
          NDArray(scalar: value), jacobian: Matrix(rows: 1, columns: p.count, scalars: total.scalars)),
      ],
      notes: notes + ["implicit: \(jacobian.assembly); \(jacobian.diagnostics)"])
  }

  static func checkSignLabels(_ labels: Vector<Double>, field: String, _ c: ReferenceCase) throws {
    if let bad = labels.scalars.first(where: { $0 != 1 && $0 != -1 }) {
      throw CaseFormatError(file: c.file, field: field, message: "label \(bad) is not −1 or +1")
    }
  }
}

/// Where one input sits in the packed parameter vector.
struct PackSlot {
  let offset: Int
  let count: Int

  init?(_ pack: ParameterPack, _ name: String) {
    guard let e = pack.entries.first(where: { $0.name == name }) else { return nil }
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

  init(features: Matrix<Double>, labels: Vector<Double>, featuresName: String, labelsName: String, pack: ParameterPack)
  {
    self.features = features
    self.labels = labels
    featuresSlot = PackSlot(pack, featuresName)
    labelsSlot = PackSlot(pack, labelsName)
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
