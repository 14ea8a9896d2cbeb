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

  /// The stationarity condition of the training objective on all its inputs, reparametrised by
  /// the case's packed parameters (``Reparametrized``, ``InputSelection``), solved by
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
    let objective = LogisticTrainingObjective(
      loss: LogisticLossOnInputs(samples: X.rows, features: X.columns), strengths: strength.values.count)
    let condition = Reparametrized(
      StationarityCondition(objective, stronglyConvex: strength.values.allSatisfy { $0 > 0 }),
      map: try InputSelection(c, layout: layout, concatenating: ["X", "y", "theta"]))
    let validation = LogisticLossOnInputs(samples: validationX.rows, features: validationX.columns)
    let validationInputs = try InputSelection(c, layout: layout, concatenating: ["X_val", "y_val"])
    let p = layout.packed
    let start = Vector<Double>.zeros(X.columns)
    return Instance(
      condition: condition, parameter: p,
      reference: {
        let θ = condition.map(p)
        let scale = max(1, objective.solutionGradient(at: start, θ).norm)
        let solve = try NewtonCG(tolerance: 1e-12 * scale).solve(objective, θ, from: start)
        if solve.isConverged { return (solve.solution, ["solver: \(solve)"]) }
        guard solve.status != .nonFinite && solve.residual <= 1e-9 * scale else { return (try solve.converged(), []) }
        // Rounding in very large problems can keep ‖∇f‖ above 1e-12; 1e-9 still gives Jacobians
        // far inside the check's tolerance (error ≈ ‖A⁻¹‖·‖∇f‖), and the note says so.
        return (
          solve.solution,
          [
            "solver: \(solve)",
            "note: ‖∇f‖ = \(solve.residual) is above the 1e-12 target (accepted up to 1e-9)",
          ]
        )
      },
      outputs: { w in
        // val_loss(w, M_val(p)): its derivative along (ẇ, ṗ) is ⟨∇_w val, ẇ⟩ + ⟨∇_θ val, M_val′ṗ⟩.
        let θ = validationInputs(p)
        let (value, gradientW, gradientθ) = validation.valueWithGradients(at: w, θ)
        return [
          .solution("w", w),
          InstanceOutput(name: "val_loss", value: [value], shape: []) { dw, dp in
            [gradientW.dot(dw) + gradientθ.dot(validationInputs.forwardProduct(dp, at: p)!)]
          },
        ]
      }
    ) { p, tolerance in
      try NewtonCG(tolerance: tolerance).solve(objective, condition.map(p), from: start).converged()
    }
  }

  static func checkSignLabels(_ labels: Vector<Double>, field: String, _ c: any CaseData) throws {
    if let bad = labels.scalars.first(where: { $0 != 1 && $0 != -1 }) {
      throw c.formatError(field: field, message: "label \(bad) is not −1 or +1")
    }
  }
}

/// The mean logistic loss on all its inputs, `θ = [vec X; y]` (labels ±1):
/// `(1/n) Σᵢ log(1 + exp(−yᵢxᵢᵀw))`. Also the validation loss, on `[vec X_val; y_val]`.
struct LogisticLossOnInputs: ParametricObjective {
  let samples: Int
  let features: Int

  /// The number of entries of `θ`.
  var parameterCount: Int { samples * features + samples }

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ θ: Vector<S>) -> S {
    let X = θ.slice(from: 0, count: samples * features).reshaped(rows: samples, columns: features)
    let y = θ.slice(from: samples * features, count: samples)
    return (-(y * (X * w))).softplus().mean()
  }
}

/// The training objective on all its inputs, `θ = [vec X; y; strength]`:
/// `(1/n) Σᵢ log(1 + exp(−yᵢxᵢᵀw)) + ½Σⱼ θⱼwⱼ²` (one strength, or one per feature).
struct LogisticTrainingObjective: ParametricObjective {
  let loss: LogisticLossOnInputs
  let strengths: Int

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ θ: Vector<S>) -> S {
    let k = loss.parameterCount
    return loss(w, θ.slice(from: 0, count: k)) + l2Penalty(w, θ.slice(from: k, count: strengths))
  }
}
