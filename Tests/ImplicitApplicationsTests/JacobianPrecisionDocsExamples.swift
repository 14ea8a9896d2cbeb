import ImplicitCore
import ImplicitObjectives
import ImplicitRidge
import ImplicitStationarity
import Testing
import _Differentiation

/// The compiled examples of docs/jacobian-precision.md, on a small ridge regression, checked
/// against the closed form and central finite differences of the solver's iterates.
@Suite struct JacobianPrecisionDocsExamples {
  @Test func implicitAndUnrolledJacobiansOfRidge() throws {
    var rng = SeededGenerator(seed: 31)
    let A = rng.normalMatrix(rows: 12, columns: 8, scale: 0.3), b = rng.normalVector(12)
    let θ = 0.2, t = 40
    let objective = try RidgeRegression(A: A, b: b)
    let condition = try RidgeCondition(A: A, b: b)
    // docs-example: jacobian-precision-1
    let solver = GradientDescent(stepSize: .fixed(1 / (A.squaredSpectralNorm() + θ)))
    let (iterate, pullback) = valueWithPullback(at: Vector([θ])) { θ in
      solver.unrolled(objective, θ, from: Vector.zeros(A.columns), iterations: t)  // x̂ₜ(θ)
    }
    let unrolled = Vector((0..<iterate.count).map { pullback(.basis($0, count: iterate.count)).sum() })  // ∂x̂ₜ/∂θ
    // end-docs-example
    // docs-example: jacobian-precision-2
    let implicit = Vector(try ImplicitDifferentiator(condition).jacobian(at: iterate, θ).matrix.scalars)
    // end-docs-example
    // The unrolled Jacobian against central differences of the solver's own iterates.
    let h = 1e-6
    func run(_ θ: Double) throws -> Vector<Double> {
      var fixed = solver
      fixed.mode = .fixedIterations(t)
      return try fixed.solve(objective, Vector([θ]), from: Vector.zeros(A.columns)).solution
    }
    let fd = (try run(θ + h) - run(θ - h)).scaled(by: 1 / (2 * h))
    #expect((unrolled - fd).norm() <= 1e-7 * fd.norm())
    // The implicit Jacobian at the exact solution is the closed form −(AᵀA + θI)⁻¹x*.
    var gram = A.transposed() * A
    for j in 0..<A.columns { gram[j, j] += θ }
    let cholesky = try #require(CholeskyFactorization(gram))
    let xStar = Vector(cholesky.solve(A.transposedTimes(b).scalars))
    let exact = Vector(cholesky.solve(xStar.scalars)).scaled(by: -1)
    let atSolution = Vector(try ImplicitDifferentiator(condition).jacobian(at: xStar, θ).matrix.scalars)
    #expect((atSolution - exact).norm() <= 1e-10 * exact.norm())
    // At the iterate both are approximations; Theorem 1: the implicit one is the closer.
    #expect((implicit - exact).norm() < (unrolled - exact).norm())
  }
}
