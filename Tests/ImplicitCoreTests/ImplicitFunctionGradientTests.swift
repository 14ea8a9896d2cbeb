import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// `gradient(at:of:)` of an outer loss through ``ImplicitFunction`` against central finite
/// differences of re-solving the problem.
@Suite("Gradients through ImplicitFunction vs finite differences of re-solving")
struct ImplicitFunctionGradientTests {
  @Test("θ vector: nonlinear root solved by Newton")
  func vectorParameterNewton() {
    let condition = CoupledCubicCondition.example()
    let function = ImplicitFunction(condition: condition) { θ in Vector(condition.newtonSolve(θ.scalars)) }
    let target = Reference.randomVector(5, seed: 61)
    let θ = Reference.randomVector(3, seed: 62)

    // L(x) = ½‖x − target‖² + 0.1·Σ exp(x), differentiable end to end.
    let g = gradient(at: Vector(θ)) { θ in
      let x = function(θ)
      return 0.5 * (x - Vector(target)).squaredNorm() + 0.1 * x.exp().sum()
    }
    func resolvedLoss(_ θ: [Double]) -> Double {
      let x = condition.newtonSolve(θ)
      return 0.5 * Reference.dot(Reference.subtract(x, target), Reference.subtract(x, target))
        + 0.1 * x.map(Reference.exp).reduce(0, +)
    }
    let fd = FiniteDifferences.gradient(at: Vector(θ), step: 1e-5) { resolvedLoss($0.scalars) }
    #expect(Reference.relativeError(g.scalars, fd) < 1e-7, "\(g.scalars) vs \(fd)")

    // The exact chain rule through the hand-derived Jacobian agrees much more tightly.
    let x = condition.newtonSolve(θ)
    let dLdx = (0..<5).map { x[$0] - target[$0] + 0.1 * Reference.exp(x[$0]) }
    let chain = Reference.matvec(Reference.transpose(condition.referenceJacobian(x, θ)), dLdx)
    #expect(Reference.relativeError(g.scalars, chain) < 1e-11)
  }

  @Test("θ scalar: mixed-type root solved by bisection")
  func scalarParameterBisection() {
    let condition = MixedCubicCondition(c: Vector([0.9, 1.4, 0.3]))
    let function = ImplicitFunction(condition: condition) { θ in Vector(condition.rootByBisection(θ)) }
    let θ = 0.8
    let g = gradient(at: θ) { θ in function(θ).exp().sum() * θ }
    func resolvedLoss(_ θ: Double) -> Double { condition.rootByBisection(θ).map(Reference.exp).reduce(0, +) * θ }
    let h = 1e-5
    let fd = (resolvedLoss(θ + h) - resolvedLoss(θ - h)) / (2 * h)
    #expect(Swift.abs(g - fd) < 1e-7 * Swift.abs(fd), "\(g) vs \(fd)")
  }

  @Test("ImplicitFunction.vjp / jvp / jacobian solve first and agree with the closed form")
  func typedEntryPoints() throws {
    let condition = CoupledCubicCondition.example()
    let function = ImplicitFunction(condition: condition) { θ in Vector(condition.newtonSolve(θ.scalars)) }
    let θ = Reference.randomVector(3, seed: 63)
    let j = condition.referenceJacobian(condition.newtonSolve(θ), θ)
    // The throwing API, through the function's own differentiator and solver.
    let x = function.solver(Vector(θ))
    let full = try function.differentiator.jacobian(at: x, Vector(θ))
    #expect(Reference.relativeError(Reference.rows(full.matrix), j) < 1e-11)
    let u = Reference.randomVector(5, seed: 64), t = Reference.randomVector(3, seed: 65)
    let vjp = try function.differentiator.vjp(Vector(u), at: x, Vector(θ)).value
    #expect(Reference.relativeError(vjp.scalars, Reference.matvec(Reference.transpose(j), u)) < 1e-11)
    let jvp = try function.differentiator.jvp(Vector(t), at: x, Vector(θ)).value
    #expect(Reference.relativeError(jvp.scalars, Reference.matvec(j, t)) < 1e-11)
  }

  @Test("a pullback whose linear solve fails returns NaN and records the failure")
  func failingSolveGivesNaNGradient() {
    let condition = CoupledCubicCondition.example()
    let recorder = DiagnosticsRecorder()
    let options = ImplicitOptions(
      linearSolver: GMRES(restart: 2, relativeTolerance: 1e-14, maxIterations: 1), onDiagnostics: recorder.handler)
    let function = ImplicitFunction(condition: condition, options: options) { θ in
      Vector(condition.newtonSolve(θ.scalars))
    }
    let g = gradient(at: Vector([0.3, -0.2, 0.5])) { θ in function(θ).sum() }
    #expect(g.count == 3 && g.scalars.allSatisfy(\.isNaN), "\(g)")
    guard case .failure(let error)? = recorder.last else {
      Issue.record("expected a recorded failure, got \(String(describing: recorder.last))")
      return
    }
    guard case ImplicitError.linearSolveFailed(let summary) = error else {
      Issue.record("expected linearSolveFailed, got \(error)")
      return
    }
    #expect(summary.status == .maxIterationsReached)
  }
}
