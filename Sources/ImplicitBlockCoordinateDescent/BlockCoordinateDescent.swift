public import ImplicitCore
public import ImplicitProjections

/// Cyclic block coordinate descent for `min f(x, θ) + Σ_b ι_C(x_b)`: each sweep visits the
/// blocks in order and takes one projected gradient step on each,
///
///     x_b ← P(x_b − ∇_b f(x, θ) / L_b),
///
/// with `L_b` the block's curvature (computed once, at the start). An iteration is a full
/// sweep. Converged when a sweep moves `x` by at most `tolerance` (Euclidean norm).
/// ``solve(_:_:from:gradients:)`` throws ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)``
/// when `maxSweeps` pass without converging; ``iterate(_:_:from:gradients:)`` instead returns the
/// last iterate with status ``BlockCoordinateDescentStatus/maxSweepsReached``. A non-finite
/// iterate throws ``ImplicitError/nonFinite(what:)``. For benchmarks, `fixedSweeps` runs exactly
/// that many sweeps with no convergence test.
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
  ) throws -> BlockCoordinateDescentResult {
    let result = try iterate(condition, θ, from: start, gradients: gradients)
    if result.status == .maxSweepsReached {
      throw ImplicitError.solverDidNotConverge(
        solver: "block coordinate descent", iterations: result.sweeps, residual: result.residual)
    }
    return result
  }

  /// Like ``solve(_:_:from:gradients:)``, but running out of sweeps is not an error: the result
  /// says so (``BlockCoordinateDescentStatus/maxSweepsReached``) and carries the last iterate.
  public func iterate<Objective, BlockProjection, Oracle: BlockGradientOracle>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>, gradients: Oracle
  ) throws -> BlockCoordinateDescentResult {
    guard tolerance >= 0, maxSweeps >= 0, (fixedSweeps ?? 0) >= 0 else {
      throw ImplicitError.invalidArgument("tolerance and sweep counts must be non-negative")
    }
    try condition.validate(start, θ)
    try ImplicitError.checkFinite("the starting point", start)
    let blocks = condition.blocks
    try gradients.validate(blocks, θ)
    let steps = try blocks.ranges.enumerated().map { (index, block) -> Double in
      let l = gradients.blockLipschitzConstant(at: start, θ, block: block)
      guard l > 0, l.isFinite else {
        throw ImplicitError.invalidArgument(
          "block \(index) has curvature \(l): the step 1/L needs a positive, finite block Lipschitz constant")
      }
      return 1 / l
    }
    let projection = condition.blockProjection, parameter = condition.projectionParameter
    var x = condition.blockProx(start)
    let budget = fixedSweeps ?? maxSweeps
    var residual = Double.infinity
    var sweeps = 0
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
      guard residual.isFinite else { throw ImplicitError.nonFinite(what: "block coordinate descent sweep \(sweeps)") }
      if fixedSweeps == nil && residual <= tolerance {
        return BlockCoordinateDescentResult(solution: x, sweeps: sweeps, residual: residual, status: .converged)
      }
    }
    return BlockCoordinateDescentResult(
      solution: x, sweeps: sweeps, residual: residual,
      status: fixedSweeps != nil ? .completedFixedSweeps : .maxSweepsReached)
  }

  /// Block coordinate descent with block gradients and curvatures by automatic
  /// differentiation (``AutomaticBlockGradients``; a full gradient per block).
  public func solve<Objective, BlockProjection>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>
  ) throws -> BlockCoordinateDescentResult {
    try solve(condition, θ, from: start, gradients: AutomaticBlockGradients(condition.objective))
  }
}

/// How a block-coordinate-descent run ended.
public enum BlockCoordinateDescentStatus: Sendable, Hashable {
  /// The last sweep moved `x` by at most the tolerance.
  case converged
  /// Benchmark mode: the fixed number of sweeps ran; `residual` says how far from converged.
  case completedFixedSweeps
  /// `maxSweeps` sweeps ran without converging (only from ``BlockCoordinateDescent/iterate(_:_:from:gradients:)``).
  case maxSweepsReached
}

/// The outcome of ``BlockCoordinateDescent``.
public struct BlockCoordinateDescentResult: Sendable {
  /// The last iterate.
  public var solution: Vector<Double>
  /// Full sweeps taken.
  public var sweeps: Int
  /// `‖x_k − x_{k−1}‖₂` over the last sweep.
  public var residual: Double
  public var status: BlockCoordinateDescentStatus
}
