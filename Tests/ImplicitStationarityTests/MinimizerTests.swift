import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

/// The minimisers: they reach the root of the stationarity condition, agree with each other,
/// honour fixed-iteration mode, and report non-convergence as a typed error.
@Suite struct MinimizerTests {
  @Test func everySolverReachesTheStationaryPoint() throws {
    let p = try Problems.logistic()
    let condition = StationarityCondition(p.objective, stronglyConvex: true)
    let start = Vector<Double>.zeros(p.X.columns)
    let solvers: [(String, any Minimizer)] = [
      ("newton-cg", NewtonCG(tolerance: 1e-12)),
      ("l-bfgs", LBFGS(tolerance: 1e-10)),
      ("gradient descent", GradientDescent(tolerance: 1e-9)),
      ("accelerated", GradientDescent.accelerated(tolerance: 1e-9)),
    ]
    let reference = try NewtonCG(tolerance: 1e-13).solve(p.objective, p.θ, from: start).converged()
    for (name, solver) in solvers {
      let result = try solver.solve(p.objective, p.θ, from: start)
      let w = try result.converged()
      #expect(result.status == .converged, "\(name)")
      // The root of F = ∇f, measured by the condition itself and by the closed-form gradient.
      #expect(condition(w, p.θ).norm <= result.tolerance * 1.0000001, "\(name)")
      #expect(closedFormGradientNorm(p, w) <= result.tolerance * 1.0001, "\(name)")
      // ‖w − w*‖ ≤ ‖∇f‖/μ with μ ≥ min θ = 0.2.
      #expect(Reference.norm(zip(w.scalars, reference.scalars).map { $0 - $1 }) <= result.tolerance / 0.2, "\(name)")
    }
  }

  /// `‖−Xᵀ(y ⊙ (1 − s))/n + θ ⊙ w‖` with plain loops.
  func closedFormGradientNorm(_ p: Problems.Logistic, _ w: Vector<Double>) -> Double {
    let rows = Reference.rows(p.X), n = Double(p.X.rows)
    let z = Reference.matvec(rows, w.scalars)
    let r = (0..<p.X.rows).map { -p.y[$0] * (1 - Reference.sigmoid(p.y[$0] * z[$0])) / n }
    let g = zip(Reference.transposedMatvec(rows, r), (0..<w.count).map { p.θ[$0] * w[$0] }).map { $0 + $1 }
    return Reference.norm(g)
  }

  @Test func fixedIterationModeRunsExactlyThatManyPlainSteps() throws {
    let p = try Problems.ridge()
    let L = 100.0
    let solver = GradientDescent(stepSize: .inverseLipschitz(L), mode: .fixedIterations(7))
    let result = try solver.solve(p.objective, p.θ, from: Vector.zeros(5))
    #expect(result.status == .completedFixedIterations)
    #expect(result.iterations == 7)
    // The same seven steps with plain loops.
    let rows = Reference.rows(p.A)
    var x = [Double](repeating: 0, count: 5)
    for _ in 0..<7 {
      let r = zip(Reference.matvec(rows, x), p.b.scalars).map { $0 - $1 }
      let g = zip(Reference.transposedMatvec(rows, r), (0..<5).map { p.θ[$0] * x[$0] }).map { $0 + $1 }
      x = zip(x, g).map { $0 - $1 / L }
    }
    #expect(Reference.relativeError(result.solution.scalars, x) < 1e-14)
  }

  @Test func acceleratedFixedIterationsFollowNesterovsRecursion() throws {
    let p = try Problems.ridge()
    let L = 100.0
    let result = try GradientDescent(stepSize: .inverseLipschitz(L), accelerated: true, mode: .fixedIterations(6))
      .solve(p.objective, p.θ, from: Vector.zeros(5))
    let rows = Reference.rows(p.A)
    func gradient(_ x: [Double]) -> [Double] {
      let r = zip(Reference.matvec(rows, x), p.b.scalars).map { $0 - $1 }
      return zip(Reference.transposedMatvec(rows, r), (0..<5).map { p.θ[$0] * x[$0] }).map { $0 + $1 }
    }
    var x = [Double](repeating: 0, count: 5), y = x, t = 1.0
    for _ in 0..<6 {
      let next = zip(y, gradient(y)).map { $0 - $1 / L }
      let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
      y = (0..<5).map { next[$0] + (t - 1) / tNext * (next[$0] - x[$0]) }
      x = next
      t = tNext
    }
    #expect(Reference.relativeError(result.solution.scalars, x) < 1e-14)
  }

  @Test func automaticStepIsOneOverTheLipschitzBound() throws {
    let p = try Problems.logistic()
    let L = p.objective.gradientLipschitzConstant(p.θ)
    // The Hessian is largest at w = 0 (s(1 − s) = ¼): H(0) = XᵀX/(4n) + diag(θ), and
    // L = λmax(XᵀX)/(4n) + max θ bounds it from above, tightly.
    let rows = Reference.rows(p.X), n = Double(p.X.rows)
    let gram = largestEigenvalue { v in Reference.transposedMatvec(rows, Reference.matvec(rows, v)) }
    let hessian = largestEigenvalue { v in
      zip(Reference.transposedMatvec(rows, Reference.matvec(rows, v)), (0..<v.count).map { p.θ[$0] * v[$0] }).map {
        $0 / (4 * n) + $1
      }
    }
    #expect(L >= hessian * (1 - 1e-9))
    #expect(Swift.abs(L - (gram / (4 * n) + p.θ.scalars.max()!)) <= 1e-8 * L)
    let step = GradientDescent().step(for: p.objective, at: Vector.zeros(5), p.θ)
    #expect(Swift.abs(step - 1 / L) <= 1e-15 / L)
  }

  /// Power iteration with plain loops.
  func largestEigenvalue(_ apply: ([Double]) -> [Double]) -> Double {
    var v = [1.0, 0.3, -0.2, 0.7, 0.1]
    var estimate = 0.0
    for _ in 0..<5000 {
      let w = apply(v)
      estimate = Reference.dot(w, v) / Reference.dot(v, v)
      let norm = Reference.norm(w)
      v = w.map { $0 / norm }
    }
    return estimate
  }

  @Test func nonConvergenceIsATypedError() throws {
    let p = try Problems.logistic()
    let start = Vector<Double>.zeros(p.X.columns)
    let results = [
      try NewtonCG(tolerance: 1e-14, maxIterations: 1).solve(p.objective, p.θ, from: start),
      try LBFGS(tolerance: 1e-14, maxIterations: 2).solve(p.objective, p.θ, from: start),
      try GradientDescent(tolerance: 1e-14, mode: .untilConverged(maxIterations: 3)).solve(
        p.objective, p.θ, from: start),
    ]
    for result in results {
      #expect(!result.isConverged && result.status == .maxIterationsReached)
      #expect(result.residual > result.tolerance)
      #expect {
        _ = try result.converged()
      } throws: { error in
        guard case ImplicitError.solverDidNotConverge(_, let iterations, let residual) = error else { return false }
        return iterations == result.iterations && residual == result.residual
      }
    }
    // Fixed iterations do what was asked: complete, not converged, the residual still reported.
    let fixed = try GradientDescent(mode: .fixedIterations(3)).solve(p.objective, p.θ, from: start)
    #expect(fixed.status == .completedFixedIterations && fixed.isComplete && !fixed.isConverged)
    #expect(fixed.residual == p.objective.solutionGradient(at: fixed.solution, p.θ).norm)
    #expect(try fixed.converged() == fixed.solution)
  }

  /// `f(x) = −½‖x‖² + ⟨θ, x⟩`: unbounded below, so no solver may claim a minimiser.
  struct Unbounded: ParametricObjective {
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S { θ.dot(x) - S(0.5) * x.squaredNorm() }
  }

  @Test func unboundedObjectivesAreNotReportedAsSolved() throws {
    let θ = Vector([1.0, -2.0])
    for solver in [NewtonCG(maxIterations: 50) as any Minimizer, LBFGS(maxIterations: 50)] {
      let result = try solver.solve(Unbounded(), θ, from: Vector([0.5, 0.5]))
      #expect(!result.isConverged)
      #expect(throws: ImplicitError.self) { try result.converged() }
    }
  }

  @Test func invalidInputThrowsATypedError() throws {
    let p = try Problems.logistic()
    let solvers: [any Minimizer] = [NewtonCG(), LBFGS(), GradientDescent(), GradientDescent.accelerated()]
    for solver in solvers {
      #expect {
        _ = try solver.solve(p.objective, p.θ, from: Vector.zeros(p.X.columns + 1))
      } throws: { error in
        if case ImplicitError.shapeMismatch = error { return true }
        if case ImplicitError.invalidArgument = error { return true }
        return false
      }
      #expect {
        _ = try solver.solve(p.objective, p.θ, from: Vector(repeating: .nan, count: p.X.columns))
      } throws: { error in
        if case ImplicitError.nonFinite = error { return true }
        return false
      }
    }
    #expect(throws: ImplicitError.self) {
      try GradientDescent(stepSize: .fixed(-1)).solve(p.objective, p.θ, from: Vector.zeros(p.X.columns))
    }
  }
}
