import ImplicitCore

/// The last step of both inequality-QP solvers: given a guess of the active set, solve the
/// equality-constrained QP that holds those constraints (and `Ex = d`) with equality, set the
/// other multipliers to zero, and accept the result only if it is primal feasible, dual feasible
/// and complementary to within the tolerance. A right guess gives the solution to machine
/// precision, whatever the accuracy of the iterate the guess came from. Guessed constraints
/// whose rows depend linearly on the others are left out (their multipliers set to zero).
enum ActiveSetPolish {
  enum Outcome {
    case solved(QuadraticProgramSolution)
    /// The KKT matrix of this active set is singular.
    case singular
    /// Solved, but some residual exceeds the tolerance (wrong active set).
    case rejected(QuadraticProgramSolution)
  }

  static func polish(
    _ program: QuadraticProgram, symmetrizedQ q: [Double], active: [Int], tolerance: Double
  ) -> Outcome {
    let n = program.variableCount, p = program.equalityCount, m = program.inequalityCount
    let gRows = DenseQP.rows(of: program.G), eRows = DenseQP.rows(of: program.E)
    // Active rows that depend on the others (LICQ fails, e.g. a duplicated constraint) would make
    // the KKT matrix singular; their multipliers are not unique, and zero is a valid choice.
    let candidates = active.sorted()
    let active = DenseQP.independentRows(candidates.map { gRows[$0] }, after: eRows, columns: n).map { candidates[$0] }
    let rows = eRows + active.map { gRows[$0] }
    let b = program.d.scalars + active.map { program.h[$0] }
    guard let factorized = EqualityKKTSystem(q: q, n: n, rows: rows).factorized(),
      let (x, y) = factorized.solve(c: program.c.scalars, b: b)
    else { return .singular }
    var λ = [Double](repeating: 0, count: m)
    for (i, index) in active.enumerated() { λ[index] = y[p + i] }
    let point = KKTSolution(primal: Vector(x), equality: Vector(Array(y[0..<p])), inequality: Vector(λ))
    var solution = QuadraticProgramSolution(program: program, point: point, activeSet: active)
    solution.activeSetFactors = .lu(factorized)
    return solution.residuals.isWithin(tolerance) ? .solved(solution) : .rejected(solution)
  }
}
