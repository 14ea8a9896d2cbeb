import ImplicitCore
import ImplicitGradientStep
import ImplicitProjectedGradient
import ImplicitProjections
import ImplicitProximal
import Testing
import _Differentiation

/// FISTA with a projection as its prox (accelerated projected gradient) against closed forms and
/// hand-written loops.
@Suite("Accelerated projected gradient")
struct ProjectedGradientSolverTests {
  /// `f(x, a) = ½Σ dᵢ(xᵢ − aᵢ)²` over a box: separable, so `x* = clip(a, l, u)` coordinatewise.
  struct SeparableQuadratic: ParametricObjective {
    let d: Vector<Double>
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ a: Vector<S>) -> S {
      S(0.5) * (Vector<S>(converting: d.scalars) * (x - a).squared()).sum()
    }
  }

  let n = 6
  let objective = SeparableQuadratic(d: Vector([1, 1.5, 2, 2.5, 3, 3.5]))
  let a = Vector([-2.0, -0.1, 0.2, 0.9, 3.0, 0.05])
  let bounds = BoxBounds(lower: Vector(repeating: -0.5, count: 6), upper: Vector(repeating: 0.5, count: 6))
  var closedForm: Vector<Double> { a.mapScalars { min(max($0, -0.5), 0.5) } }

  /// `P_box(x − η∇f(x, a)) − x` with `θ = [a; bounds]`.
  func condition() throws -> ProximalGradientCondition<SeparableQuadratic, ProjectionProximal<BoxProjection>> {
    try ProximalGradientCondition(
      objective: objective, projection: BoxProjection(), objectiveParameterCount: n, projectionParameter: bounds)
  }
  var θ: Vector<Double> { get throws { try condition().packParameters(objective: a, prox: bounds) } }

  @Test func convergesToTheClosedForm() throws {
    for (acceleration, restart) in [(true, false), (true, true), (false, false)] {
      let result = try FISTA(
        stepSize: .fixed(1 / 3.5), tolerance: 1e-12, acceleration: acceleration, adaptiveRestart: restart
      ).solve(condition(), θ, from: Vector.zeros(n))
      #expect(result.status == .converged)
      #expect(result.residual <= 1e-12)
      #expect((result.solution - closedForm).norm() <= 1e-11)
    }
  }

  @Test func backtrackingRecoversFromATooLongStep() throws {
    let result = try FISTA(stepSize: .backtracking(initial: 50, shrinkFactor: 0.5), tolerance: 1e-12)
      .solve(condition(), θ, from: Vector.zeros(n))
    #expect(result.status == .converged)
    #expect((result.solution - closedForm).norm() <= 1e-11)
    let fixed = try FISTA(stepSize: .fixed(50), maxIterations: 100).solve(condition(), θ, from: Vector.zeros(n))
    #expect(!fixed.isConverged)
  }

  @Test func fixedIterationRunsMatchHandWrittenLoops() throws {
    let eta = 0.2, iterations = 25
    func gradient(_ x: Vector<Double>) -> Vector<Double> { objective.d * (x - a) }
    func clip(_ v: Vector<Double>) -> Vector<Double> { v.mapScalars { min(max($0, -0.5), 0.5) } }

    // Plain projected gradient.
    var x = Vector<Double>.zeros(n)
    for _ in 0..<iterations { x = clip(x - eta * gradient(x)) }
    let plain = try FISTA.fixedIterations(iterations, stepSize: eta, acceleration: false)
      .solve(condition(), θ, from: Vector.zeros(n))
    #expect(plain.status == .completedFixedIterations)
    #expect(plain.iterations == iterations)
    #expect((plain.solution - x).norm() <= 1e-14)

    // FISTA (Beck & Teboulle), written out.
    var xf = Vector<Double>.zeros(n), y = xf, t = 1.0
    for _ in 0..<iterations {
      let next = clip(y - eta * gradient(y))
      let nextT = (1 + (1 + 4 * t * t).squareRoot()) / 2
      y = next + ((t - 1) / nextT) * (next - xf)
      xf = next
      t = nextT
    }
    let fista = try FISTA.fixedIterations(iterations, stepSize: eta).solve(condition(), θ, from: Vector.zeros(n))
    #expect(fista.iterations == iterations)
    #expect((fista.solution - xf).norm() <= 1e-14)
  }

  @Test func nonConvergenceIsReported() throws {
    let solver = FISTA(stepSize: .fixed(0.01), tolerance: 1e-14, maxIterations: 3)
    let result = try solver.solve(condition(), θ, from: Vector.zeros(n))
    #expect(result.status == .maxIterationsReached)
    #expect(result.residual > 1e-14)
    #expect(result.iterations == 3)
    #expect {
      try result.converged()
    } throws: { error in
      if case .solverDidNotConverge(_, let iterations, _) = error as? ImplicitError { return iterations == 3 }
      return false
    }
  }

  @Test func nonFiniteIteratesAreReported() throws {
    let result = try FISTA(stepSize: .fixed(0.1))
      .solve(from: Vector.zeros(3), gradient: { _ in Vector([.nan, 0, 0]) }, prox: { z, _ in z })
    #expect(result.status == .nonFinite)
  }

  @Test func badConfigurationThrows() {
    #expect(throws: ImplicitError.self) {
      try FISTA(stepSize: .fixed(-1)).solve(from: Vector.zeros(2), gradient: { $0 }, prox: { z, _ in z })
    }
    #expect(throws: ImplicitError.self) {
      try FISTA(stepSize: .backtracking(initial: 1, shrinkFactor: 1.5))
        .solve(from: Vector.zeros(2), value: { $0.squaredNorm() }, gradient: { $0 }, prox: { z, _ in z })
    }
    #expect(throws: ImplicitError.self) {
      // Backtracking without the objective's value.
      try FISTA(stepSize: .backtracking(initial: 1, shrinkFactor: 0.5)).solve(
        from: Vector.zeros(2), gradient: { $0 }, prox: { z, _ in z })
    }
    #expect(throws: ImplicitError.self) {
      // The starting point does not fit the set.
      try FISTA(stepSize: .fixed(0.1)).solve(condition(), θ, from: Vector.zeros(2))
    }
  }
}
