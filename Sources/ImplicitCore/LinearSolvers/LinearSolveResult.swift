/// How a linear solve ended.
public enum LinearSolveStatus: Sendable, Hashable, CustomStringConvertible {
  /// The residual met the tolerance.
  case converged
  /// The iteration budget ran out first.
  case maxIterationsReached
  /// The method broke down (a zero denominator, a lost direction); the string says where.
  case breakdown(String)
  /// The matrix is (numerically) singular.
  case singular
  /// Cholesky or CG met a direction of non-positive curvature.
  case notPositiveDefinite
  /// The right-hand side, operator output or preconditioner produced NaN or ±∞.
  case nonFiniteInput
  /// The iterate became NaN or ±∞.
  case nonFiniteOutput
  /// The method cannot run on this operator (e.g. normal-equation CG without `Aᵀ`).
  case unsupported(String)
  /// The solver's tolerances cannot stop a solve honestly (NaN, negative, or both zero).
  case invalidTolerance(String)
  /// The right-hand side's dimension is not the operator's.
  case dimensionMismatch(expected: Int, actual: Int)

  public var description: String {
    switch self {
    case .converged: "converged"
    case .maxIterationsReached: "max-iterations"
    case .breakdown(let why): "breakdown (\(why))"
    case .singular: "singular"
    case .notPositiveDefinite: "not positive definite"
    case .nonFiniteInput: "non-finite input"
    case .nonFiniteOutput: "non-finite output"
    case .unsupported(let why): "unsupported (\(why))"
    case .invalidTolerance(let why): "invalid tolerance (\(why))"
    case .dimensionMismatch(let expected, let actual): "right-hand side of dimension \(actual), operator \(expected)"
    }
  }
}

/// The outcome of a linear solve: never just a vector.
public struct LinearSolveResult<V> {
  /// The computed solution (meaningful only when ``isConverged``; otherwise the last iterate).
  public var solution: V
  /// How the solve ended.
  public var status: LinearSolveStatus
  /// Iterations (matrix-vector products for iterative methods; 1 for dense solves).
  public var iterations: Int
  /// `‖b − A x‖`, recomputed from scratch at the end rather than taken from a recurrence.
  public var residualNorm: Double
  /// `‖b‖`, to judge ``residualNorm`` against.
  public var rightHandSideNorm: Double
  /// The method's name.
  public var method: String

  public init(
    solution: V, status: LinearSolveStatus, iterations: Int, residualNorm: Double,
    rightHandSideNorm: Double, method: String
  ) {
    self.solution = solution
    self.status = status
    self.iterations = iterations
    self.residualNorm = residualNorm
    self.rightHandSideNorm = rightHandSideNorm
    self.method = method
  }

  /// Whether the solve converged to the requested tolerance.
  public var isConverged: Bool { status == .converged }
  /// `‖b − A x‖ / ‖b‖` (or the absolute residual when `b = 0`).
  public var relativeResidual: Double { rightHandSideNorm > 0 ? residualNorm / rightHandSideNorm : residualNorm }

  /// A summary without the solution.
  public var summary: LinearSolveSummary {
    LinearSolveSummary(
      method: method, status: status, iterations: iterations, residualNorm: residualNorm,
      relativeResidual: relativeResidual)
  }
}

/// A linear solve's outcome without its solution, for diagnostics and errors.
public struct LinearSolveSummary: Sendable, Hashable, CustomStringConvertible {
  public var method: String
  public var status: LinearSolveStatus
  public var iterations: Int
  public var residualNorm: Double
  public var relativeResidual: Double

  public init(
    method: String, status: LinearSolveStatus, iterations: Int, residualNorm: Double, relativeResidual: Double
  ) {
    self.method = method
    self.status = status
    self.iterations = iterations
    self.residualNorm = residualNorm
    self.relativeResidual = relativeResidual
  }

  public var description: String {
    "\(method): \(status) after \(iterations) iteration(s), residual \(residualNorm) (relative \(relativeResidual))"
  }
}
