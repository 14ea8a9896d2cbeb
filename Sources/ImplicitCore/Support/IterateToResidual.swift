/// Runs a fixed-point style iteration until the residual of the current iterate is at most
/// `tolerance`, and returns that iterate — the solver of a ``RunnableInstance`` that must honour
/// a requested accuracy (the conformance kit asks for several, loosest first, and relates the
/// derivative's error to the residual it got).
///
/// `iteration(x)` returns the residual of `x` (normally `‖F(x, θ)‖` of the condition being
/// solved) and the next iterate; computing both at once lets them share a gradient. Throws
/// ``ImplicitError/nonFinite(what:)`` on a NaN or infinite residual, and
/// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` (with the best residual
/// seen) after `maxIterations` iterations or when the residual has not improved for `patience`
/// iterations in a row (the iteration sits at its rounding floor above `tolerance`).
public func iterateToResidual<V: InnerProductSpace>(
  from start: V, tolerance: Double, solver: String, maxIterations: Int = 100_000, patience: Int = 1_000,
  _ iteration: (V) throws -> (residual: Double, next: V)
) throws -> (solution: V, iterations: Int, residual: Double) {
  var x = start
  var best = Double.infinity
  var sinceImprovement = 0
  var iterations = 0
  while true {
    let (residual, next) = try iteration(x)
    guard residual.isFinite else {
      throw ImplicitError.nonFinite(what: "the residual of \(solver) after \(iterations) iterations")
    }
    if residual <= tolerance { return (x, iterations, residual) }
    if residual < best {
      best = residual
      sinceImprovement = 0
    } else {
      sinceImprovement += 1
    }
    if sinceImprovement >= patience || iterations >= maxIterations { break }
    x = next
    iterations += 1
  }
  throw ImplicitError.solverDidNotConverge(solver: solver, iterations: iterations, residual: best)
}
