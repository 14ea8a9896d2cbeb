import ImplicitCore
import ImplicitProjections

/// The projection reference families: `p = P(z, θ)` itself, with its Jacobian from the
/// projection's closed-form `jvp` (column by column), except `projection-simplex` method
/// `bisection`, whose threshold is a scalar root differentiated implicitly through the core.
///
/// Their conformance instances pose the projection as an optimisation problem,
/// `p = argmin_{p ∈ C} ½‖p − z‖²`, through its projected-gradient fixed point with step 1,
/// `F(p, θ) = P_C(z, θ_C) − p` (the bisection method: its scalar threshold condition).
enum ProjectionFamilies {
  static let simplex = ConditionFamily(
    name: "projection-simplex",
    formula: "p = argmin_{p ≥ 0, Σp = s} ‖p − z‖² = relu(z − τ);  bisection: F(τ, z) = Σ relu(z − τ) − s",
    assumptions: [
      "s = simplex_value > 0 (default 1)",
      "no ties zᵢ = τ (else the one-sided choice: tied entries are outside the support)",
    ],
    module: "ImplicitProjectedGradient", methods: ["bisection"], acceptsNoMethod: true,
    makeInstance: simplexInstance, evaluate: evaluateSimplex)

  static let l1Ball = ConditionFamily(
    name: "projection-l1-ball",
    formula: "p = argmin_{‖p‖₁ ≤ r} ‖p − z‖² = sign(z) ⊙ P_Δ(|z|, r) outside the ball",
    assumptions: ["r ≥ 0", "on the sphere ‖z‖₁ = r the one-sided choice is \"inside\""],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try radiusProblem(c, L1BallProjection()).problem.instance() },
    evaluate: { c in try evaluateRadius(c, L1BallProjection()) })

  static let l2Ball = ConditionFamily(
    name: "projection-l2-ball",
    formula: "p = argmin_{‖p‖₂ ≤ r} ‖p − z‖² = z·min(1, r/‖z‖)",
    assumptions: ["r ≥ 0", "on the sphere ‖z‖₂ = r the one-sided choice is \"inside\""],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try radiusProblem(c, L2BallProjection()).problem.instance() },
    evaluate: { c in try evaluateRadius(c, L2BallProjection()) })

  static let box = ConditionFamily(
    name: "projection-box",
    formula: "p = clip(z, lower, upper)",
    assumptions: ["lower ≤ upper", "at zᵢ equal to a bound the one-sided choice is \"clipped\""],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try boxProblem(c).problem.instance() },
    evaluate: evaluateBox)

  // MARK: - Problems from cases

  static func inputZ(_ c: ReferenceCase) throws -> Vector<Double> {
    let z = try c.array("z")
    guard z.shape.count == 1 else {
      throw CaseFormatError(file: c.file, field: "z", message: "expected a vector, got shape \(z.shape)")
    }
    return try c.vector("z")
  }

  /// `p = argmin_{p ∈ C(θ_C)} ½‖p − z‖²` as a projected-gradient problem (step 1, one iteration).
  static func projectionProblem<P: Projection>(
    _ c: ReferenceCase, _ projection: P, z: Vector<Double>, _ θ: P.Parameter, slots: [ProjectionParameterSlot]
  ) throws -> ProjectedGradientCase<PackedSquaredDistance, P> {
    try CaseSupport.validated(c, projection, z, θ)
    let pack = ParameterPack(c)
    return try ProjectedGradientCase(
      objective: PackedSquaredDistance(z: z, reader: PackedReader(pack)), projection: projection, pack: pack,
      projectionParameter: θ, slots: slots, start: z, lipschitz: 1)
  }

  static func radiusProblem<P: Projection>(
    _ c: ReferenceCase, _ projection: P
  ) throws -> (z: Vector<Double>, r: Double, problem: ProjectedGradientCase<PackedSquaredDistance, P>)
  where P.Parameter == Double {
    try CaseSupport.requireParameters(c, allowed: ["z", "r"])
    let z = try inputZ(c)
    let r = try c.scalar("r")
    let problem = try projectionProblem(
      c, projection, z: z, r, slots: [ProjectionParameterSlot(name: "r", offset: 0, count: 1)])
    return (z, r, problem)
  }

  static func boxProblem(
    _ c: ReferenceCase
  ) throws -> (
    z: Vector<Double>, bounds: BoxBounds, problem: ProjectedGradientCase<PackedSquaredDistance, BoxProjection>
  ) {
    try CaseSupport.requireParameters(c, allowed: ["z", "lower", "upper"])
    let z = try inputZ(c)
    let n = z.count
    let bounds = BoxBounds(
      lower: try CaseSupport.broadcastVector(c, "lower", count: n),
      upper: try CaseSupport.broadcastVector(c, "upper", count: n))
    let problem = try projectionProblem(
      c, BoxProjection(), z: z, bounds,
      slots: [
        ProjectionParameterSlot(name: "lower", offset: 0, count: n),
        ProjectionParameterSlot(name: "upper", offset: n, count: n),
      ])
    return (z, bounds, problem)
  }

  static func simplexInputs(_ c: ReferenceCase) throws -> (z: Vector<Double>, s: Double) {
    try CaseSupport.requireParameters(c, allowed: ["z", "simplex_value"])
    let z = try inputZ(c)
    let s = c.input("simplex_value") == nil ? 1 : try c.scalar("simplex_value")
    guard s > 0 else {
      throw CaseFormatError(file: c.file, field: "simplex_value", message: "must be positive, got \(s)")
    }
    return (z, s)
  }

  // MARK: - Evaluation

  @Sendable static func evaluateRadius<P: Projection>(_ c: ReferenceCase, _ projection: P) throws -> CaseEvaluation
  where P.Parameter == Double {
    let (z, r, problem) = try radiusProblem(c, projection)
    let output = CaseSupport.projectionOutput(projection, z: z, r, pack: problem.pack, slots: problem.condition.slots)
    return CaseEvaluation(outputs: ["p": output], notes: ["closed-form projection and Jacobian"])
  }

  @Sendable static func evaluateBox(_ c: ReferenceCase) throws -> CaseEvaluation {
    let (z, bounds, problem) = try boxProblem(c)
    let output = CaseSupport.projectionOutput(
      BoxProjection(), z: z, bounds, pack: problem.pack, slots: problem.condition.slots)
    return CaseEvaluation(outputs: ["p": output], notes: ["closed-form projection and Jacobian"])
  }

  @Sendable static func evaluateSimplex(_ c: ReferenceCase) throws -> CaseEvaluation {
    switch c.method {
    case nil:
      let (z, s) = try simplexInputs(c)
      let problem = try projectionProblem(
        c, SimplexProjection(), z: z, s, slots: [ProjectionParameterSlot(name: "simplex_value", offset: 0, count: 1)])
      let output = CaseSupport.projectionOutput(
        SimplexProjection(), z: z, s, pack: problem.pack, slots: problem.condition.slots)
      return CaseEvaluation(outputs: ["p": output], notes: ["sort-based projection, closed-form Jacobian"])
    case "bisection":
      return try evaluateSimplexByBisection(c)
    case let other?:
      throw CaseFormatError(
        file: c.file, field: "method", message: "projection-simplex has no method \"\(other)\" here")
    }
  }

  @Sendable static func simplexInstance(_ c: ReferenceCase) throws -> any RunnableInstance {
    let (z, s) = try simplexInputs(c)
    if c.method == "bisection" {
      let condition = PackedSimplexThresholdCondition(z: z, simplexValue: s, reader: PackedReader(ParameterPack(c)))
      return Instance(condition: condition, parameter: condition.reader.pack.packed) { p, tolerance in
        let (zp, sp) = condition.inputs(p)
        return try SimplexThresholdBisection.solve(zp, simplexValue: sp, tolerance: tolerance).threshold
      }
    }
    return try projectionProblem(
      c, SimplexProjection(), z: z, s, slots: [ProjectionParameterSlot(name: "simplex_value", offset: 0, count: 1)]
    ).instance()
  }

  /// `τ*` by bisection, `∂τ*/∂θ` by the implicit function theorem on
  /// `F(τ, θ) = Σ relu(z(θ) − τ) − s(θ)`, then `p = relu(z − τ*)` and
  /// `∂p/∂θ = diag(𝟙[z > τ*])(∂z/∂θ − 𝟙·∂τ*/∂θ)` by the chain rule.
  static func evaluateSimplexByBisection(_ c: ReferenceCase) throws -> CaseEvaluation {
    let (z, s) = try simplexInputs(c)
    let pack = ParameterPack(c)
    let root: SimplexThresholdBisection.Result
    do {
      root = try SimplexThresholdBisection.solve(z, simplexValue: s)
    } catch let error as ImplicitError {
      throw CaseFormatError(file: c.file, field: "z", message: "\(error)")
    }
    let tau = root.threshold
    let condition = PackedSimplexThresholdCondition(z: z, simplexValue: s, reader: PackedReader(pack))
    let dTau = try ImplicitDifferentiator(condition).jacobian(at: tau, pack.packed)
    let n = z.count, columns = pack.packed.count
    let zEntry = pack.entries.first { $0.name == "z" }
    var jacobian = Matrix<Double>.zeros(rows: n, columns: columns)
    for i in 0..<n where z[i] - tau > 0 {
      for j in 0..<columns {
        let dz = zEntry.map { j == $0.offset + i ? 1.0 : 0.0 } ?? 0
        jacobian[i, j] = dz - dTau.matrix[0, j]
      }
    }
    let p = z.mapScalars { max($0 - tau, 0) }
    return CaseEvaluation(
      outputs: ["p": pack.output(NDArray(p), jacobian: jacobian)],
      notes: [
        "bisection: \(root.iterations) iterations, |F(τ)| = \(root.residual)",
        "implicit: \(dTau.assembly); \(dTau.diagnostics)",
      ])
  }
}
