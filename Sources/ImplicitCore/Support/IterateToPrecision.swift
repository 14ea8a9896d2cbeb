/// Runs an iterative solver in chunks, each chunk continuing from the previous one's iterate,
/// until it converges at its (very tight) tolerance — or until its residual stops decreasing
/// over a whole chunk, i.e. it sits at the rounding floor, in which case the iterate is
/// accepted if the residual is at most `acceptable` and rejected with a typed error otherwise.
///
/// Reference cases are solved to ~1e-15; whether that is reachable depends on the data's
/// scale, so the families aim there without risking a long futile run at the floor.
public func iterateToPrecision(
  from start: Vector<Double>, solver: String, acceptable: Double = 1e-11, maxChunks: Int = 200,
  _ chunk: (Vector<Double>) throws -> (solution: Vector<Double>, iterations: Int, residual: Double, converged: Bool)
) throws -> (solution: Vector<Double>, iterations: Int, residual: Double) {
  var x = start
  var iterations = 0
  var best = Double.infinity
  for _ in 0..<maxChunks {
    let run = try chunk(x)
    x = run.solution
    iterations += run.iterations
    if run.converged { return (x, iterations, run.residual) }
    if run.residual >= best {
      guard run.residual <= acceptable else { break }
      return (x, iterations, run.residual)
    }
    best = run.residual
  }
  throw ImplicitError.solverDidNotConverge(solver: solver, iterations: iterations, residual: best)
}
