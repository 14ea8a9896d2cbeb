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
    module: "ImplicitKKT", makeInstance: makeInstance, evaluate: evaluate)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  static func packedCondition(_ c: ReferenceCase) throws -> PackedQuadraticProgramKKT {
    let program = try QuadraticProgramCase.program(c, inequalities: false)
    try program.validate()
    return PackedQuadraticProgramKKT(data: program, pack: ParameterPack(c), condition: QuadraticProgramKKTCondition())
  }

  @Sendable static func makeInstance(_ c: ReferenceCase) throws -> any RunnableInstance {
    let condition = try packedCondition(c)
    return Instance(condition: condition, parameter: condition.pack.packed) { θ, _ in
      try EqualityQPSolver().solve(condition.program(θ)).converged().point
    }
  }

  @Sendable static func evaluate(_ c: ReferenceCase) throws -> CaseEvaluation {
    let condition = try packedCondition(c)
    let run = try EqualityQPSolver().solve(condition.data)
    let solution = try run.converged()
    let pack = condition.pack
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: solution.point, pack.packed)
    let n = condition.data.variableCount, p = condition.data.equalityCount
    return CaseEvaluation(
      outputs: [
        "x": pack.output(NDArray(solution.x), jacobian: QuadraticProgramCase.rows(jacobian.matrix, from: 0, count: n)),
        "dual_eq": pack.output(
          NDArray(solution.equalityMultipliers), jacobian: QuadraticProgramCase.rows(jacobian.matrix, from: n, count: p)
        ),
      ],
      notes: [
        "solver: \(run.solver); KKT residuals (relative): \(solution.residuals)",
        "implicit: \(jacobian.assembly) on the KKT condition; \(jacobian.diagnostics)",
      ])
  }
}
