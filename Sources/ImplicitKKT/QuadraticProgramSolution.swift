public import ImplicitCore

/// A primal–dual point of a ``QuadraticProgram`` with the active set it was polished on and its
/// KKT residuals: the solution type of the QP solvers' ``SolverResult`` (which adds the status,
/// iterations and the worst relative KKT residual).
public struct QuadraticProgramSolution: Sendable {
  /// `z = (x, ν, λ)`.
  public var point: KKTSolution
  /// The inequality constraints treated as active (held with equality) in the final solve,
  /// ascending.
  public var activeSet: [Int]
  /// The KKT residuals of ``point``.
  public var residuals: KKTResiduals
  /// `Gx − h` at ``point`` (empty without inequality constraints).
  public var slack: Vector<Double>
  /// The scale `max(1, ‖Gx‖∞, ‖h‖∞)` of ``slack``.
  public var slackScale: Double
  /// Factors of the equality-QP KKT matrix of the final active set, from the solver (the polish's
  /// LU, or the Goldfarb–Idnani factors of an unpolished run): ``QuadraticProgramLayer``'s backward
  /// pass solves with them rather than factorising that matrix again.
  var activeSetFactors: ActiveSetFactors?

  /// Assembles a solution, computing residuals and slacks from `program`.
  public init(program: QuadraticProgram, point: KKTSolution, activeSet: [Int]) {
    self.point = point
    self.activeSet = activeSet
    residuals = KKTResiduals(program: program, point: point)
    if program.inequalityCount > 0 {
      let gx = program.G * point.primal
      slack = gx - program.h
      slackScale = max(1, gx.maxAbs, program.h.maxAbs)
    } else {
      slack = Vector([])
      slackScale = 1
    }
  }

  /// `x`.
  public var x: Vector<Double> { point.primal }
  /// `ν` (multipliers of `Ex = d`).
  public var equalityMultipliers: Vector<Double> { point.equality }
  /// `λ` (multipliers of `Gx ≤ h`, nonnegative).
  public var inequalityMultipliers: Vector<Double> { point.inequality }

  /// The inequality constraints that are weakly active: `λᵢ ≤ tolerance·max(1, ‖λ‖∞)` and
  /// `|(Gx − h)ᵢ| ≤ tolerance·max(1, ‖Gx‖∞, ‖h‖∞)`. Where there are any, strict complementarity
  /// fails and the solution is not differentiable (only one-sided derivatives exist).
  public func weaklyActiveConstraints(tolerance: Double = 1e-9) -> [Int] {
    let λ = point.inequality
    let λScale = max(1, λ.maxAbs)
    return (0..<λ.count).filter {
      abs(λ[$0]) <= tolerance * λScale && abs(slack[$0]) <= tolerance * slackScale
    }
  }

  /// The smallest margin of strict complementarity, `minᵢ max(λᵢ/‖λ‖, −(Gx − h)ᵢ/scale)`
  /// (relative; `∞` without inequality constraints). Near zero means nearly weakly active.
  public var complementarityMargin: Double {
    let λ = point.inequality
    let λScale = max(1, λ.maxAbs)
    return (0..<λ.count).map { max(λ[$0] / λScale, -slack[$0] / slackScale) }.min() ?? .infinity
  }
}

/// Factors that solve the equality-QP KKT system of a solution's active set.
enum ActiveSetFactors {
  case lu(EqualityKKTSystem.Factorized)
  case goldfarbIdnani(GoldfarbIdnaniFactors)
}

/// A solver of ``QuadraticProgram``s, with the library's calling convention: `try
/// solver.solve(program)` (the program's data are its parameters `θ`) throws an ``ImplicitError``
/// for invalid data (shapes, NaN) or a ``QuadraticProgramError`` when it proves the program has no
/// unique solution (infeasible, unbounded, not convex, dependent equalities), and otherwise
/// returns a ``SolverResult`` whose `residual` is the worst relative KKT residual
/// (``KKTResiduals/worst``) of the returned point.
public protocol QuadraticProgramSolver {
  /// Solves `program`. Read the result's status, or call `converged()`.
  func solve(_ program: QuadraticProgram) throws -> SolverResult<QuadraticProgramSolution>
}

/// The status of a finished QP solve whose final point has worst relative KKT residual `worst`.
func qpStatus(_ worst: Double, tolerance: Double) -> SolverStatus {
  if !worst.isFinite { return .nonFinite }
  return worst <= tolerance
    ? .converged : .breakdown("the final point's relative KKT residual \(worst) exceeds the tolerance")
}
