import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

/// Hyper-gradients of a validation loss through ``ImplicitFunction`` wrapping the ridge
/// Cholesky solver, against central finite differences of re-solving.
@Suite("Ridge gradients through ImplicitFunction vs finite differences")
struct RidgeImplicitFunctionTests {
  let problem = RidgeProblem.random(rows: 12, columns: 6, seed: 3)
  let validation = RidgeProblem.random(rows: 7, columns: 6, seed: 4)

  /// `½‖A_val x − b_val‖²` with plain loops.
  func validationLoss(_ x: [Double]) -> Double {
    let r = Reference.subtract(Reference.matvec(validation.aRows, x), validation.b)
    return 0.5 * Reference.dot(r, r)
  }

  @Test("θ scalar")
  func scalarStrength() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let p = problem.columns
    let recorder = DiagnosticsRecorder()
    let ridge = ImplicitFunction(condition: condition, options: recorder.options) { θ in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: p)
    }
    let aVal = validation.A, bVal = Vector(validation.b)
    let θ = 0.4
    let g = gradient(at: θ) { θ in 0.5 * (aVal * ridge(θ) - bVal).squaredNorm() }
    let h = 1e-5
    let fd = (validationLoss(problem.solution(θ + h)) - validationLoss(problem.solution(θ - h))) / (2 * h)
    #expect(Swift.abs(g - fd) <= 1e-7 * Swift.abs(fd), "\(g) vs \(fd)")
    guard case .success(let d)? = recorder.last else {
      Issue.record("no diagnostics recorded")
      return
    }
    #expect(d.isReliable && d.residualNorm < 1e-12)
  }

  @Test("θ per feature")
  func perFeatureStrength() throws {
    let condition = try PerFeatureRidgeCondition(A: problem.A, b: Vector(problem.b))
    let p = problem.columns
    let ridge = ImplicitFunction(condition: condition) { θ in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: p)
    }
    let aVal = validation.A, bVal = Vector(validation.b)
    let θ = [0.3, 0.9, 0.1, 1.5, 0.6, 0.2]
    let g = gradient(at: Vector(θ)) { θ in 0.5 * (aVal * ridge(θ) - bVal).squaredNorm() }
    let fd = FiniteDifferences.gradient(at: Vector(θ)) { validationLoss(problem.solution($0.scalars)) }
    #expect(Reference.relativeError(g.scalars, fd) < 1e-7, "\(g.scalars) vs \(fd)")

    // Exact chain rule: Jᵀ∇L with the closed-form J.
    let x = problem.solution(θ)
    let residual = Reference.subtract(Reference.matvec(validation.aRows, x), validation.b)
    let dLdx = Reference.matvec(Reference.transpose(validation.aRows), residual)
    let chain = Reference.matvec(Reference.transpose(problem.jacobian(θ)), dLdx)
    #expect(Reference.relativeError(g.scalars, chain) < 1e-11)
  }

  @Test("θ enters both the loss and the solution")
  func parameterInLossAndSolution() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let ridge = ImplicitFunction(condition: condition) { θ in (try? condition.solve(θ)) ?? Vector([]) }
    let θ = 0.9
    // L(θ) = θ·‖x*(θ)‖² : dL/dθ = ‖x‖² + 2θ⟨x, x'⟩.
    let g = gradient(at: θ) { θ in θ * ridge(θ).squaredNorm() }
    let x = problem.solution(θ), dx = problem.jacobian(θ)
    let expected = Reference.dot(x, x) + 2 * θ * Reference.dot(x, dx)
    #expect(Swift.abs(g - expected) <= 1e-12 * Swift.abs(expected))
  }
}
