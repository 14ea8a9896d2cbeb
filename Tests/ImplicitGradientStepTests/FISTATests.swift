import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import ImplicitTestSupport
import Testing

@Suite("FISTA")
struct FISTATests {
  /// A diagonal design separates the lasso: `xᵢ = soft(dᵢbᵢ, λ)/dᵢ²`.
  @Test func separableLassoClosedForm() throws {
    let d = [2.0, 0.5, 1.5, 3.0], b = Vector([1.2, -3.0, 0.1, -0.4])
    var A = Matrix<Double>.zeros(rows: 4, columns: 4)
    for i in 0..<4 { A[i, i] = d[i] }
    let λ = 0.7
    let problem = try LassoProblem(A: A, b: b, prox: LassoProximal(), λ: Vector([λ]))
    let expected = Vector(
      (0..<4).map { i in
        let z = d[i] * b[i]
        return (z > λ ? z - λ : (z < -λ ? z + λ : 0)) / (d[i] * d[i])
      })
    for solver in [FISTA(tolerance: 1e-12), FISTA(tolerance: 1e-12, acceleration: false)] {
      let run = try solver.solve(problem.condition, problem.θ, from: Vector.zeros(4))
      #expect(run.isConverged)
      #expect(TestSupport.relativeError(run.solution, expected) <= 1e-11)
    }
  }

  @Test func newtonPolishingLandsOnTheRoot() throws {
    let problem = try LassoProblem.random(seed: 21)
    let rough = try FISTA(tolerance: 1e-6).solve(problem.condition, problem.θ, from: Vector.zeros(6))
    let polished = problem.condition.refined(rough.solution, problem.θ)
    #expect(polished.steps >= 1)
    #expect(polished.residualNorm <= 1e-14 * max(1, polished.solution.norm()))
    #expect(polished.residualNorm < polished.initialResidualNorm)
    let closedForm = try #require(lassoClosedFormJacobian(A: problem.A, x: polished.solution))
    #expect(closedForm.isFinite)
  }

  @Test func budgetExhaustionIsATypedError() throws {
    let problem = try LassoProblem.random(seed: 4)
    let solver = FISTA(tolerance: 1e-14, maxIterations: 3)
    let run = try solver.solve(problem.condition, problem.θ, from: Vector.zeros(6))
    #expect(run.status == .maxIterationsReached)
    #expect(run.iterations == 3)
    #expect(run.residual > 1e-14)
    #expect {
      try run.converged()
    } throws: { error in
      guard case .solverDidNotConverge(_, let iterations, _) = error as? ImplicitError else { return false }
      return iterations == 3
    }
  }

  @Test func badInputIsATypedError() throws {
    let problem = try LassoProblem.random(seed: 4)
    #expect(throws: ImplicitError.self) {
      try FISTA().solve(problem.condition, problem.θ, from: Vector([1, .nan, 0, 0, 0, 0]))
    }
    #expect(throws: ImplicitError.self) {
      try FISTA().solve(
        problem.condition, problem.condition.packParameters(objective: problem.b, prox: Vector([-1])),
        from: Vector.zeros(6))
    }
    #expect(throws: ImplicitError.self) {
      try FISTA(stepSize: .fixed(.infinity)).solve(problem.condition, problem.θ, from: Vector.zeros(6))
    }
    // A diverging run is not an input error: its status says so.
    let run = try FISTA(stepSize: .fixed(1e200), maxIterations: 100).solve(
      problem.condition, problem.θ, from: Vector.zeros(6))
    #expect(run.status == .nonFinite)
    #expect(throws: ImplicitError.self) { try run.converged() }
  }

  /// The fixed-iteration mode runs exactly the schedule of the unrolled solver written in the
  /// tests (no restarts, constant step), so both give the same iterate.
  @Test func fixedIterationsFollowTheTextbookSchedule() throws {
    let problem = try LassoProblem.random(seed: 8)
    let η = problem.condition.stepSize
    for accelerated in [true, false] {
      let run = try FISTA.fixedIterations(40, stepSize: η, acceleration: accelerated)
        .solve(problem.condition, problem.θ, from: Vector.zeros(6))
      #expect(run.status == .completedFixedIterations)
      #expect(run.iterations == 40)
      let unrolled = UnrolledLasso(A: problem.A, stepSize: η, iterations: 40, accelerated: accelerated)(problem.θ)
      #expect(TestSupport.relativeError(run.solution, unrolled) <= 1e-12)
    }
  }

  /// From a step 4000 times too large, backtracking shrinks until sufficient decrease holds
  /// (never below `shrinkFactor/L`, where the test always passes) and converges to the solution.
  @Test func backtrackingRecoversFromATooLargeStep() throws {
    let problem = try LassoProblem.random(seed: 8)
    let run = try FISTA(stepSize: .backtracking(initial: 100), tolerance: 1e-11)
      .solve(problem.condition, problem.θ, from: Vector.zeros(6))
    #expect(run.isConverged)
    #expect(TestSupport.relativeError(run.solution, try problem.solve(problem.θ)) <= 1e-9)
    // The same step held fixed diverges: the backtracking did the work.
    let fixed = try FISTA(stepSize: .fixed(100), maxIterations: 200).solve(
      problem.condition, problem.θ, from: Vector.zeros(6))
    #expect(!fixed.isConverged)
  }
}
