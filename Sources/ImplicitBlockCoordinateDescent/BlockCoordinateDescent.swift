public import ImplicitCore
import ImplicitProjections

/// Cyclic block coordinate descent for `min f(x, θ) + Σ_b ι_C(x_b)`: each sweep visits the
/// blocks in order and takes one projected gradient step on each,
///
///     x_b ← P(x_b − ∇_b f(x, θ) / L_b),
///
/// with `L_b` the block's curvature (computed once, at the start). An iteration is a full
/// sweep. Converged when a sweep moves `x` by at most `tolerance` (Euclidean norm).
/// ``solve(_:_:from:gradients:)`` throws on invalid input and otherwise returns a ``SolverResult``
/// (iterations are sweeps; the residual is the last sweep's size) whose status says how the run
/// ended. For benchmarks, `fixedSweeps` runs exactly that many sweeps with no convergence test.
public struct BlockCoordinateDescent: Sendable {
  /// The largest sweep `‖x⁺ − x‖₂` accepted as converged.
  public var tolerance: Double
  /// The sweep budget in convergence mode.
  public var maxSweeps: Int
  /// Benchmark mode: exactly this many sweeps (`nil`: convergence mode).
  public var fixedSweeps: Int?

  public init(tolerance: Double = 1e-12, maxSweeps: Int = 10_000, fixedSweeps: Int? = nil) {
    self.tolerance = tolerance
    self.maxSweeps = maxSweeps
    self.fixedSweeps = fixedSweeps
  }

  /// Solves for a root of `condition` (its objective, blocks and block projection), with
  /// block gradients from `gradients`, starting at `start`.
  public func solve<Objective, BlockProjection, Oracle: BlockGradientOracle>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>, gradients: Oracle
  ) throws -> SolverResult<Vector<Double>> {
    guard tolerance >= 0, maxSweeps >= 0, (fixedSweeps ?? 0) >= 0 else {
      throw ImplicitError.invalidArgument("tolerance and sweep counts must be non-negative")
    }
    try condition.validate(start, θ)
    try ImplicitError.checkFinite("the starting point", start)
    let blocks = condition.prox.blocks
    try gradients.validate(blocks, θ)
    let steps = try blocks.ranges.enumerated().map { (index, block) -> Double in
      let l = gradients.blockLipschitzConstant(at: start, θ, block: block)
      guard l > 0, l.isFinite else {
        throw ImplicitError.invalidArgument(
          "block \(index) has curvature \(l): the step 1/L needs a positive, finite block Lipschitz constant")
      }
      return 1 / l
    }
    let projection = condition.prox.projection, parameter = condition.prox.parameter
    var x = condition.prox.projected(start)
    let budget = fixedSweeps ?? maxSweeps
    var residual = Double.infinity
    var sweeps = 0
    func result(_ status: SolverStatus) -> SolverResult<Vector<Double>> {
      SolverResult(
        solution: x, status: status, iterations: sweeps, residual: residual, tolerance: tolerance,
        solver: "block coordinate descent")
    }
    while sweeps < budget {
      var moved = 0.0
      for (index, block) in blocks.ranges.enumerated() {
        let g = gradients.blockGradient(at: x, θ, block: block)
        var z = blocks.slice(x, block)
        let old = z
        z.addScaled(-steps[index], g)
        let updated = projection.project(z, parameter)
        for (offset, i) in block.enumerated() {
          let d = updated[offset] - old[offset]
          moved += d * d
          x[i] = updated[offset]
        }
      }
      sweeps += 1
      residual = moved.squareRoot()
      guard residual.isFinite else { return result(.nonFinite) }
      if fixedSweeps == nil && residual <= tolerance { return result(.converged) }
    }
    return result(fixedSweeps != nil ? .completedFixedIterations : .maxIterationsReached)
  }

  /// Block coordinate descent with block gradients and curvatures by automatic
  /// differentiation (``AutomaticBlockGradients``; a full gradient per block).
  public func solve<Objective, BlockProjection>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    try solve(condition, θ, from: start, gradients: AutomaticBlockGradients(condition.objective))
  }
}
