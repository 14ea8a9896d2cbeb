import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing

/// The three solvers against solutions known independently: derived by hand, or planted.
@Suite struct QuadraticProgramSolverTests {
  /// min ½(x₁² + x₂²) − x₁ − x₂  s.t.  x₁ − x₂ = 0.5,  x₁ ≤ 0.6,  x₂ ≤ 5.
  /// Without the bound x₁ ≤ 0.6 the optimum is (1.25, 0.75); with it active, x = (0.6, 0.1).
  /// Stationarity: x₁ − 1 + ν + λ₁ = 0 and x₂ − 1 − ν = 0 give ν = −0.9, λ₁ = 1.3; λ₂ = 0.
  static let handProgram = QuadraticProgram(
    Q: Matrix([[1, 0], [0, 1]]), c: Vector([-1, -1]), E: Matrix([[1, -1]]), d: Vector([0.5]),
    G: Matrix([[1, 0], [0, 1]]), h: Vector([0.6, 5]))
  static let handSolution = KKTSolution(
    primal: Vector([0.6, 0.1]), equality: Vector([-0.9]), inequality: Vector([1.3, 0]))

  @Test func activeSetSolvesTheHandDerivedProblem() throws {
    let s = try ActiveSetQPSolver().solve(Self.handProgram).converged()
    #expect(relativeDifference(s.point, Self.handSolution) < 1e-14)
    #expect(s.activeSet == [0])
  }

  @Test func admmSolvesTheHandDerivedProblem() throws {
    let s = try ADMMQPSolver().solve(Self.handProgram).converged()
    #expect(relativeDifference(s.point, Self.handSolution) < 1e-12)
    #expect(s.activeSet == [0])
  }

  @Test(arguments: [(6, 2, 8, 3, 1 as UInt64), (10, 3, 8, 4, 2), (5, 0, 12, 4, 3), (8, 4, 0, 0, 4), (12, 1, 20, 9, 5)])
  func solversRecoverPlantedOptimum(_ n: Int, _ p: Int, _ m: Int, _ active: Int, _ seed: UInt64) throws {
    let planted = PlantedQuadraticProgram(variables: n, equalities: p, inequalities: m, active: active, seed: seed)
    for run in [try ActiveSetQPSolver().solve(planted.program), try ADMMQPSolver().solve(planted.program)] {
      let solution = try run.converged()
      #expect(run.status == .converged && run.residual == solution.residuals.worst, "\(run)")
      #expect(relativeDifference(solution.point, planted.solution) < 1e-10, "\(run.solver)")
      #expect(solution.activeSet == planted.active, "\(run.solver)")
      // Primal and dual feasibility and complementarity, recomputed here from the data.
      let x = solution.x, λ = solution.inequalityMultipliers
      if p > 0 { #expect((planted.program.E * x - planted.program.d).scalars.allSatisfy { abs($0) < 1e-10 }) }
      if m > 0 {
        let slack = planted.program.G * x - planted.program.h
        #expect(slack.scalars.allSatisfy { $0 < 1e-10 })
        #expect(λ.scalars.allSatisfy { $0 >= -1e-12 })
        #expect((0..<m).allSatisfy { abs(λ[$0] * slack[$0]) < 1e-10 })
      }
    }
  }

  @Test func equalitySolverMatchesTheKKTMatrixInverse() throws {
    let planted = PlantedQuadraticProgram(variables: 7, equalities: 3, inequalities: 0, active: 0, seed: 11)
    let s = try EqualityQPSolver().solve(planted.program).converged()
    #expect(relativeDifference(s.point, planted.solution) < 1e-12)
    #expect(s.residuals.worst < 1e-13)
  }

  @Test func infeasibleInequalitiesThrowTypedErrors() {
    // x₁ ≤ −1 and −x₁ ≤ −1 (x₁ ≥ 1).
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([0, 0]), G: Matrix([[1, 0], [-1, 0]]), h: Vector([-1, -1]))
    #expect(throws: QuadraticProgramError.self) { try ActiveSetQPSolver().solve(program).converged() }
    #expect(isInfeasible { try ActiveSetQPSolver().solve(program).converged() })
    #expect(isInfeasible { try ADMMQPSolver().solve(program).converged() })
  }

  @Test func infeasibleMixedConstraintsThrowTypedErrors() {
    // x₁ + x₂ = 3 with x₁ ≤ 1, x₂ ≤ 1.
    let program = QuadraticProgram(
      Q: Matrix([[2, 0], [0, 1]]), c: Vector([1, -1]), E: Matrix([[1, 1]]), d: Vector([3]),
      G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 1]))
    #expect(isInfeasible { try ActiveSetQPSolver().solve(program).converged() })
    #expect(isInfeasible { try ADMMQPSolver().solve(program).converged() })
  }

  @Test func inconsistentEqualitiesThrowTypedErrors() {
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([0, 0]), E: Matrix([[1, 1], [1, 1]]), d: Vector([1, 2]))
    #expect(isInfeasible { try ActiveSetQPSolver().solve(program).converged() })
    #expect(throws: QuadraticProgramError.linearlyDependentConstraints("E (2 rows) has rank 1")) {
      try EqualityQPSolver().solve(program).converged()
    }
  }

  @Test func unboundedAndNonconvexProblemsThrowTypedErrors() {
    // Q = 0, c = (−1, 0), x₂ ≤ 1: unbounded along x₁.
    let flat = QuadraticProgram(
      Q: Matrix([[0, 0], [0, 0]]), c: Vector([-1, 0]), G: Matrix([[0, 1]]), h: Vector([1]))
    #expect(throws: QuadraticProgramError.self) { try ADMMQPSolver().solve(flat).converged() }
    if case .unbounded? = error(of: { try ADMMQPSolver().solve(flat).converged() }) {
    } else {
      Issue.record(
        "expected .unbounded, got \(String(describing: error(of: { try ADMMQPSolver().solve(flat).converged() })))")
    }
    if case .notConvex? = error(of: { try ActiveSetQPSolver().solve(flat).converged() }) {
    } else {
      Issue.record("the active-set method needs Q positive definite")
    }
    // Indefinite Q: a saddle, not a minimum.
    let saddle = QuadraticProgram(
      Q: Matrix([[1, 0], [0, -1]]), c: Vector([0, 0]), E: Matrix([[1, 0]]), d: Vector([1]))
    for solve in [
      { try EqualityQPSolver().solve(saddle).converged() }, { try ADMMQPSolver().solve(saddle).converged() },
    ] {
      if case .notConvex? = error(of: solve) {} else { Issue.record("expected .notConvex for an indefinite Q") }
    }
  }

  @Test func semidefiniteQIsSolvedByADMM() throws {
    // min −x₁ − x₂ (a linear program) over 0 ≤ x ≤ 1 with x₁ + 2x₂ ≤ 2: vertex (1, 0.5),
    // multipliers λ(x₁ ≤ 1) = 0.5, λ(x₁ + 2x₂ ≤ 2) = 0.5.
    let lp = QuadraticProgram(
      Q: Matrix([[0, 0], [0, 0]]), c: Vector([-1, -1]), G: Matrix([[1, 0], [0, 1], [-1, 0], [0, -1], [1, 2]]),
      h: Vector([1, 1, 0, 0, 2]))
    let s = try ADMMQPSolver().solve(lp).converged()
    let expected = KKTSolution(
      primal: Vector([1, 0.5]), equality: Vector([]), inequality: Vector([0.5, 0, 0, 0, 0.5]))
    #expect(relativeDifference(s.point, expected) < 1e-10)
  }

  /// A duplicated active constraint (LICQ fails): x is unique, only the multipliers' sum is.
  /// min ½‖x‖² − x₁ − x₂ s.t. x₁ ≤ 0.5 (twice): x = (0.5, 1), λ₀ + λ₁ = 0.5.
  @Test func duplicatedActiveConstraintIsSolved() throws {
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([-1, -1]), G: Matrix([[1, 0], [1, 0], [0, 1]]), h: Vector([0.5, 0.5, 4]))
    for run in [try ActiveSetQPSolver().solve(program), try ADMMQPSolver().solve(program)] {
      let s = try run.converged()
      let λ = s.inequalityMultipliers
      #expect(TestSupport.relativeError(s.x, Vector([0.5, 1])) < 1e-12, "\(run.solver)")
      #expect(abs(λ[0] + λ[1] - 0.5) < 1e-12 && λ[0] >= 0 && λ[1] >= 0 && λ[2] == 0, "\(run.solver)")
    }
  }

  @Test func weaklyActiveConstraintsAreDetected() throws {
    // The unconstrained optimum x = (1, 0) sits exactly on x₁ ≤ 1: λ = 0 and slack = 0.
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([-1, 0]), G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 3]))
    for run in [try ActiveSetQPSolver().solve(program), try ADMMQPSolver().solve(program)] {
      #expect(try run.converged().weaklyActiveConstraints() == [0], "\(run.solver)")
    }
    let planted = PlantedQuadraticProgram(variables: 6, equalities: 1, inequalities: 6, active: 2, seed: 9)
    #expect(try ActiveSetQPSolver().solve(planted.program).converged().weaklyActiveConstraints().isEmpty)
  }

  @Test func invalidShapesThrowTypedErrors() {
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([0, 0, 0]), G: Matrix([[1, 0]]), h: Vector([1]))
    #expect(throws: ImplicitError.self) { try ActiveSetQPSolver().solve(program).converged() }
    #expect(throws: ImplicitError.self) { try ADMMQPSolver().solve(program).converged() }
  }
}

func error(of body: () throws -> QuadraticProgramSolution) -> QuadraticProgramError? {
  do {
    _ = try body()
    return nil
  } catch let e as QuadraticProgramError {
    return e
  } catch {
    return nil
  }
}

func isInfeasible(_ body: () throws -> QuadraticProgramSolution) -> Bool {
  if case .infeasible? = error(of: body) { return true }
  return false
}
