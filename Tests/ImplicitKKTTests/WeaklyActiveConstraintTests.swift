import ImplicitCore
import ImplicitKKT
import Testing
import _Differentiation

/// A weakly active constraint is named on every path (it used to surface as "dense-lu: singular
/// after 1 iteration(s), residual nan" without saying which constraint).
@Suite("Weakly active constraints, named on every path")
struct WeaklyActiveConstraintTests {
  /// Constraint 0 is weakly active at the optimum `x = (1, 0)` (see `ImplicitJacobianTests`).
  func weaklyActive() throws -> (program: QuadraticProgram, z: KKTSolution) {
    let program = QuadraticProgram(
      Q: Matrix([[2, 0.5], [0.5, 1]]), c: Vector([-2, -0.5]), E: Matrix([[1, 1]]), d: Vector([1]),
      G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 3]))
    let solution = try ActiveSetQPSolver().solve(program).converged()
    try #require(solution.weaklyActiveConstraints() == [0])
    return (program, solution.point)
  }

  @Test func quadraticProgramConditionNamesTheConstraint() throws {
    let (program, z) = try weaklyActive()
    let expected = [Degeneracy(.weaklyActiveConstraint, indices: [0])]
    let condition = QuadraticProgramKKTCondition()
    #expect(condition.degeneracies(at: z, program, tolerance: 1e-9) == expected)
    let d = ImplicitDifferentiator(condition)
    #expect(throws: ImplicitError.degenerate(expected)) { try d.jacobian(at: z, program) }
    #expect(throws: ImplicitError.degenerate(expected)) { try d.vjp(z, at: z, program) }
    #expect(throws: ImplicitError.degenerate(expected)) { try d.jvp(program, at: z, program) }
    #expect(ImplicitError.degenerate(expected).description.contains("weakly active inequality constraints [0]"))
    // Masked as inactive, the constraint is no longer a degeneracy: the one-sided derivative.
    let masked = QuadraticProgramKKTCondition(mask: ComplementarityMask(inactive: [0]))
    #expect(masked.degeneracies(at: z, program, tolerance: 1e-9).isEmpty)
    #expect(try ImplicitDifferentiator(masked).jacobian(at: z, program).diagnostics.isReliable)
  }

  @Test func flaggedDerivativeListsTheConstraint() throws {
    let (program, z) = try weaklyActive()
    // With the degeneracy flagged, the singular A still fails the solve: both are reported.
    let options = ImplicitOptions(policy: .flagAll)
    let result = try ImplicitDifferentiator(QuadraticProgramKKTCondition(), options: options).jacobian(at: z, program)
    #expect(!result.diagnostics.isReliable)
    #expect(result.diagnostics.degeneracies == [Degeneracy(.weaklyActiveConstraint, indices: [0])])
    #expect(result.diagnostics.description.contains("weakly active inequality constraints [0]"))
  }

  @Test func generalKKTConditionNamesTheConstraint() throws {
    let (program, z) = try weaklyActive()
    let condition = KKTCondition(QuadraticProgramAsProblem(program: program))
    let expected = [Degeneracy(.weaklyActiveConstraint, indices: [0])]
    #expect(condition.degeneracies(at: z, program.c, tolerance: 1e-9) == expected)
    #expect(throws: ImplicitError.degenerate(expected)) {
      try ImplicitDifferentiator(condition).jacobian(at: z, program.c)
    }
    #expect(throws: ImplicitError.degenerate(expected)) {
      try ImplicitDifferentiator(condition).jvp(program.c, at: z, program.c)
    }
  }
}
