public import ImplicitCore
public import ImplicitProjections
import _Differentiation

/// The projected-gradient fixed point of `min_{x ∈ C(θ_C)} f(x, θ_f)`:
///
///     F(x, θ) = P_C(x − η∇ₓf(x, θ_f), θ_C) − x
///
/// for a ``ParametricObjective`` `f` and a ``Projection`` `P_C`, with step `η > 0`.
///
/// Parameter layout: `θ` is one `Vector<Double>`, `θ_f` (``objectiveParameterCount`` entries)
/// followed by `θ_C.flattened` (the projection's parameter, shaped like
/// ``projectionParameterTemplate``). Build it with ``parameter(objective:projection:)`` and take
/// it apart with ``split(_:)``.
///
/// Derivatives. With `z = x − η∇ₓf`, `D = ∂P/∂z`, `E = ∂P/∂θ_C` at `(z, θ_C)`,
/// `H = ∇²ₓₓf` and `G = ∂(∇ₓf)/∂θ_f`:
///
///     A = ∂F/∂x = D(I − ηH) − I,    B = ∂F/∂θ = [−ηDG,  E]
///
/// Every product is exact: `D`, `E` (and transposes) from the projection's hand-written
/// `jvp`/`vjp`, `H` and `G` from the objective's dual-number products (`gradientJVP`,
/// `gradientPullback`). `callAsFunction` has an explicit derivative for the same reason — reverse
/// mode cannot differentiate `∇ₓf` again.
///
/// At a solution the root (and its derivative, where it exists) does not depend on `η`; any
/// `η > 0` works, `1/L` matches the solver. A is invertible when the problem is strongly convex
/// on the face of `C` that contains `x*` and strict complementarity holds; at degenerate points the
/// projection's documented one-sided Jacobian is used.
public struct ProjectedGradientCondition<Objective: ParametricObjective, SetProjection: Projection>: OptimalityCondition
{
  /// The objective `f(x, θ_f)`.
  public let objective: Objective
  /// The projection onto `C(θ_C)`.
  public let projection: SetProjection
  /// The step `η` of the fixed-point map.
  public let stepSize: Double
  /// The number of entries of `θ_f` at the front of `θ`.
  public let objectiveParameterCount: Int
  /// A value of `θ_C` with the right shape (its entries are not used).
  public let projectionParameterTemplate: SetProjection.Parameter

  /// Throws ``ImplicitError/invalidArgument(_:)`` unless `stepSize` is positive and finite and
  /// `objectiveParameterCount ≥ 0`.
  public init(
    objective: Objective, projection: SetProjection, stepSize: Double = 1, objectiveParameterCount: Int,
    projectionParameter: SetProjection.Parameter
  ) throws {
    guard stepSize > 0, stepSize.isFinite else {
      throw ImplicitError.invalidArgument("the step size must be positive and finite, got \(stepSize)")
    }
    guard objectiveParameterCount >= 0 else {
      throw ImplicitError.invalidArgument("objectiveParameterCount must be ≥ 0, got \(objectiveParameterCount)")
    }
    self.objective = objective
    self.projection = projection
    self.stepSize = stepSize
    self.objectiveParameterCount = objectiveParameterCount
    projectionParameterTemplate = projectionParameter
  }

  /// `θ = [θ_f, θ_C.flattened]`.
  public func parameter(objective θf: Vector<Double>, projection θC: SetProjection.Parameter) -> Vector<Double> {
    Vector(θf.scalars + θC.flattened)
  }

  /// `(θ_f, θ_C)` from `θ`.
  public func split(_ θ: Vector<Double>) -> (objective: Vector<Double>, projection: SetProjection.Parameter) {
    let k = objectiveParameterCount
    return (Vector(Array(θ.scalars[0..<k])), projectionParameterTemplate.unflattened(Array(θ.scalars[k...])))
  }

  /// The dimension of `θ`.
  public var parameterCount: Int { objectiveParameterCount + projectionParameterTemplate.dimension }

  /// `z = x − η∇ₓf(x, θ_f)`.
  func step(_ x: Vector<Double>, _ θf: Vector<Double>) -> Vector<Double> {
    x - stepSize * objective.gradient(at: x, θf)
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let (θf, θC) = split(θ)
    return projection.project(step(x, θf), θC) - x
  }

  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let (θf, θC) = split(θ)
    let z = step(x, θf)
    let value = projection.project(z, θC) - x
    return (
      value,
      { u in
        if u.isEmpty { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
        let products = self.transposedProducts(u, x, θf, θC, z)
        return (products.x, products.θ)
      }
    )
  }

  /// `(Aᵀu, Bᵀu)` in one pass: `Dᵀu` and `Eᵀu` from the projection, then
  /// `Aᵀu = (I − ηH)Dᵀu − u` and `Bᵀu = [−ηGᵀDᵀu, Eᵀu]`.
  func transposedProducts(
    _ u: Vector<Double>, _ x: Vector<Double>, _ θf: Vector<Double>, _ θC: SetProjection.Parameter, _ z: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let (du, dθC) = projection.vjp(at: z, θC, u)
    let du_ = du.orZeros(x.count)
    let (hu, gu) = objective.gradientPullback(at: x, θf, du_)
    let ax = du_ - stepSize * hu - u
    let gθf = (-stepSize * gu).orZeros(θf.count)
    return (ax, Vector(gθf.scalars + (dθC.dimension == 0 ? θC.zeroLike : dθC).flattened))
  }

  /// Requires `θ` of dimension ``parameterCount`` and whatever the projection requires of
  /// `(x − η∇f, θ_C)`.
  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("θ (θ_f followed by the flattened θ_C)", θ.count, expected: parameterCount)
    let (θf, θC) = split(θ)
    try projection.validate(step(x, θf), θC)
  }

  /// `A v = D(v − ηHv) − v`.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    let (θf, θC) = split(θ)
    let v = v.orZeros(x.count)
    let hv = objective.gradientJVP(at: x, θf, along: v, Vector.zeros(θf.count))
    return projection.jvp(at: step(x, θf), θC, v - stepSize * hv, θC.zeroLike) - v
  }

  /// `Aᵀu = (I − ηH)Dᵀu − u`.
  public func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>)
    -> Vector<Double>?
  {
    let (θf, θC) = split(θ)
    return transposedProducts(u.orZeros(x.count), x, θf, θC, step(x, θf)).x
  }

  /// `B t = D(−ηG t_f) + E t_C`.
  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    let (θf, θC) = split(θ)
    let (tf, tC) = split(t.orZeros(θ.count))
    let gt = objective.gradientJVP(at: x, θf, along: Vector.zeros(x.count), tf)
    return projection.jvp(at: step(x, θf), θC, -stepSize * gt, tC)
  }

  /// `Bᵀu = [−ηGᵀDᵀu, Eᵀu]`.
  public func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>)
    -> Vector<Double>?
  {
    let (θf, θC) = split(θ)
    return transposedProducts(u.orZeros(x.count), x, θf, θC, step(x, θf)).θ
  }
}

extension Vector where Scalar == Double {
  /// `self`, or `count` zeros when `self` is the symbolic zero (empty).
  func orZeros(_ count: Int) -> Vector<Double> { isEmpty && count > 0 ? Vector.zeros(count) : self }
}
