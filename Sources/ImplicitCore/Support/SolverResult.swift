/// How an iterative solver of the optimisation problem ended.
public enum SolverStatus: Sendable, Hashable, CustomStringConvertible {
  /// The solver's residual met its tolerance.
  case converged
  /// The iteration budget ran out before the tolerance was met.
  case maxIterationsReached
  /// A fixed number of iterations was requested and run; no tolerance was tested (benchmarks,
  /// unrolled differentiation).
  case completedFixedIterations
  /// An iterate, objective value or gradient became NaN or ±∞.
  case nonFinite
  /// A line search or backtracking rule found no acceptable step.
  case lineSearchFailed
  /// The method cannot continue (a zero pivot, a lost direction); says why.
  case breakdown(String)

  public var description: String {
    switch self {
    case .converged: "converged"
    case .maxIterationsReached: "max-iterations"
    case .completedFixedIterations: "fixed-iterations"
    case .nonFinite: "non-finite"
    case .lineSearchFailed: "line-search-failed"
    case .breakdown(let why): "breakdown (\(why))"
    }
  }
}

/// The outcome of every iterative solver of the library: never just a vector.
///
/// Solvers share one calling convention, `try solver.solve(problem, θ, from: x0)`: it throws an
/// ``ImplicitError`` when the input is invalid (shapes, NaN, a bad setting) and otherwise returns
/// a result whose ``status`` says how the run ended. ``converged()`` turns anything but success
/// into a typed error, so an unconverged point is never used silently.
public struct SolverResult<Solution>: CustomStringConvertible {
  /// The last iterate (a solution only when ``isConverged``).
  public var solution: Solution
  /// How the run ended.
  public var status: SolverStatus
  /// Iterations performed.
  public var iterations: Int
  /// The solver's optimality measure at ``solution`` (each solver documents which: a gradient
  /// norm, a gradient-mapping norm, `‖T(x) − x‖`, a KKT residual).
  public var residual: Double
  /// The tolerance ``residual`` was held to.
  public var tolerance: Double
  /// The solver's name, for messages.
  public var solver: String

  public init(
    solution: Solution, status: SolverStatus, iterations: Int, residual: Double, tolerance: Double, solver: String
  ) {
    self.solution = solution
    self.status = status
    self.iterations = iterations
    self.residual = residual
    self.tolerance = tolerance
    self.solver = solver
  }

  /// Whether the run met its tolerance.
  public var isConverged: Bool { status == .converged }

  /// Whether the run did what it was asked: converged, or completed its fixed iterations.
  public var isComplete: Bool { status == .converged || status == .completedFixedIterations }

  /// The solution if the run converged (or completed the fixed iterations it was asked for);
  /// otherwise throws ``ImplicitError/nonFinite(what:)`` or
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)``.
  public func converged() throws -> Solution {
    switch status {
    case .converged, .completedFixedIterations: return solution
    case .nonFinite: throw ImplicitError.nonFinite(what: "the iterate of \(solver) (iteration \(iterations))")
    case .maxIterationsReached, .lineSearchFailed, .breakdown:
      throw ImplicitError.solverDidNotConverge(
        solver: "\(solver) (\(status))", iterations: iterations, residual: residual)
    }
  }

  public var description: String {
    "\(solver): \(status) after \(iterations) iteration(s), residual \(residual) (tolerance \(tolerance))"
  }
}

extension SolverResult: Sendable where Solution: Sendable {}
