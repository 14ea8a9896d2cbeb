public import ImplicitCore
import ImplicitObjectives

/// How a minimisation ended.
public enum MinimizationStatus: Sendable, Hashable, CustomStringConvertible {
  /// `‖∇ₓf‖ ≤ tolerance`.
  case converged
  /// The iteration budget ran out before the tolerance was met.
  case maxIterationsReached
  /// The requested fixed number of iterations was run (no early stopping; benchmarks).
  case completedFixedIterations
  /// No step along the search direction decreased the objective (or its gradient norm).
  case lineSearchFailed
  /// An iterate, the objective or its gradient became NaN or ±∞.
  case nonFinite
  /// The input was rejected before iterating (shape mismatch, NaN, bad setting); says why.
  case invalidInput(String)

  public var description: String {
    switch self {
    case .converged: "converged"
    case .maxIterationsReached: "max-iterations"
    case .completedFixedIterations: "fixed-iterations"
    case .lineSearchFailed: "line-search-failed"
    case .nonFinite: "non-finite"
    case .invalidInput(let why): "invalid input (\(why))"
    }
  }
}

/// The outcome of a minimisation: never just a vector.
public struct MinimizationResult: Sendable, CustomStringConvertible {
  /// The last iterate (meaningful as a solution only when ``isConverged``).
  public var solution: Vector<Double>
  /// `‖∇ₓf‖` at ``solution``.
  public var gradientNorm: Double
  /// Iterations run.
  public var iterations: Int
  /// How it ended.
  public var status: MinimizationStatus
  /// The tolerance on `‖∇ₓf‖` it was run with.
  public var tolerance: Double
  /// The solver's name.
  public var solver: String

  public init(
    solution: Vector<Double>, gradientNorm: Double, iterations: Int, status: MinimizationStatus, tolerance: Double,
    solver: String
  ) {
    self.solution = solution
    self.gradientNorm = gradientNorm
    self.iterations = iterations
    self.status = status
    self.tolerance = tolerance
    self.solver = solver
  }

  /// Whether `‖∇ₓf‖ ≤ tolerance` at a finite solution (whatever the stopping mode).
  public var isConverged: Bool { solution.isFinite && gradientNorm.isFinite && gradientNorm <= tolerance }

  /// The solution if ``isConverged``; otherwise throws
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` (or
  /// ``ImplicitError/nonFinite(what:)``), so a wrong vector is never returned silently.
  public func converged() throws -> Vector<Double> {
    if case .invalidInput(let why) = status { throw ImplicitError.invalidArgument(why) }
    if !solution.isFinite || !gradientNorm.isFinite { throw ImplicitError.nonFinite(what: "the iterate of \(solver)") }
    guard gradientNorm <= tolerance else {
      throw ImplicitError.solverDidNotConverge(
        solver: "\(solver) (\(status))", iterations: iterations, residual: gradientNorm)
    }
    return solution
  }

  public var description: String {
    "\(solver): \(status) after \(iterations) iteration(s), ‖∇f‖ = \(gradientNorm) (tolerance \(tolerance))"
  }
}

/// Checks what a minimiser can check before iterating: finite `x₀` and `θ`, and the
/// objective's shapes when it is a ``ShapeCheckedObjective``. Returns why not, or `nil`.
func inputProblem<Objective: ParametricObjective>(
  _ objective: Objective, _ initial: Vector<Double>, _ θ: Vector<Double>
) -> String? {
  if !initial.isFinite { return "the initial point has NaN or ±∞" }
  if !θ.isFinite { return "θ has NaN or ±∞" }
  do {
    if let checked = objective as? any ShapeCheckedObjective { try checked.validate(initial, θ) }
  } catch {
    return "\(error)"
  }
  return nil
}

/// A solver that minimises a ``ParametricObjective`` in `x` for fixed `θ`.
public protocol Minimizer {
  /// Minimises `f(·, θ)` from `initial`. Never traps on user input; read the result's status.
  func minimize<Objective: ParametricObjective>(
    _ objective: Objective, from initial: Vector<Double>, _ θ: Vector<Double>
  ) -> MinimizationResult
}
