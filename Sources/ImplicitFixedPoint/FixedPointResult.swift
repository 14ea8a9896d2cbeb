public import ImplicitCore

/// How a fixed-point solve ended.
public enum FixedPointStatus: Sendable, Hashable, CustomStringConvertible {
  /// `‖T(x, θ) − x‖ ≤ tolerance`.
  case converged
  /// The iteration budget ran out first.
  case maxIterationsReached
  /// An iterate or `T(x, θ)` became NaN or ±∞.
  case nonFinite

  public var description: String {
    switch self {
    case .converged: "converged"
    case .maxIterationsReached: "max-iterations"
    case .nonFinite: "non-finite"
    }
  }
}

/// The outcome of a fixed-point solve: never just a value.
public struct FixedPointResult<Solution: InnerProductSpace>: CustomStringConvertible {
  /// The last iterate whose residual was measured (a solution only when ``isConverged``).
  public var solution: Solution
  /// `‖T(x, θ) − x‖` at ``solution``.
  public var residualNorm: Double
  /// Iterations run.
  public var iterations: Int
  /// Evaluations of `T` (Anderson's safeguard may spend more than one per iteration).
  public var mapEvaluations: Int
  /// How it ended.
  public var status: FixedPointStatus
  /// The tolerance on `‖T(x, θ) − x‖`.
  public var tolerance: Double
  /// The solver's name.
  public var solver: String

  public init(
    solution: Solution, residualNorm: Double, iterations: Int, mapEvaluations: Int, status: FixedPointStatus,
    tolerance: Double, solver: String
  ) {
    self.solution = solution
    self.residualNorm = residualNorm
    self.iterations = iterations
    self.mapEvaluations = mapEvaluations
    self.status = status
    self.tolerance = tolerance
    self.solver = solver
  }

  /// Whether `‖T(x, θ) − x‖ ≤ tolerance` at a finite solution.
  public var isConverged: Bool { status == .converged && solution.isFinite && residualNorm <= tolerance }

  /// The solution if ``isConverged``; otherwise throws
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` or
  /// ``ImplicitError/nonFinite(what:)``.
  public func converged() throws -> Solution {
    if !solution.isFinite || !residualNorm.isFinite { throw ImplicitError.nonFinite(what: "the iterate of \(solver)") }
    guard isConverged else {
      throw ImplicitError.solverDidNotConverge(
        solver: "\(solver) (\(status))", iterations: iterations, residual: residualNorm)
    }
    return solution
  }

  public var description: String {
    "\(solver): \(status) after \(iterations) iteration(s) (\(mapEvaluations) evaluations of T), "
      + "‖T(x) − x‖ = \(residualNorm) (tolerance \(tolerance))"
  }
}

extension FixedPointResult: Sendable where Solution: Sendable {}

/// A solver for `x = T(x, θ)`.
public protocol FixedPointSolver {
  /// Iterates from `initial`. Throws only for invalid input (``FixedPointMap/validate(_:_:)``);
  /// non-convergence is reported in the result's status.
  func solve<Map: FixedPointMap>(
    _ map: Map, from initial: Map.Solution, _ θ: Map.Parameter
  ) throws -> FixedPointResult<Map.Solution>
}
