public import ImplicitCore

/// The `qp` family of reference cases: `x* = argmin ½xᵀQx + cᵀx s.t. Ex = d, Gx ≤ h` with its
/// multipliers (`L = f + νᵀ(Ex − d) + λᵀ(Gx − h)`, `λ ≥ 0`), differentiated with respect to any
/// of `Q`, `c`, `E`, `d`, `G`, `h` listed under `theta`. Outputs `x`, `dual_eq` (ν),
/// `dual_ineq` (λ).
///
/// Methods: `kkt-active-set` (and cases naming no method) solve with ``ActiveSetQPSolver``
/// (falling back to ``ADMMQPSolver`` when `Q` is only semidefinite); `osqp` solves with
/// ``ADMMQPSolver`` (OSQP-style ADMM + active-set polish). Both differentiate the full
/// primal–dual solution through ``QuadraticProgramKKTCondition``,
/// `F = (Q_s x + c + Eᵀν + Gᵀλ, Ex − d, λ∘(Gx − h))`, by ``ImplicitDifferentiator`` (dense LU).
///
/// Why LU suffices where the JAXopt reference of the `osqp` case needed a min-norm
/// least-squares solve: that reference differentiated BoxOSQP's own KKT system, which is
/// structurally singular; this condition's `∂F/∂z` is square and non-singular under LICQ,
/// strict complementarity and `Q_s` positive definite on the null space of the active
/// constraints (see ``QuadraticProgramKKTCondition``). A weakly active constraint (`λᵢ = 0` and
/// `(Gx − h)ᵢ = 0`, both within 1e-9 relative) makes `∂F/∂z` singular and the solution
/// non-differentiable: the case fails with ``QuadraticProgramError/weaklyActiveConstraints(indices:tolerance:)``
/// rather than returning a least-squares answer. (For a one-sided derivative, differentiate
/// with a ``ComplementarityMask``.)
public enum QuadraticProgramFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "qp",
    formula: "F(z, θ) = (½(Q+Qᵀ)x + c + Eᵀν + Gᵀλ, Ex − d, λ∘(Gx − h)),  z = (x, ν, λ)",
    assumptions: [
      "½(Q + Qᵀ) positive semidefinite, and positive definite on the null space of the active constraints",
      "LICQ: the rows of E and the active rows of G are linearly independent",
      "strict complementarity: λᵢ > 0 for every active constraint (weakly active → typed error)",
    ],
    module: "ImplicitKKT", methods: ["osqp", "kkt-active-set"], acceptsNoMethod: true,
    makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  /// Solves `program` with the solver that `method` names.
  static func solve(_ program: QuadraticProgram, method: String?) throws -> SolverResult<QuadraticProgramSolution> {
    if method == "osqp" { return try ADMMQPSolver().solve(program) }
    do {
      return try ActiveSetQPSolver().solve(program)
    } catch QuadraticProgramError.notConvex {
      // Goldfarb–Idnani needs Q positive definite; ADMM handles a semidefinite Q.
      return try ADMMQPSolver().solve(program)
    }
  }

  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let method = c.method
    return try QuadraticProgramCase.instance(c, inequalities: true, solve: { try solve($0, method: method) }) {
      run, solution in
      try QuadraticProgramCase.requireStrictComplementarity(solution)
      return [
        "solver: \(run.solver), \(run.iterations) iteration(s); active set \(solution.activeSet) of \(solution.inequalityMultipliers.count)",
        "KKT residuals (relative): \(solution.residuals)",
        "strict complementarity margin: \(solution.complementarityMargin)",
      ]
    }
  }
}
