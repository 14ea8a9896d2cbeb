import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing

/// `QuadraticProgram` needs no empty constraint blocks, rejects inconsistent shapes with typed
/// errors, and every QP solver reports how its run ended in a ``SolverResult``.
@Suite struct QuadraticProgramShapeTests {
  let Q = Matrix([[2.0, 0.5], [0.5, 1]])
  let c = Vector([-1.0, -1])

  @Test func inequalityOnlyProgramNeedsNoEqualityBlock() throws {
    // min ½xᵀQx + cᵀx s.t. x₁ + x₂ ≤ 0.5: the constraint is active.
    let program = QuadraticProgram(Q: Q, c: c, G: Matrix([[1, 1]]), h: Vector([0.5]))
    #expect(program.equalityCount == 0 && program.inequalityCount == 1 && program.E.columns == 2)
    try program.validate()
    let explicit = QuadraticProgram(
      Q: Q, c: c, E: Matrix(rows: 0, columns: 2, scalars: []), d: Vector([]), G: Matrix([[1, 1]]), h: Vector([0.5]))
    #expect(program.flattened == explicit.flattened)
    // Closed form on the active constraint: Qx + c + λ(1, 1) = 0, x₁ + x₂ = 0.5.
    // Q⁻¹ = [[1, −0.5], [−0.5, 2]]/1.75; x = −Q⁻¹(c + λ1), 1ᵀx = 0.5 gives λ.
    let qInverse = [[1 / 1.75, -0.5 / 1.75], [-0.5 / 1.75, 2 / 1.75]]
    let sumOfInverse = qInverse.flatMap { $0 }.reduce(0, +)
    let qInverseC = qInverse.map { $0[0] * c[0] + $0[1] * c[1] }
    let λ = (-0.5 - qInverseC.reduce(0, +)) / sumOfInverse
    let x = (0..<2).map { i in -(qInverseC[i] + λ * qInverse[i].reduce(0, +)) }
    for run in [try ActiveSetQPSolver().solve(program), try ADMMQPSolver().solve(program)] {
      let s = try run.converged()
      #expect(run.status == .converged && run.residual <= run.tolerance, "\(run)")
      #expect(TestSupport.relativeError(s.x, Vector(x)) < 1e-12, "\(run.solver)")
      #expect(Swift.abs(s.inequalityMultipliers[0] - λ) < 1e-12, "\(run.solver)")
      #expect(s.equalityMultipliers.isEmpty)
    }
  }

  @Test func unconstrainedProgramNeedsNoConstraintBlocks() throws {
    let program = QuadraticProgram(Q: Q, c: c)
    #expect(program.equalityCount == 0 && program.inequalityCount == 0)
    // x = −Q⁻¹c.
    let expected = Vector([(1 * 1 - 0.5 * 1) / 1.75, (-0.5 * 1 + 2 * 1) / 1.75])
    let solvers: [any QuadraticProgramSolver] = [EqualityQPSolver(), ActiveSetQPSolver(), ADMMQPSolver()]
    for solver in solvers {
      let run = try solver.solve(program)
      #expect(TestSupport.relativeError(try run.converged().x, expected) < 1e-12, "\(run.solver)")
    }
  }

  @Test func mismatchedShapesAreTypedErrorsForEverySolver() {
    let programs = [
      QuadraticProgram(Q: Matrix([[1.0, 0, 0], [0, 1, 0]]), c: c),  // Q not n × n
      QuadraticProgram(Q: Q, c: c, G: Matrix([[1.0, 1, 1]]), h: Vector([1])),  // G has 3 columns
      QuadraticProgram(Q: Q, c: c, G: Matrix([[1.0, 1]]), h: Vector([1, 2])),  // h has 2 entries
      QuadraticProgram(Q: Q, c: c, E: Matrix([[1.0, 1]]), d: Vector([])),  // d is empty
      QuadraticProgram(Q: Q, c: c, E: Matrix([[1.0], [1]]), d: Vector([1, 2])),  // E has 1 column
    ]
    let solvers: [any QuadraticProgramSolver] = [EqualityQPSolver(), ActiveSetQPSolver(), ADMMQPSolver()]
    for program in programs {
      #expect(throws: ImplicitError.self) { try program.validate() }
      for solver in solvers {
        #expect {
          _ = try solver.solve(program)
        } throws: { error in
          if case ImplicitError.shapeMismatch = error { return true }
          return false
        }
      }
    }
    let nan = QuadraticProgram(Q: Q, c: Vector([.nan, 0]))
    #expect(throws: ImplicitError.nonFinite(what: "c")) { try ActiveSetQPSolver().solve(nan) }
  }

  @Test func anExhaustedBudgetIsAStatusNotAnError() throws {
    let planted = PlantedQuadraticProgram(variables: 8, equalities: 2, inequalities: 10, active: 4, seed: 5)
    let runs = [
      try ActiveSetQPSolver(maxIterations: 1).solve(planted.program),
      try ADMMQPSolver(maxIterations: 10).solve(planted.program),
    ]
    for run in runs {
      #expect(run.status == .maxIterationsReached, "\(run)")
      #expect(run.residual == run.solution.residuals.worst && !(run.residual <= run.tolerance), "\(run)")
      #expect {
        _ = try run.converged()
      } throws: { error in
        guard case ImplicitError.solverDidNotConverge(_, let iterations, let residual) = error else { return false }
        return iterations == run.iterations && residual == run.residual
      }
    }
  }
}
