import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing

let ridgeSolverMethods: [any LinearSolver] = [
  AutomaticLinearSolver(), ConjugateGradient(), GMRES(restart: 10), GMRES(restart: 2), BiCGSTAB(),
  NormalConjugateGradient(), DenseLU(), DenseCholesky(), DenseQR(),
]

/// Ridge Jacobians against the closed forms, through every linear solver.
@Suite("Ridge Jacobian vs closed form")
struct RidgeJacobianTests {
  let problem = RidgeProblem.random()
  let θ = 0.7
  var perFeature: [Double] { [0.3, 1.2, 0.05, 0.8, 2.0] }

  func options(_ method: any LinearSolver) -> ImplicitOptions {
    // A generous budget: GMRES(2) needs many restarts at this tolerance.
    var solver = method
    solver.tolerance = LinearSolverTolerance(relative: 1e-13, maxIterations: 1000)
    return ImplicitOptions(linearSolver: solver)
  }

  @Test("the Cholesky solvers return the closed-form solution")
  func solutions() throws {
    let scalar = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    #expect(Reference.relativeError(try scalar.solve(θ).scalars, problem.solution(θ)) < 1e-13)
    let vector = try PerFeatureRidgeCondition(A: problem.A, b: Vector(problem.b))
    #expect(Reference.relativeError(try vector.solve(Vector(perFeature)).scalars, problem.solution(perFeature)) < 1e-13)
  }

  @Test("θ scalar: jacobian, VJP and JVP = −(AᵀA + θI)⁻¹x*", arguments: ridgeSolverMethods)
  func scalarStrength(method: any LinearSolver) throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let x = Vector(problem.solution(θ))
    let expected = problem.jacobian(θ)
    let differentiator = ImplicitDifferentiator(condition, options: options(method))

    let j = try differentiator.jacobian(at: x, θ)
    #expect(j.matrix.rows == problem.columns && j.matrix.columns == 1)
    #expect(Reference.relativeError(j.matrix.scalars, expected) < 1e-10, "\(method): \(j.assembly)")
    #expect(j.diagnostics.isReliable)

    let v = Reference.randomVector(problem.columns, seed: 201)
    let vjp: Double = try differentiator.vjp(Vector(v), at: x, θ).value
    let expectedVJP = Reference.dot(v, expected)
    #expect(Swift.abs(vjp - expectedVJP) <= 1e-10 * Reference.norm(v) * Reference.norm(expected), "\(method)")

    let jvp = try differentiator.jvp(0.3, at: x, θ)
    #expect(Reference.relativeError(jvp.value.scalars, expected.map { 0.3 * $0 }) < 1e-10, "\(method)")
    #expect(jvp.diagnostics.forwardProducts != .finiteDifference, "ridge has exact forward products")
  }

  @Test("θ per feature: jacobian, VJP and JVP = −(AᵀA + diag θ)⁻¹diag(x*)", arguments: ridgeSolverMethods)
  func perFeatureStrength(method: any LinearSolver) throws {
    let condition = try PerFeatureRidgeCondition(A: problem.A, b: Vector(problem.b))
    let θ = Vector(perFeature)
    let x = Vector(problem.solution(perFeature))
    let expected = problem.jacobian(perFeature)
    let differentiator = ImplicitDifferentiator(condition, options: options(method))

    let j = try differentiator.jacobian(at: x, θ)
    #expect(Reference.relativeError(Reference.rows(j.matrix), expected) < 1e-10, "\(method): \(j.assembly)")

    let v = Reference.randomVector(problem.columns, seed: 202), t = Reference.randomVector(problem.columns, seed: 203)
    let vjp = try differentiator.vjp(Vector(v), at: x, θ).value
    #expect(
      Reference.relativeError(vjp.scalars, Reference.matvec(Reference.transpose(expected), v)) < 1e-10, "\(method)")
    let jvp = try differentiator.jvp(Vector(t), at: x, θ).value
    #expect(Reference.relativeError(jvp.scalars, Reference.matvec(expected, t)) < 1e-10, "\(method)")
  }

  @Test("θ per feature: closed form agrees with finite differences of re-solving")
  func closedFormAgainstFiniteDifferences() {
    // Guards the closed form itself (and so every test above that relies on it).
    let fd = FiniteDifferences.jacobian(at: perFeature) { problem.solution($0) }
    #expect(Reference.relativeError(problem.jacobian(perFeature), fd) < 1e-8)
    let h = 1e-5
    let scalarFD = zip(problem.solution(θ + h), problem.solution(θ - h)).map { ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(problem.jacobian(θ), scalarFD) < 1e-8)
  }

  @Test("a wide A (more features than samples) with θ > 0")
  func wideDesign() throws {
    let wide = RidgeProblem.random(rows: 4, columns: 9, seed: 7)
    let condition = try RidgeCondition(A: wide.A, b: Vector(wide.b))
    let x = Vector(wide.solution(0.2))
    for method: any LinearSolver in [AutomaticLinearSolver(), ConjugateGradient(), DenseCholesky()] {
      let j = try ImplicitDifferentiator(condition, options: options(method)).jacobian(at: x, 0.2)
      #expect(Reference.relativeError(j.matrix.scalars, wide.jacobian(0.2)) < 1e-9, "\(method)")
    }
  }
}
