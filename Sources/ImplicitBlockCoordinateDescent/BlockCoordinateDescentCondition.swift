public import ImplicitCore
import ImplicitGradientStep
public import ImplicitProjections
import _Differentiation

/// The blockwise proximal fixed point of a composite objective `f(x, θ) + Σ_b g_b(x_b)` whose
/// non-smooth part is separable over consecutive blocks, each `g_b` the indicator of a convex
/// set with a Euclidean projection:
///
///     F(x, θ) = blockprox(x − η ∇ₓf(x, θ)) − x,    blockprox(z)_b = P(z_b)
///
/// (JAXopt's `BlockCoordinateDescent.optimality_fun`, which uses `η = 1`, with
/// `block_prox = make_prox_from_projection(projection)`: the prox of an indicator is the
/// projection onto its set). Its roots are the minimisers that block coordinate descent
/// converges to — e.g. the multiclass SVM dual, with the simplex projection on each row of β.
///
/// ## Derivatives
/// `F` contains `∇ₓf`, which the compiler cannot differentiate again, so
/// ``callAsFunction(_:_:)`` has an explicit derivative. With `z = x − η∇ₓf` and `J_P` the
/// block-diagonal Jacobian of the projections at `z` (from the projection's own `jvp`/`vjp`):
///
///     A v = J_P (v − η ∇²ₓₓf v) − v,     B t = −η J_P (∂∇ₓf/∂θ) t
///
/// with the objective's exact second-order products (``ParametricObjective/gradientPullback(at:_:_:)``
/// and ``ParametricObjective/gradientJVP(at:_:along:_:)``), shared with ``ProximalGradientCondition``
/// and the mirror-descent condition through ``GradientStep`` (the cached `∇ₓf`, the `I − ηH`,
/// `−ηC` algebra); only the blockwise `J_P` is this type's own.
/// `η > 0` does not change the roots nor, away from degenerate points, the derivative.
///
/// ## Assumptions
/// `f` twice differentiable; `A` invertible — `∇²ₓₓf` positive definite on the directions the
/// projections leave free (for simplices: each block's support, with its sum fixed), and
/// strict complementarity (no coordinate exactly at the kink of its projection).
public struct BlockCoordinateDescentCondition<Objective: ParametricObjective, BlockProjection: Projection>:
  OptimalityCondition
{
  /// The smooth part `f(x, θ)`.
  public var objective: Objective { gradientStep.objective }
  /// The projection applied to each block (the prox of the block's indicator).
  public let blockProjection: BlockProjection
  /// The projection's parameter, the same for every block and not differentiated
  /// (e.g. `1` for the probability simplex).
  public let projectionParameter: BlockProjection.Parameter
  /// The blocks.
  public let blocks: BlockPartition
  /// The step `η` inside the condition (default 1, as in JAXopt).
  public var stepSize: Double { gradientStep.stepSize }
  let gradientStep: GradientStep<Objective>

  /// Throws ``ImplicitError/invalidArgument(_:)`` unless `stepSize` is positive and finite.
  public init(
    objective: Objective, blockProjection: BlockProjection, projectionParameter: BlockProjection.Parameter,
    blocks: BlockPartition, stepSize: Double = 1
  ) throws {
    self.gradientStep = try GradientStep(objective: objective, stepSize: stepSize)
    self.blockProjection = blockProjection
    self.projectionParameter = projectionParameter
    self.blocks = blocks
  }

  /// The point `z = x − η∇ₓf(x, θ)` that the block prox is applied to.
  public func gradientStepPoint(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    gradientStep.step(from: x, at: x, θ)
  }

  /// `blockprox(z)`: the projection applied to every block of `z`.
  public func blockProx(_ z: Vector<Double>) -> Vector<Double> {
    blocks.mapBlocks(z) { _, zb in blockProjection.project(zb, projectionParameter) }
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    blockProx(gradientStepPoint(x, θ)) - x
  }

  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let z = gradientStepPoint(x, θ)
    return (blockProx(z) - x, { u in self.pullback(u, x: x, θ, stepPoint: z) })
  }

  /// `(Aᵀu, Bᵀu)` given the step point `z` of `(x, θ)`.
  func pullback(_ u: Vector<Double>, x: Vector<Double>, _ θ: Vector<Double>, stepPoint z: Vector<Double>) -> (
    Vector<Double>, Vector<Double>
  ) {
    if u.isEmpty { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
    let w = blocks.mapBlocks(z) { block, zb in
      blockProjection.vjp(at: zb, projectionParameter, blocks.slice(u, block)).z
    }
    let (dx, dθ) = gradientStep.pullback(u, through: w, mirrored: w, at: x, θ)
    return (dx, dθ)
  }

  /// `A v + B t`.
  func forward(_ v: Vector<Double>, _ t: Vector<Double>, x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let z = gradientStepPoint(x, θ)
    let dz = gradientStep.tangent(mirrored: v, v, t, at: x, θ)
    let zeroParameter = projectionParameter.zeroLike
    var out = blocks.mapBlocks(z) { block, zb in
      blockProjection.jvp(at: zb, projectionParameter, blocks.slice(dz, block), zeroParameter)
    }
    out.addScaled(-1, v)
    return out
  }

  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    forward(v, Vector.zeros(θ.count), x: x, θ)
  }

  public func solutionJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    pullback(u, x: x, θ, stepPoint: gradientStepPoint(x, θ)).0
  }

  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    forward(Vector.zeros(x.count), t, x: x, θ)
  }

  public func parameterJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    pullback(u, x: x, θ, stepPoint: gradientStepPoint(x, θ)).1
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("x (the blocks' total size)", x.count, expected: blocks.dimension)
    try ImplicitError.checkFinite("θ", θ)
    for block in blocks.ranges {
      try blockProjection.validate(blocks.slice(x, block), projectionParameter)
    }
  }
}
