public import ImplicitCore

/// The `equality-qp` family of reference cases: `x* = argmin ½xᵀQx + cᵀx s.t. Ex = d` with its
/// multiplier ν (`L = f + νᵀ(Ex − d)`), differentiated with respect to any of `Q`, `c`, `E`,
/// `d` listed under `theta`. Outputs `x`, `dual_eq`.
///
/// Solved directly by ``EqualityQPSolver`` (dense LU of the KKT matrix) and differentiated
/// through ``QuadraticProgramKKTCondition`` without inequality constraints,
/// `F = (Q_s x + c + Eᵀν, Ex − d)`, whose `∂F/∂z` is the KKT matrix `[[Q_s, Eᵀ], [E, 0]]`:
/// non-singular when `E` has full row rank and `Q_s` is positive definite on its null space
/// (both checked by the solver, with typed errors).
public enum EqualityQuadraticProgramFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "equality-qp",
    formula: "F(z, θ) = (½(Q+Qᵀ)x + c + Eᵀν, Ex − d),  z = (x, ν)",
    assumptions: [
      "E has full row rank",
      "½(Q + Qᵀ) positive definite on the null space of E",
    ],
    module: "ImplicitKKT", makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    try QuadraticProgramCase.instance(c, inequalities: false, solve: { try EqualityQPSolver().solve($0) }) {
      run, solution in
      ["solver: \(run.solver); KKT residuals (relative): \(solution.residuals)"]
    }
  }
}
