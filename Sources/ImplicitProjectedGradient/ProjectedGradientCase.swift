import ImplicitCore
import ImplicitGradientStep
import ImplicitProjections
import ImplicitProximal

/// One reference-case problem `min_{x ∈ C(θ_C(p))} f(x, p)` over the case's packed parameters
/// `p`: its condition (``ProximalGradientCondition`` with ``ProjectionProximal``, reparametrised by `p`, step `1/L`), its solver and the
/// runnable instance the conformance kit uses.
///
/// Solving: accelerated projected gradient (``FISTA`` with the projection as prox: adaptive
/// restart, backtracking from `1/L`) to a moderate tolerance, then a semismooth Newton polish on
/// the condition itself (`x ← x − A⁻¹F(x)` with the exact dense `A = ∂F/∂x`, kept only while
/// `‖F‖` halves; exact in one step for quadratic objectives once the active set is right), then
/// the solver again to the tight tolerance, which the references (solved to ~1e-14) need.
struct ProjectedGradientCase<Objective: ParametricObjective, SetProjection: Projection> {
  /// The final gradient-mapping tolerance, relative to `max(1, ‖∇f(x₀)‖)`.
  static var relativeTolerance: Double { 1e-14 }
  /// The tolerance of the first, cheaper solve that locates the active set.
  static var roughRelativeTolerance: Double { 1e-6 }
  /// Accepted (with a note) when rounding keeps the solver above ``relativeTolerance``: the
  /// active set is settled long before, and the Jacobian error is of this order.
  static var acceptableRelativeTolerance: Double { 1e-9 }
  static var maxIterations: Int { 50_000 }
  /// Largest dimension for the dense Newton polish.
  static var polishDimensionLimit: Int { 1000 }

  /// `F(x, M(p))`: the projected-gradient condition on all the inputs, `θ = [θ_f; θ_C]`,
  /// reparametrised by the case's packed parameters `p`.
  let condition: Reparametrized<ProximalGradientCondition<Objective, ProjectionProximal<SetProjection>>, InputSelection>
  let start: Vector<Double>
  /// `p` at the case's values.
  let packed: Vector<Double>
  var base: ProximalGradientCondition<Objective, ProjectionProximal<SetProjection>> { condition.base }
  var stepSize: Double { base.stepSize }

  /// `θ_f` holds the objective's inputs `objectiveSlots` (offsets in `θ_f`), `θ_C` the
  /// projection's `projectionSlots` (offsets in `θ_C`); `lipschitz` estimates the Lipschitz
  /// constant `L` of `∇ₓf`, and the condition uses `η = 1/L`.
  init(
    objective: Objective, objectiveParameter θf: Vector<Double>, objectiveSlots: [InputSelection.Slot],
    projection: SetProjection, projectionParameter θC: SetProjection.Parameter,
    projectionSlots: [InputSelection.Slot] = [], layout: ParameterLayout, start: Vector<Double>, lipschitz: Double
  ) throws {
    guard lipschitz.isFinite else { throw ImplicitError.nonFinite(what: "the Lipschitz constant of the gradient") }
    let base = try ProximalGradientCondition(
      objective: objective, projection: projection, objectiveParameterCount: θf.count, projectionParameter: θC,
      stepSize: lipschitz > 0 ? 1 / lipschitz : 1)
    let shifted = projectionSlots.map {
      InputSelection.Slot(name: $0.name, offset: θf.count + $0.offset, count: $0.count)
    }
    let map = try InputSelection(
      layout: layout, base: base.packParameters(objective: θf, prox: θC), slots: objectiveSlots + shifted)
    condition = Reparametrized(base, map: map)
    packed = layout.packed
    self.start = start
  }

  var objective: Objective { base.objective }
  var projection: SetProjection { base.prox.projection }

  /// `(θ_f, θ_C)` at packed parameters `p`.
  func parameters(_ p: Vector<Double>) -> (objective: Vector<Double>, prox: SetProjection.Parameter) {
    base.splitParameters(condition.map(p))
  }

  /// Runs the solver at packed parameters `p` from `x0` (default: the case's start) towards a
  /// gradient mapping `‖P(x − η∇f) − x‖/η ≤ tolerance`; the result carries its status.
  func run(_ p: Vector<Double>, tolerance: Double, from x0: Vector<Double>? = nil) throws -> SolverResult<
    Vector<Double>
  > {
    let solver = FISTA(
      stepSize: .backtracking(initial: stepSize, shrinkFactor: 0.5), tolerance: tolerance,
      maxIterations: Self.maxIterations, adaptiveRestart: true)
    let (θf, θC) = parameters(p)
    let x0 = x0 ?? start
    try projection.validate(x0, θC)
    // Objectives with a direct gradient skip reverse mode in the inner loop.
    if let direct = objective as? any DirectGradientObjective {
      return try solver.solve(
        from: x0, value: { direct.directValue(at: $0, θf) }, gradient: { direct.directGradient(at: $0, θf) },
        prox: { z, _ in projection.project(z, θC) })
    }
    return try solver.solve(base, condition.map(p), from: x0)
  }

  /// As ``run(_:tolerance:from:)``, throwing unless it converged.
  func solve(_ p: Vector<Double>, tolerance: Double) throws -> Vector<Double> {
    try run(p, tolerance: tolerance).converged()
  }

  /// Semismooth Newton steps on `F(·, p) = 0` from `x`, each followed by one projected-gradient
  /// step (back onto the set); kept while `‖F‖` at least halves.
  func polish(_ x: Vector<Double>, _ p: Vector<Double>, floor: Double) -> (x: Vector<Double>, steps: Int) {
    guard x.count <= Self.polishDimensionLimit else { return (x, 0) }
    let (θf, θC) = parameters(p)
    let eta = stepSize
    var x = x, residual = condition(x, p).norm(), steps = 0
    for _ in 0..<10 where residual > floor {
      guard let lin = try? ConditionLinearization(condition, at: x, p),
        let lu = LUFactorization(lin.materializedA()), !lu.isSingular
      else { break }
      let newton = x + Vector(lu.solve(lin.residual.scaled(by: -1).scalars))
      let candidate = projection.project(newton - eta * objective.gradient(at: newton, θf), θC)
      let candidateResidual = condition(candidate, p).norm()
      guard candidate.isFinite, candidateResidual <= 0.5 * residual else { break }
      (x, residual, steps) = (candidate, candidateResidual, steps + 1)
    }
    return (x, steps)
  }

  /// The reference solve at the case's parameters: to the tight tolerance, with notes.
  func referenceSolution(_ c: any CaseData) throws -> (solution: Vector<Double>, notes: [String]) {
    let p = packed
    let (θf, θC) = parameters(p)
    try CaseSupport.validated(c, projection, start, θC)
    let scale = max(1, objective.gradient(at: start, θf).norm())
    let rough = try run(p, tolerance: Self.roughRelativeTolerance * scale)
    _ = try rough.converged()
    let (polished, newtonSteps) = polish(rough.solution, p, floor: Self.relativeTolerance * scale * stepSize)
    let result = try run(p, tolerance: Self.relativeTolerance * scale, from: polished)
    var notes = [
      "solver: accelerated projected gradient, \(rough.iterations) iterations to \(rough.residual), \(newtonSteps) "
        + "semismooth Newton steps, then \(result.iterations) iterations; gradient mapping \(result.residual)"
    ]
    if result.status != .converged {
      guard result.status == .maxIterationsReached, result.residual <= Self.acceptableRelativeTolerance * scale else {
        throw ImplicitError.solverDidNotConverge(
          solver: "accelerated projected gradient (\(result.status))", iterations: result.iterations,
          residual: result.residual)
      }
      notes.append(
        "solver: target \(Self.relativeTolerance * scale) not reached (rounding floor); accepted at \(result.residual) ≤ \(Self.acceptableRelativeTolerance * scale)"
      )
    }
    return (result.solution, notes)
  }

  /// The runnable instance: the condition at the case's pack, solved to `‖F‖ ≲ tolerance` by
  /// the solver alone (no polish, so that looser tolerances give larger residuals); the
  /// reference solve is ``referenceSolution(_:)`` unless `reference` replaces it (a closed form).
  func instance(
    _ c: any CaseData, reference: (() throws -> (solution: Vector<Double>, notes: [String]))? = nil,
    outputs: @escaping (Vector<Double>) -> [InstanceOutput<Vector<Double>, Vector<Double>>]
  ) -> any RunnableInstance {
    let problem = self
    return Instance(
      condition: condition, parameter: packed, reference: reference ?? { try problem.referenceSolution(c) },
      outputs: outputs
    ) { p, tolerance in try problem.solve(p, tolerance: tolerance / problem.stepSize) }
  }
}
