public import ImplicitCore

/// A solved ``QuadraticProgram``: the primal–dual point, the active set it was polished on, and
/// the verified KKT residuals. Solvers return one only after checking every residual against
/// their tolerance; otherwise they throw a ``QuadraticProgramError``.
public struct QuadraticProgramSolution: Sendable {
  /// `z = (x, ν, λ)`.
  public var point: KKTSolution
  /// The inequality constraints treated as active (held with equality) in the final solve,
  /// ascending.
  public var activeSet: [Int]
  /// Iterations of the method (active-set changes, or ADMM iterations).
  public var iterations: Int
  /// The method's name.
  public var solver: String
  /// The KKT residuals of ``point``.
  public var residuals: KKTResiduals
  /// `Gx − h` at ``point`` (empty without inequality constraints).
  public var slack: Vector<Double>
  /// The scale `max(1, ‖Gx‖∞, ‖h‖∞)` of ``slack``.
  public var slackScale: Double

  /// Assembles a solution, computing residuals and slacks from `program`.
  public init(program: QuadraticProgram, point: KKTSolution, activeSet: [Int], iterations: Int, solver: String) {
    self.point = point
    self.activeSet = activeSet
    self.iterations = iterations
    self.solver = solver
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
