import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing

/// Diagnostics at approximate solutions `x̂ = x* + δ·d`: the residual and the Jacobian-error
/// estimate grow with δ, and the actual error of the ridge Jacobian stays below a generous
/// multiple of the estimate.
@Suite("Ridge diagnostics at approximate solutions")
struct RidgeDiagnosticsTests {
  let problem = RidgeProblem.random(rows: 10, columns: 5, seed: 21)
  let θ = 0.5
  static let perturbations = [1e-9, 1e-7, 1e-5, 1e-3, 1e-1]

  struct Observation {
    var delta: Double
    var residual: Double
    var estimate: Double
    var actualError: Double
  }

  func observe(method: any LinearSolver) throws -> [Observation] {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let differentiator = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: withTolerance(method, 1e-13)))
    let exact = problem.jacobian(θ)
    let direction = Reference.randomVector(problem.columns, seed: 22)
    let unit = direction.map { $0 / Reference.norm(direction) }
    let xStar = problem.solution(θ)
    return try Self.perturbations.map { delta in
      let x = Vector((0..<xStar.count).map { xStar[$0] + delta * unit[$0] })
      let j = try differentiator.jacobian(at: x, θ)
      let actual = Reference.norm(Reference.subtract(j.matrix.scalars, exact))
      return Observation(
        delta: delta, residual: j.diagnostics.residualNorm, estimate: j.diagnostics.jacobianErrorEstimate,
        actualError: actual)
    }
  }

  @Test("at x* the residual is at rounding level")
  func atTheSolution() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let j = try ImplicitDifferentiator(condition).jacobian(at: Vector(problem.solution(θ)), θ)
    #expect(j.diagnostics.residualNorm < 1e-13)
    #expect(j.diagnostics.jacobianErrorEstimate < 1e-12)
    #expect(j.diagnostics.isReliable)
    #expect(
      j.diagnostics.solutionErrorEstimate <= j.diagnostics.inverseNormEstimate * j.diagnostics.residualNorm
        * (1 + 1e-12))
  }

  @Test(
    "residual and estimate grow with δ; actual error ≤ 10 × estimate",
    arguments: [AutomaticLinearSolver(), ConjugateGradient()] as [any LinearSolver])
  func growsWithPerturbation(method: any LinearSolver) throws {
    let observations = try observe(method: method)
    for (previous, next) in zip(observations, observations.dropFirst()) {
      #expect(next.residual > previous.residual, "\(method): residual \(previous.residual) → \(next.residual)")
      #expect(next.estimate > previous.estimate, "\(method): estimate \(previous.estimate) → \(next.estimate)")
    }
    for o in observations {
      // ‖F(x̂)‖ = ‖(AᵀA + θI)(x̂ − x*)‖ is between λ_min·δ and λ_max·δ.
      #expect(o.residual >= 0.5 * θ * o.delta && o.residual <= 10 * o.delta, "δ = \(o.delta): residual \(o.residual)")
      #expect(
        o.actualError <= 10 * o.estimate,
        "\(method) δ = \(o.delta): actual error \(o.actualError), estimate \(o.estimate) (ratio \(o.actualError / o.estimate))"
      )
    }
  }
}

/// `solver` with its relative tolerance set to `relative`.
func withTolerance(_ solver: any LinearSolver, _ relative: Double) -> any LinearSolver {
  var solver = solver
  solver.tolerance.relative = relative
  return solver
}
