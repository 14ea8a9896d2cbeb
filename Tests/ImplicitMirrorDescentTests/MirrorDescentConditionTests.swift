import Foundation
import ImplicitCore
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitTestSupport
import Testing
import _Differentiation

@Suite("Mirror-descent condition")
struct MirrorDescentConditionTests {
  let n = 5
  var θ: Vector<Double> { Vector([0.7, -0.2, 0.4, 1.1, -0.9]) }

  /// `A` and `B` materialised from the hand-written pullback (through Swift's AD, which uses
  /// the explicit `@derivative`), versus central differences of `F` itself.
  @Test func explicitDerivativeMatchesFiniteDifferencesOfTheResidual() throws {
    let objective = EntropicQuadratic(Q: randomSPD(n, seed: 3), gamma: 0.4)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap(), stepSize: 0.7)
    let x = Vector([0.1, 0.3, 0.25, 0.15, 0.2])  // interior, not a root
    let (value, pb) = valueWithPullback(at: x, θ) { x, θ in condition(x, θ) }
    var a = Matrix<Double>.zeros(rows: n, columns: n), b = Matrix<Double>.zeros(rows: n, columns: n)
    for r in 0..<n {
      let (dx, dθ) = pb(Vector.basis(r, count: n))
      for c in 0..<n {
        a[r, c] = dx[c]
        b[r, c] = dθ[c]
      }
    }
    let fdA = TestSupport.finiteDifferenceJacobian(at: x, step: 1e-6) { condition($0, θ) }
    let fdB = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-6) { condition(x, $0) }
    #expect(relativeError(value, condition(x, θ)) == 0)
    #expect(relativeError(a, fdA) < 1e-8)
    #expect(relativeError(b, fdB) < 1e-8)
    // Forward products agree with the same matrices.
    let v = Vector([0.3, -1.0, 0.5, 0.2, 0.9]), t = Vector([-0.4, 0.1, 0.8, -0.6, 0.3])
    let av = try #require(condition.solutionJacobianProduct(v, at: x, θ))
    let bt = try #require(condition.parameterJacobianProduct(t, at: x, θ))
    #expect(relativeError(av, fdA * v) < 1e-8)
    #expect(relativeError(bt, fdB * t) < 1e-8)
  }

  /// The same check on a product of simplices (2 rows of 3), the row-wise softmax geometry.
  @Test func rowSimplexDerivativeMatchesFiniteDifferences() throws {
    let objective = EntropicQuadratic(Q: randomSPD(6, seed: 9), gamma: 0.2)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLRowSimplexMirrorMap(columns: 3))
    let x = Vector([0.2, 0.5, 0.3, 0.6, 0.1, 0.3])
    let p = Vector([0.3, -0.1, 0.5, 0.9, -0.4, 0.2])
    let a = try ImplicitDifferentiator(condition).linearize(at: x, p).materializedA()
    let fdA = TestSupport.finiteDifferenceJacobian(at: x, step: 1e-6) { condition($0, p) }
    #expect(relativeError(a, fdA) < 1e-8)
    // Each row of a step stays a probability vector.
    let next = condition.step(x, p)
    #expect(abs(next.slice(from: 0, count: 3).sum() - 1) < 1e-15)
    #expect(abs(next.slice(from: 3, count: 3).sum() - 1) < 1e-15)
  }

  /// softmax-entropy: `p* = softmax(θ/γ)` and `∂p*/∂θ = (diag(p) − ppᵀ)/γ`.
  @Test func softmaxEntropyJacobianMatchesClosedForm() throws {
    let gamma = 0.5
    let objective = EntropicQuadratic(Q: Matrix.zeros(rows: n, columns: n), gamma: gamma)
    let map = KLSimplexMirrorMap()
    let solved = try MirrorDescent(stepSize: 0.8, tolerance: 1e-14, maxIterations: 10_000)
      .solve(MirrorDescentCondition(objective: objective, mirrorMap: map), θ, from: Vector(repeating: 0.2, count: n))
    let p = referenceSoftmax(θ.scalars.map { $0 / gamma })
    #expect(relativeError(solved.solution, Vector(p)) < 1e-13)

    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: map)
    #expect(condition(solved.solution, θ).norm() < 1e-13)
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: solved.solution, θ).matrix
    var closedForm = Matrix<Double>.zeros(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n { closedForm[i, j] = ((i == j ? p[i] : 0) - p[i] * p[j]) / gamma }
    }
    #expect(relativeError(jacobian, closedForm) < 1e-10)
  }

  /// Entropic QP: the implicit Jacobian against central differences of re-solving.
  @Test func entropicQPJacobianMatchesFiniteDifferencesOfResolving() throws {
    let objective = EntropicQuadratic(Q: randomSPD(n, seed: 11), gamma: 0.3)
    let map = KLSimplexMirrorMap()
    let solver = MirrorDescent(stepSize: 0.25, tolerance: 1e-15, maxIterations: 100_000)
    let start = Vector(repeating: 1 / Double(n), count: n)
    func solve(_ θ: Vector<Double>) -> Vector<Double> {
      (try? solver.solve(MirrorDescentCondition(objective: objective, mirrorMap: map), θ, from: start).solution)
        ?? Vector(repeating: .nan, count: n)
    }
    let p = solve(θ)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: map)
    #expect(condition(p, θ).norm() < 1e-13)
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: p, θ).matrix
    let fd = TestSupport.finiteDifferenceJacobian(at: θ, step: 1e-4, solve)
    #expect(relativeError(jacobian, fd) < 1e-7)
  }

  /// The implicit Jacobian against Swift AD through 400 unrolled mirror-descent steps (written
  /// with differentiable Vector operations and an explicit gradient).
  @Test func entropicQPJacobianMatchesUnrolledMirrorDescent() throws {
    let q = randomSPD(4, seed: 5)
    let gamma = 0.5, step = 0.3
    let θ = Vector([0.2, -0.5, 0.9, 0.1])
    let unrolled = jacobianByPullback(at: θ, outputs: 4) { θ in
      unrolledMirrorDescent(θ, Q: q, gamma: gamma, step: step, steps: 400)
    }
    let objective = EntropicQuadratic(Q: q, gamma: gamma)
    let p = unrolledMirrorDescent(θ, Q: q, gamma: gamma, step: step, steps: 400)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap())
    #expect(condition(p, θ).norm() < 1e-13)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: p, θ).matrix
    #expect(relativeError(implicit, unrolled) < 1e-9)
  }

  /// A coordinate converging to 0: `p* = argmin_{p∈Δ} ½‖p − θ‖²` with `θ = (0.9, 0.4, −1)` is
  /// `(0.75, 0.25, 0)`, with Jacobian `I − 11ᵀ/2` on the support and 0 elsewhere. Mirror
  /// descent only approaches the zero; the derivative must stay finite and correct both at
  /// the converged iterate (tiny positive coordinate) and once it underflows to exactly 0.
  @Test func boundaryCoordinateGivesFiniteCorrectDerivative() throws {
    let θ = Vector([0.9, 0.4, -1.0])
    let map = KLSimplexMirrorMap()
    let condition = try MirrorDescentCondition(objective: SquaredDistance(), mirrorMap: map)
    let closedForm = Matrix([[0.5, -0.5, 0], [-0.5, 0.5, 0], [0, 0, 0]])
    let start = Vector(repeating: 1.0 / 3, count: 3)

    let converged = try MirrorDescent(stepSize: 1, tolerance: 1e-13, maxIterations: 10_000)
      .solve(MirrorDescentCondition(objective: SquaredDistance(), mirrorMap: map), θ, from: start)
    #expect(converged.solution[2] > 0 && converged.solution[2] < 1e-12)
    let nearBoundary = try ImplicitDifferentiator(condition).jacobian(at: converged.solution, θ).matrix
    #expect(nearBoundary.isFinite)
    #expect(relativeError(nearBoundary, closedForm) < 1e-9)

    let underflowed = try MirrorDescent(stepSize: 1, fixedIterations: 1_000)
      .solve(MirrorDescentCondition(objective: SquaredDistance(), mirrorMap: map), θ, from: start)
    #expect(underflowed.status == .completedFixedIterations)
    #expect(underflowed.solution[2] == 0)
    #expect(relativeError(underflowed.solution, Vector([0.75, 0.25, 0])) < 1e-14)
    #expect(condition(underflowed.solution, θ).norm() < 1e-15)
    let atBoundary = try ImplicitDifferentiator(condition).jacobian(at: underflowed.solution, θ).matrix
    #expect(atBoundary.isFinite)
    #expect(relativeError(atBoundary, closedForm) < 1e-12)
  }

  /// A geometry defined outside the module plugs in: the Euclidean map on ℝⁿ (∇φ = ∇φ* = id)
  /// turns mirror descent into gradient descent; for `f = ½xᵀQx − ⟨θ, x⟩`, `x* = Q⁻¹θ` and
  /// `∂x*/∂θ = Q⁻¹`, checked as `Q x* = θ` and `Q J = I`.
  @Test func anotherMirrorMapPlugsIn() throws {
    struct EuclideanMap: MirrorMap {
      func mirror(_ x: Vector<Double>) -> Vector<Double> { x }
      func mirrorJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
        v.isEmpty ? Vector.zeros(x.count) : v
      }
      func inverseMirror(_ y: Vector<Double>) -> Vector<Double> { y }
      func inverseMirrorJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
        v.isEmpty ? Vector.zeros(y.count) : v
      }
    }
    let q = randomSPD(n, seed: 21)
    struct Quadratic: ParametricObjective {
      let Q: Matrix<Double>
      @differentiable(reverse)
      func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
        S(0.5) * x.dot(Matrix<S>(converting: Q) * x) - θ.dot(x)
      }
    }
    let quadratic = Quadratic(Q: q)
    let step = 1 / q.squaredSpectralNorm().squareRoot()
    let x = try MirrorDescent(stepSize: step, tolerance: 1e-14, maxIterations: 100_000)
      .solve(MirrorDescentCondition(objective: quadratic, mirrorMap: EuclideanMap()), θ, from: Vector.zeros(n)).solution
    #expect(relativeError(q * x, θ) < 1e-12)
    let condition = try MirrorDescentCondition(objective: quadratic, mirrorMap: EuclideanMap(), stepSize: step)
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: x, θ).matrix
    #expect(relativeError(q * jacobian, Matrix.identity(n)) < 1e-12)
  }
}
