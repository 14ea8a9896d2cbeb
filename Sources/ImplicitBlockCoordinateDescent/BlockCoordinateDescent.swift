public import ImplicitCore
import ImplicitProjections
import _Differentiation

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
    try gradients.validate(condition.prox.blocks, θ)
    let updates = Self.blockUpdates(condition, θ, from: start, gradients: gradients)
    for (index, update) in updates.enumerated() where !(update.step > 0 && update.step.isFinite) {
      throw ImplicitError.invalidArgument(
        "block \(index) has curvature \(1 / update.step): the step 1/L needs a positive, finite block Lipschitz constant"
      )
    }
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
      for update in updates {
        let updated = update.forward(x, θ).block
        for (offset, i) in update.block.enumerated() {
          let d = updated[offset] - x[i]
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

// MARK: - Unrolled differentiation

extension BlockCoordinateDescent {
  /// The fixed-sweep run as a differentiable function of `θ`: exactly `fixedSweeps` sweeps (else
  /// ``maxSweeps``) from `start`, no convergence test — the iterates of ``solve(_:_:from:gradients:)``
  /// in benchmark mode, bit for bit — differentiated by Swift's reverse-mode AD **through the
  /// sweeps** (JAXopt's `implicit_diff=False`) instead of by the implicit function theorem:
  ///
  /// ```swift
  /// let solver = BlockCoordinateDescent(fixedSweeps: 50)
  /// let dxdθ = pullback(at: θ) { θ in solver.unrolled(condition, θ, from: x0, gradients: oracle) }
  /// ```
  ///
  /// Each block update `x_b ← P(x_b − ∇_b f(x, θ)/L_b)` is one differentiable step whose pullback
  /// is exact: the block gradient's through the oracle's ``BlockGradientOracle/blockGradientPullback(at:_:block:_:)``
  /// (by default the objective's `gradientPullback`), the projection's through its hand-written VJP.
  /// The steps `1/L_b(θ)` are computed once, at `start`, as the solver does; their dependence on
  /// `θ` is differentiated when the oracle gives ``BlockGradientOracle/blockLipschitzConstantGradient(at:_:block:)``
  /// (``MulticlassSVMDualBlockGradients`` does) and held constant otherwise. Memory grows with
  /// sweeps × blocks. Input is not validated (a differentiable function cannot throw): call
  /// ``solve(_:_:from:gradients:)`` first.
  @differentiable(reverse,wrt: θ)
  public func unrolled<Objective, BlockProjection, Oracle: BlockGradientOracle>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>, gradients: Oracle
  ) -> Vector<Double> {
    let updates = Self.blockUpdates(condition, withoutDerivative(at: θ), from: start, gradients: gradients)
    var x = withoutDerivative(at: condition.prox.projected(start))
    for _ in 0..<withoutDerivative(at: fixedSweeps ?? maxSweeps) {
      for index in 0..<withoutDerivative(at: updates.count) { x = updates[index](x, θ) }
    }
    return x
  }

  /// ``unrolled(_:_:from:gradients:)`` with block gradients by automatic differentiation
  /// (``AutomaticBlockGradients``; steps held constant).
  @differentiable(reverse,wrt: θ)
  public func unrolled<Objective, BlockProjection>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>
  ) -> Vector<Double> {
    unrolled(condition, θ, from: start, gradients: withoutDerivative(at: AutomaticBlockGradients(condition.objective)))
  }

  /// One update per block, with its step `1/L_b` at `start` (not checked here).
  static func blockUpdates<Objective, BlockProjection, Oracle: BlockGradientOracle>(
    _ condition: BlockCoordinateDescentCondition<Objective, BlockProjection>, _ θ: Vector<Double>,
    from start: Vector<Double>, gradients: Oracle
  ) -> [BlockUpdate<Objective, BlockProjection, Oracle>] {
    condition.prox.blocks.ranges.map { block in
      let l = gradients.blockLipschitzConstant(at: start, θ, block: block)
      // d(1/L)/dθ = −∇_θ L / L².
      let stepGradient = gradients.blockLipschitzConstantGradient(at: start, θ, block: block)?.scaled(by: -1 / (l * l))
      return BlockUpdate(
        objective: condition.objective, projection: condition.prox.projection, parameter: condition.prox.parameter,
        gradients: gradients, block: block, step: 1 / l, stepGradient: stepGradient)
    }
  }
}

/// One projected gradient step on one block, `x_b ← P(x_b − s_b ∇_b f(x, θ))`, the other blocks
/// unchanged, with its exact pullback in `(x, θ)` (the step `s_b(θ)` included when its gradient is known).
struct BlockUpdate<Objective: ParametricObjective, BlockProjection: Projection, Oracle: BlockGradientOracle> {
  let objective: Objective
  let projection: BlockProjection
  let parameter: BlockProjection.Parameter
  let gradients: Oracle
  let block: Range<Int>
  /// `s_b = 1/L_b`.
  let step: Double
  /// `∇_θ s_b`, or `nil` (held constant).
  let stepGradient: Vector<Double>?

  /// The updated block, the projection's input `z = x_b − s_b g_b` and the block gradient `g_b`.
  func forward(
    _ x: Vector<Double>, _ θ: Vector<Double>
  ) -> (block: Vector<Double>, z: Vector<Double>, gradient: Vector<Double>) {
    let g = gradients.blockGradient(at: x, θ, block: block)
    var z = Vector(Array(x.scalars[block]))
    z.addScaled(-step, g)
    return (projection.project(z, parameter), z, g)
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var out = x
    out.scalars.replaceSubrange(block, with: forward(x, θ).block.scalars)
    return out
  }

  @derivative(of: callAsFunction)
  func vjpCallAsFunction(
    _ x: Vector<Double>, _ θ: Vector<Double>
  ) -> (value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)) {
    let (updated, z, g) = forward(x, θ)
    var out = x
    out.scalars.replaceSubrange(block, with: updated.scalars)
    return (
      out,
      { [self] v in
        if v.isSymbolicZero { return (.zero, .zero) }
        // x'_b = P(z), z = x_b − s_b g_b(x, θ): w = (∂P/∂z)ᵀ v_b flows to x_b and, through −s_b g_b, to x and θ.
        let w = projection.vjp(at: z, parameter, Vector(Array(v.scalars[block]))).z
        let (gx, gθ) =
          gradients.blockGradientPullback(at: x, θ, block: block, w)
          ?? {
            var embedded = [Double](repeating: 0, count: x.count)
            embedded.replaceSubrange(block, with: w.scalars)
            return objective.gradientPullback(at: x, θ, Vector(embedded))
          }()
        var dx = v
        dx.scalars.replaceSubrange(block, with: w.scalars)
        dx.addScaled(-step, gx.isSymbolicZero ? Vector.zeros(x.count) : gx)
        var dθ = gθ.isSymbolicZero ? Vector.zeros(θ.count) : gθ.scaled(by: -step)
        if let stepGradient { dθ.addScaled(-g.dot(w), stepGradient) }
        return (dx, dθ)
      }
    )
  }
}
