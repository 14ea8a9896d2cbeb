public import ImplicitCore

/// A solver for `x = T(x, θ)`.
///
/// It follows the library's calling convention: `try solver.solve(map, θ, from: x0)` throws an
/// ``ImplicitError`` for invalid input (``FixedPointMap/validate(_:_:)``, a bad setting) and
/// otherwise returns a ``SolverResult`` whose `residual` is `‖T(x, θ) − x‖` at the returned
/// point; non-convergence is reported in its status.
public protocol FixedPointSolver {
  /// Iterates from `initial`. Throws only for invalid input; read the result's status.
  func solve<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution
  ) throws -> SolverResult<Map.Solution>
}
