/// Why a quadratic program has no (unique, differentiable) solution: thrown by the QP solvers
/// when they prove it, and by the KKT condition. A run that merely stops short is not an error
/// of the problem: it is reported in the ``SolverResult``'s status.
public enum QuadraticProgramError: Error, Sendable, Equatable, CustomStringConvertible {
  /// No `x` satisfies the constraints; `evidence` says how it was detected.
  case infeasible(solver: String, evidence: String)
  /// The objective is unbounded below on the feasible set.
  case unbounded(solver: String, evidence: String)
  /// `Q` is not positive semidefinite (or not positive definite where the method needs it).
  case notConvex(String)
  /// The constraints that must hold with equality are linearly dependent (LICQ fails), so the
  /// multipliers are not unique.
  case linearlyDependentConstraints(String)
  /// The KKT matrix of the active set is singular (LICQ or second-order condition fails).
  case singularKKTSystem(activeInequalities: [Int])
  /// Constraints with `λᵢ ≈ 0` and `(Gx − h)ᵢ ≈ 0`: the solution is not differentiable there
  /// (`∂F/∂z` is singular); see ``ComplementarityMask`` for the one-sided alternative.
  case weaklyActiveConstraints(indices: [Int], tolerance: Double)

  public var description: String {
    switch self {
    case .infeasible(let solver, let evidence): "\(solver): the quadratic program is infeasible (\(evidence))"
    case .unbounded(let solver, let evidence): "\(solver): the quadratic program is unbounded below (\(evidence))"
    case .notConvex(let why): "the quadratic program is not convex: \(why)"
    case .linearlyDependentConstraints(let why): "linearly dependent constraints (LICQ fails): \(why)"
    case .singularKKTSystem(let active):
      "the KKT matrix on the active set \(active) is singular (LICQ or the second-order condition fails)"
    case .weaklyActiveConstraints(let indices, let tolerance):
      "inequality constraints \(indices) are weakly active (λᵢ and (Gx − h)ᵢ both within \(tolerance) relative): "
        + "the solution is not differentiable there (∂F/∂z is singular)"
    }
  }
}
