public import ImplicitCore

/// Solves an equality-constrained quadratic program `min ½xᵀQx + cᵀx s.t. Ex = d` directly,
/// from its KKT system
///
///     [ Q_s  Eᵀ ] [x]   [−c]
///     [ E    0  ] [ν] = [ d]          (Q_s = ½(Q + Qᵀ))
///
/// by dense LU with iterative refinement (the result reports one iteration).
///
/// Before solving it checks what makes `(x, ν)` the unique minimiser and multiplier: `E` has
/// full row rank (else ``QuadraticProgramError/linearlyDependentConstraints(_:)``) and `Q_s` is
/// positive definite on the null space of `E` (else ``QuadraticProgramError/notConvex(_:)``:
/// the stationary point would be a saddle or not unique). The result's `residual` is the worst
/// relative KKT residual of the solution; above ``tolerance`` (an ill-conditioned system) the
/// status is ``SolverStatus/breakdown(_:)``.
public struct EqualityQPSolver: QuadraticProgramSolver, Sendable {
  /// The largest relative KKT residual accepted (see ``KKTResiduals``).
  public var tolerance: Double

  /// A solver accepting relative KKT residuals up to `tolerance`.
  public init(tolerance: Double = 1e-10) { self.tolerance = tolerance }

  /// Solves `program`, which must have no inequality constraints.
  public func solve(_ program: QuadraticProgram) throws -> SolverResult<QuadraticProgramSolution> {
    try program.validate()
    guard program.inequalityCount == 0 else {
      throw ImplicitError.invalidArgument(
        "EqualityQPSolver solves Ex = d only; \(program.inequalityCount) inequality constraints given")
    }
    let n = program.variableCount
    let q = program.symmetrizedQ
    let rows = DenseQP.rows(of: program.E)
    let (nullSpace, rank) = DenseQP.nullSpace(of: rows, columns: n)
    guard rank == rows.count else {
      throw QuadraticProgramError.linearlyDependentConstraints("E (\(rows.count) rows) has rank \(rank)")
    }
    guard DenseQP.isPositiveDefinite(q, n: n, on: nullSpace) else {
      throw QuadraticProgramError.notConvex("½(Q + Qᵀ) is not positive definite on the null space of E")
    }
    guard let (x, ν) = EqualityKKTSystem(q: q, n: n, rows: rows).solve(c: program.c.scalars, b: program.d.scalars)
    else {
      throw QuadraticProgramError.singularKKTSystem(activeInequalities: [])
    }
    let solution = QuadraticProgramSolution(
      program: program, point: KKTSolution(primal: Vector(x), equality: Vector(ν), inequality: Vector([])),
      activeSet: [])
    let worst = solution.residuals.worst
    return SolverResult(
      solution: solution, status: qpStatus(worst, tolerance: tolerance), iterations: 1, residual: worst,
      tolerance: tolerance, solver: "equality-qp (dense LU)")
  }
}
