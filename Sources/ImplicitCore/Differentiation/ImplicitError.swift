/// Why an implicit derivative (or a reference case) could not be computed.
public enum ImplicitError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An input or intermediate value contains NaN or ±∞; `what` names it.
  case nonFinite(what: String)
  /// A value has the wrong shape.
  case shapeMismatch(what: String, expected: String, actual: String)
  /// The linear system of the implicit function theorem was not solved.
  case linearSolveFailed(LinearSolveSummary)
  /// An iterative solver for the optimisation problem itself stopped before converging.
  case solverDidNotConverge(solver: String, iterations: Int, residual: Double)
  /// An argument is outside the domain the method supports.
  case invalidArgument(String)
  /// The derivative's error bound exceeds the policy's threshold (``DerivativePolicy/inaccuracy``).
  case inaccurateDerivative(DerivativeDiagnostics)
  /// The solution map is not differentiable at the point (``DerivativePolicy/degeneracy``).
  case degenerate([Degeneracy])

  public var description: String {
    switch self {
    case .nonFinite(let what): "non-finite value in \(what)"
    case .shapeMismatch(let what, let expected, let actual):
      "shape mismatch in \(what): expected \(expected), got \(actual)"
    case .linearSolveFailed(let s): "linear solve failed: \(s)"
    case .solverDidNotConverge(let solver, let iterations, let residual):
      "\(solver) did not converge after \(iterations) iterations (residual \(residual))"
    case .invalidArgument(let why): "invalid argument: \(why)"
    case .inaccurateDerivative(let d):
      "derivative error bound \(d.jacobianErrorEstimate) is \(d.relativeErrorEstimate) of the derivative "
        + "(‖F(x̂, θ)‖ = \(d.residualNorm): is x̂ converged?)"
    case .degenerate(let found):
      "the solution map is only directionally differentiable here: "
        + found.map(\.description).joined(separator: "; ")
        + " (set options.policy.degeneracy = .flag for the one-sided derivative)"
    }
  }
}

extension ImplicitError {
  /// Throws `.shapeMismatch` unless `actual == expected`.
  public static func checkDimension(_ what: String, _ actual: Int, expected: Int) throws {
    if actual != expected {
      throw ImplicitError.shapeMismatch(what: what, expected: "\(expected)", actual: "\(actual)")
    }
  }

  /// Throws `.nonFinite` unless every coordinate of `value` is finite.
  public static func checkFinite<V: InnerProductSpace>(_ what: String, _ value: V) throws {
    if !value.isFinite { throw ImplicitError.nonFinite(what: what) }
  }
}
