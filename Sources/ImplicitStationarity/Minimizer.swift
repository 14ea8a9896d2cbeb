public import ImplicitCore
import ImplicitObjectives

/// A solver that minimises a ``ParametricObjective`` in `x` for fixed `θ`.
///
/// Every minimiser follows the library's calling convention: `try solver.solve(f, θ, from: x0)`
/// throws an ``ImplicitError`` on invalid input (NaN in `x0` or `θ`, shapes a
/// ``ShapeCheckedObjective`` rejects) and otherwise returns a ``SolverResult`` whose `residual`
/// is `‖∇ₓf‖` at the returned point.
public protocol Minimizer {
  /// Minimises `f(·, θ)` from `initial`. Throws only for invalid input; read the result's status.
  func solve<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, from initial: Vector<Double>
  ) throws -> SolverResult<Vector<Double>>
}

/// Checks what a minimiser can check before iterating: finite `x₀` and `θ`, and the
/// objective's shapes when it is a ``ShapeCheckedObjective``.
func validateInput<Objective: ParametricObjective>(
  _ objective: Objective, _ initial: Vector<Double>, _ θ: Vector<Double>, tolerance: Double = 0
) throws {
  guard tolerance >= 0 else { throw ImplicitError.invalidArgument("tolerance must be non-negative, got \(tolerance)") }
  if !initial.isFinite { throw ImplicitError.nonFinite(what: "the initial point") }
  if !θ.isFinite { throw ImplicitError.nonFinite(what: "θ") }
  if let checked = objective as? any ShapeCheckedObjective { try checked.validate(initial, θ) }
}

/// Whether `validateInput` would accept the input (for the non-throwing unrolled solver).
func isValidInput<Objective: ParametricObjective>(
  _ objective: Objective, _ initial: Vector<Double>, _ θ: Vector<Double>
) -> Bool {
  (try? validateInput(objective, initial, θ)) != nil
}
