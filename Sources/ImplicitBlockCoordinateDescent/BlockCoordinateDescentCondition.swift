public import ImplicitCore
public import ImplicitGradientStep
public import ImplicitProjections
public import ImplicitProximal

/// The blockwise proximal fixed point of a composite objective `f(x, θ) + Σ_b g_b(x_b)` whose
/// non-smooth part is separable over consecutive blocks, each `g_b` the indicator of a convex
/// set with a Euclidean projection:
///
///     F(x, θ) = blockprox(x − η ∇ₓf(x, θ)) − x,    blockprox(z)_b = P(z_b)
///
/// (JAXopt's `BlockCoordinateDescent.optimality_fun`, which uses `η = 1`, with
/// `block_prox = make_prox_from_projection(projection)`). Its roots are the minimisers that block
/// coordinate descent converges to — e.g. the multiclass SVM dual, with the simplex projection on
/// each row of β.
///
/// It is the one gradient-step condition, ``ProximalGradientCondition``, with the blockwise prox
/// ``BlockProjectionProximal``: its products, its exact second-order objective terms and its cached
/// gradient are that condition's. Build it with
/// ``ImplicitGradientStep/ProximalGradientCondition/init(objective:blockProjection:projectionParameter:blocks:objectiveParameterCount:stepSize:)``.
///
/// ## Assumptions
/// `f` twice differentiable; `A` invertible — `∇²ₓₓf` positive definite on the directions the
/// projections leave free (for simplices: each block's support, with its sum fixed), and
/// strict complementarity (no coordinate exactly at the kink of its projection).
public typealias BlockCoordinateDescentCondition<Objective: ParametricObjective, BlockProjection: Projection> =
  ProximalGradientCondition<Objective, BlockProjectionProximal<BlockProjection>>

extension ProximalGradientCondition {
  /// The block-coordinate-descent condition: `objective` with `objectiveParameterCount`
  /// parameters (all of `θ`), and `blockProjection` (with its fixed, non-differentiated
  /// `projectionParameter`) on every block. Throws unless `stepSize` is positive and finite.
  public init<BlockProjection: Projection>(
    objective: Objective, blockProjection: BlockProjection, projectionParameter: BlockProjection.Parameter,
    blocks: BlockPartition, objectiveParameterCount: Int, stepSize: Double = 1
  ) throws where Prox == BlockProjectionProximal<BlockProjection> {
    try self.init(
      objective: objective,
      prox: BlockProjectionProximal(blockProjection, parameter: projectionParameter, blocks: blocks),
      objectiveParameterCount: objectiveParameterCount, proxParameter: Vector([]), stepSize: stepSize)
  }
}

/// The prox of `Σ_b ι_C(x_b)`: the projection onto `C` applied to every block, with the
/// projection's own hand-written Jacobians blockwise. Its parameter is empty: the projection's
/// parameter is fixed (not differentiated).
public struct BlockProjectionProximal<BlockProjection: Projection>: ProximalOperator {
  public typealias Parameter = Vector<Double>

  /// Block-diagonal: a projector when the block projection's Jacobian is one.
  public var jacobianIsOrthogonalProjector: Bool { projection.jacobianIsOrthogonalProjector }

  /// Each block's ``Projection/preparedJacobianProduct(at:_:)``, prepared once.
  public func preparedJacobianProduct(at z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double) -> (
    Vector<Double>
  ) -> Vector<Double> {
    let products = blocks.ranges.map { projection.preparedJacobianProduct(at: blocks.slice(z, $0), parameter) }
    let ranges = blocks.ranges
    return { v in
      let v = v.isEmpty ? Vector.zeros(z.count) : v
      var out = [Double]()
      out.reserveCapacity(v.count)
      for (i, block) in ranges.enumerated() { out += products[i](Vector(Array(v.scalars[block]))).scalars }
      return Vector(out)
    }
  }

  /// The projection applied to each block.
  public let projection: BlockProjection
  /// The projection's parameter, the same for every block (e.g. `1` for the probability simplex).
  public let parameter: BlockProjection.Parameter
  /// The blocks.
  public let blocks: BlockPartition

  /// The blockwise projection onto `C(parameter)`.
  public init(_ projection: BlockProjection, parameter: BlockProjection.Parameter, blocks: BlockPartition) {
    self.projection = projection
    self.parameter = parameter
    self.blocks = blocks
  }

  /// `blockprox(z)`: the projection applied to every block of `z`.
  public func projected(_ z: Vector<Double>) -> Vector<Double> {
    blocks.mapBlocks(z) { _, zb in projection.project(zb, parameter) }
  }

  /// `0` when every block is in `C` (up to `1e-10` relative), `+∞` otherwise.
  public func penalty(_ x: Vector<Double>, _ θ: Vector<Double>) -> Double {
    (projected(x) - x).norm() <= 1e-10 * (1 + x.norm()) ? 0 : .infinity
  }

  public func prox(_ z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double) -> Vector<Double> { projected(z) }

  public func jvp(
    at z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dθ: Vector<Double>
  ) -> Vector<Double> {
    let zero = parameter.zeroLike
    let dz = dz.isSymbolicZero ? Vector.zeros(z.count) : dz
    return blocks.mapBlocks(z) { block, zb in projection.jvp(at: zb, parameter, blocks.slice(dz, block), zero) }
  }

  public func vjp(
    at z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let u = u.isSymbolicZero ? Vector.zeros(z.count) : u
    return (blocks.mapBlocks(z) { block, zb in projection.vjp(at: zb, parameter, blocks.slice(u, block)).z }, θ)
  }

  /// Requires inputs of the blocks' total size, an empty `θ`, and whatever the projection requires.
  public func validate(dimension n: Int, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("x (the blocks' total size)", n, expected: blocks.dimension)
    try ImplicitError.checkDimension("the block prox's parameter (none)", θ.count, expected: 0)
    for block in blocks.ranges { try projection.validate(Vector.zeros(block.count), parameter) }
  }
}

extension BlockProjectionProximal: Sendable where BlockProjection: Sendable, BlockProjection.Parameter: Sendable {}
