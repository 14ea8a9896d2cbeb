// The Swift block of README.md, compiled and run, then checked against the closed form and
// finite differences of an independent re-solve.
import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("README.md: the example runs and agrees with the closed form")
func readmeExample() throws {
  var rng = SeededGenerator(seed: 3)
  let A = rng.normalMatrix(rows: 30, columns: 4), b = rng.normalVector(30)
  let Aval = rng.normalMatrix(rows: 20, columns: 4), bval = rng.normalVector(20)
  // docs-example: readme-1
  // x*(θ) = argmin ½‖Ax − b‖² + ½θ‖x‖²; its optimality condition is F(x, θ) = Aᵀ(Ax − b) + θx = 0.
  let condition = try RidgeCondition(A: A, b: b)

  // Any solver, never differentiated (here a dense Cholesky solve). A differentiable function
  // cannot throw: a failed solve returns NaN, never a plausible vector.
  let ridge = ImplicitFunction(condition: condition) { θ in
    (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: A.columns)
  }

  // A hypergradient, composed with any differentiable Swift code:
  let hypergradient = gradient(at: 1.0) { θ in (Aval * ridge(θ) - bval).squaredNorm() }

  // The throwing API: ∂x*/∂θ with its diagnostics (residual, linear solve, error estimate).
  let jacobian = try ridge.differentiator.jacobian(at: ridge(1.0), 1.0)
  // end-docs-example
  let closedForm = referenceRidgeDerivative(A, b, 1.0)
  #expect(TestSupport.relativeError(jacobian.matrix.scalars, closedForm) < 1e-12)
  #expect(jacobian.diagnostics.isReliable)
  func validationLoss(_ θ: Double) -> Double {
    let r = Reference.subtract(Reference.matvec(Reference.rows(Aval), referenceRidge(A, b, θ)), bval.scalars)
    return Reference.dot(r, r)
  }
  let h = 1e-5
  let finiteDifference = (validationLoss(1 + h) - validationLoss(1 - h)) / (2 * h)
  #expect(abs(hypergradient - finiteDifference) < 1e-8 * max(1, abs(finiteDifference)))
}
