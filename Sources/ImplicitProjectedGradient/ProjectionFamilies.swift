import ImplicitCore
import ImplicitProjections

/// The projection reference families: `p = P(z, θ)` itself. Each poses the projection as an
/// optimisation problem, `p = argmin_{p ∈ C} ½‖p − z‖²`, through its projected-gradient fixed
/// point with step 1, `F(p, θ) = P_C(z, θ_C) − p` (so `A = −I` and `∂p/∂θ = B`, the
/// projection's closed-form derivative); the reference solve is the closed-form projection.
/// `projection-simplex` method `bisection` instead differentiates its scalar threshold
/// implicitly and reports `p = relu(z − τ*)` as an output map of `(τ, θ)`.
enum ProjectionFamilies {
  static let simplex = ConditionFamily(
    name: "projection-simplex",
    formula: "p = argmin_{p ≥ 0, Σp = s} ‖p − z‖² = relu(z − τ);  bisection: F(τ, z) = Σ relu(z − τ) − s",
    assumptions: [
      "s = simplex_value > 0 (default 1)",
      "no ties zᵢ = τ (else the one-sided choice: tied entries are outside the support)",
    ],
    module: "ImplicitProjectedGradient", methods: ["bisection"], acceptsNoMethod: true,
    makeInstance: simplexInstance)

  static let l1Ball = ConditionFamily(
    name: "projection-l1-ball",
    formula: "p = argmin_{‖p‖₁ ≤ r} ‖p − z‖² = sign(z) ⊙ P_Δ(|z|, r) outside the ball",
    assumptions: ["r ≥ 0", "on the sphere ‖z‖₁ = r the one-sided choice is \"inside\""],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try radiusInstance(c, L1BallProjection()) })

  static let l2Ball = ConditionFamily(
    name: "projection-l2-ball",
    formula: "p = argmin_{‖p‖₂ ≤ r} ‖p − z‖² = z·min(1, r/‖z‖)",
    assumptions: ["r ≥ 0", "on the sphere ‖z‖₂ = r the one-sided choice is \"inside\""],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try radiusInstance(c, L2BallProjection()) })

  static let box = ConditionFamily(
    name: "projection-box",
    formula: "p = clip(z, lower, upper)",
    assumptions: ["lower ≤ upper", "at zᵢ equal to a bound the one-sided choice is \"clipped\""],
    module: "ImplicitProjectedGradient",
    makeInstance: boxInstance)

  // MARK: - Problems from cases

  static func inputZ(_ c: any CaseData) throws -> Vector<Double> {
    let z = try c.array("z")
    guard z.shape.count == 1 else {
      throw c.formatError(field: "z", message: "expected a vector, got shape \(z.shape)")
    }
    return try c.vector("z")
  }

  /// `p = argmin_{p ∈ C(θ_C)} ½‖p − z‖²` as a projected-gradient problem (step 1), whose
  /// reference solve is the closed-form projection.
  static func projectionInstance<P: Projection>(
    _ c: any CaseData, _ projection: P, z: Vector<Double>, _ θ: P.Parameter, slots: [InputSelection.Slot],
    note: String = "closed-form projection"
  ) throws -> any RunnableInstance {
    try CaseSupport.validated(c, projection, z, θ)
    let problem = try ProjectedGradientCase(
      objective: SquaredDistance(), objectiveParameter: z,
      objectiveSlots: [InputSelection.Slot(name: "z", offset: 0, count: z.count)], projection: projection,
      projectionParameter: θ, projectionSlots: slots, layout: try ParameterLayout(c), start: z, lipschitz: 1)
    return problem.instance(c, reference: { (projection.project(z, θ), [note]) }) { [.solution("p", $0)] }
  }

  @Sendable static func radiusInstance<P: Projection>(
    _ c: any CaseData, _ projection: P
  ) throws -> any RunnableInstance where P.Parameter == Double {
    try c.requireParameters(["z", "r"])
    let z = try inputZ(c)
    let r = try c.scalar("r")
    return try projectionInstance(c, projection, z: z, r, slots: [InputSelection.Slot(name: "r", offset: 0, count: 1)])
  }

  @Sendable static func boxInstance(_ c: any CaseData) throws -> any RunnableInstance {
    try c.requireParameters(["z", "lower", "upper"])
    let z = try inputZ(c)
    let n = z.count
    let bounds = BoxBounds(
      lower: try CaseSupport.broadcastVector(c, "lower", count: n),
      upper: try CaseSupport.broadcastVector(c, "upper", count: n))
    return try projectionInstance(
      c, BoxProjection(), z: z, bounds,
      slots: [
        InputSelection.Slot(name: "lower", offset: 0, count: n),
        InputSelection.Slot(name: "upper", offset: n, count: n),
      ])
  }

  static func simplexInputs(_ c: any CaseData) throws -> (z: Vector<Double>, s: Double) {
    try c.requireParameters(["z", "simplex_value"])
    let z = try inputZ(c)
    let s = c.input("simplex_value") == nil ? 1 : try c.scalar("simplex_value")
    guard s > 0 else { throw c.formatError(field: "simplex_value", message: "must be positive, got \(s)") }
    return (z, s)
  }

  @Sendable static func simplexInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let (z, s) = try simplexInputs(c)
    switch c.method {
    case nil:
      return try projectionInstance(
        c, SimplexProjection(), z: z, s, slots: [InputSelection.Slot(name: "simplex_value", offset: 0, count: 1)],
        note: "sort-based projection")
    case "bisection":
      return try bisectionInstance(c, z: z, s: s)
    case let other?:
      throw c.formatError(field: "method", message: "projection-simplex has no method \"\(other)\" here")
    }
  }

  /// `τ*` by bisection, `∂τ*/∂θ` by the implicit function theorem on
  /// `F(τ, θ) = Σ relu(z(θ) − τ) − s(θ)` (``SimplexThresholdOnInputs`` reparametrised by the
  /// case's pack), and the output `p = relu(z − τ)`, whose derivative along `(τ̇, θ̇)` is
  /// `𝟙[z > τ]⊙(ż − τ̇)`.
  static func bisectionInstance(_ c: any CaseData, z: Vector<Double>, s: Double) throws -> any RunnableInstance {
    let layout = try ParameterLayout(c)
    let base = SimplexThresholdOnInputs()
    let condition = Reparametrized(
      base,
      map: try InputSelection(
        c, layout: layout, concatenating: ["z", "simplex_value"], defaults: ["simplex_value": [s]]))
    let zSlots = layout.entry("z")
    return Instance(
      condition: condition, parameter: layout.packed,
      reference: {
        let root: SimplexThresholdBisection.Result
        do {
          root = try SimplexThresholdBisection.solve(z, simplexValue: s)
        } catch let error as ImplicitError {
          throw c.formatError(field: "z", message: "\(error)")
        }
        return (root.threshold, ["bisection: \(root.iterations) iterations, |F(τ)| = \(root.residual)"])
      },
      outputs: { tau in
        [
          InstanceOutput(name: "p", value: z.scalars.map { max($0 - tau, 0) }) { dTau, dθ in
            (0..<z.count).map { i in
              guard z[i] - tau > 0 else { return 0 }
              return (zSlots.map { dθ[$0.offset + i] } ?? 0) - dTau
            }
          }
        ]
      }
    ) { p, tolerance in
      let (zp, sp) = base.inputs(condition.map(p))
      return try SimplexThresholdBisection.solve(zp, simplexValue: sp, tolerance: tolerance).threshold
    }
  }
}
