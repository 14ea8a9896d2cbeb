public import ImplicitCore
import ImplicitObjectives
public import ImplicitProjections
public import ImplicitProximal
import _Differentiation

/// The proximal-gradient fixed point of `min_x f(x, θ_f) + g(x, θ_g)`, as an optimality condition:
///
///     F(x, θ) = prox_{ηg}(x − η∇ₓf(x, θ_f), θ_g) − x
///
/// for a smooth ``ParametricObjective`` `f`, a ``ProximalOperator`` for `g`, and a step `η > 0`.
/// Its roots are exactly the minimisers, whatever `η` (JAXopt's `ProximalGradient` condition).
///
/// **Projected gradient is this condition** with the prox of an indicator, ``ProjectionProximal``:
/// `P_C(x − η∇f(x)) − x = 0` for `min_{x ∈ C(θ_C)} f(x, θ_f)`; build it with
/// ``init(objective:projection:objectiveParameterCount:projectionParameter:stepSize:)``. Block
/// coordinate descent's condition is this condition with a blockwise prox; mirror descent shares
/// its smooth half, ``GradientStep``.
///
/// **Parameter layout.** `θ` is one packed `Vector<Double>`: first the objective's parameters
/// `θ_f` (``objectiveParameterCount`` entries), then the prox's parameters `θ_g` flattened
/// (``proxParameterTemplate``'s shape, in its `flattened` order):
///
///     θ = [θ_f₀, …, θ_f₍ₘ₋₁₎, θ_g₀, …, θ_g₍ₖ₋₁₎]
///
/// Use ``packParameters(objective:prox:)`` / ``splitParameters(_:)`` rather than indexing.
///
/// **Derivatives.** With `z = x − η∇f`, `H = ∇²ₓₓf`, `C = ∂∇ₓf/∂θ_f`, `D = ∂prox/∂z` and
/// `E = ∂prox/∂θ_g` at `(z, θ_g)`:
///
///     A = ∂F/∂x = D(I − ηH) − I          B = ∂F/∂θ = [−ηDC,  E]
///
/// `∇f` sits inside `F`, and the compiler's AD has no second order, so `callAsFunction` has an
/// explicit derivative: its pullback chains the prox's hand-written VJP with the objective's exact
/// `gradientPullback` (dual numbers inside reverse mode); the forward products (`A v`, `B t`)
/// chain the prox's JVP with the exact `gradientJVP`. All four products are exact.
///
/// **Invertibility.** `A` is invertible when the problem's solution is locally unique and
/// strictly complementary: e.g. for the lasso (`D = diag(m)` on the support `S`) `A` is `−ηH_SS`
/// on `S` and `−I` off it, invertible iff `H_SS` is. At a zero-width margin (a coordinate of `z`
/// exactly at a kink of the prox) the one-sided prox Jacobian keeps `A` invertible but the
/// derivative is one-sided: ``degeneracies(at:_:tolerance:)`` names those coordinates, and the
/// differentiator reports them and applies ``DerivativePolicy/degeneracy`` (throw by default;
/// `.flag` returns the one-sided Jacobian of the prox's convention, JAXopt's result). When `A` is
/// singular (a non-unique minimiser, e.g. the lasso with duplicated columns on the support) a
/// regularised derivative comes from `ImplicitOptions(ridge: −r)`: the ridge is **negative**
/// because with `η ≤ 1/L` the eigenvalues of `A` lie in `[−1, 0]`. `A` is not symmetric in general,
/// but when the prox declares its Jacobian's pseudo-inverse the differentiator solves the
/// equivalent SPD system of ``symmetricReformulation(at:_:)`` instead (CG or Cholesky).
///
/// The gradient `∇f` of the last point visited is cached (thread-safely, in ``GradientStep``), so
/// the many products an implicit solve takes at one `(x, θ)` pay for it once.
public struct ProximalGradientCondition<Objective: ParametricObjective, Prox: ProximalOperator>: OptimalityCondition {
  public typealias Solution = Vector<Double>
  public typealias Parameter = Vector<Double>

  /// The smooth part `f(x, θ_f)`.
  public var objective: Objective { gradientStep.objective }
  /// The prox of the non-smooth part `g(x, θ_g)`.
  public let prox: Prox
  /// The step `η` of the fixed point (any `η > 0` has the same roots; `1/L` conditions `A` best).
  public var stepSize: Double { gradientStep.stepSize }
  /// `m = dim θ_f`, the number of leading entries of `θ` that belong to the objective.
  public let objectiveParameterCount: Int
  /// A value with the shape of `θ_g` (its entries are not used).
  public let proxParameterTemplate: Prox.Parameter
  /// The shared smooth half: `∇f` (cached) and its second-order products.
  let gradientStep: GradientStep<Objective>

  /// The condition for `objective + penalty`, with `objectiveParameterCount` objective
  /// parameters followed by parameters shaped like `proxParameter`. Throws unless `stepSize`
  /// is finite and positive and the count is non-negative.
  public init(
    objective: Objective, prox: Prox, objectiveParameterCount: Int, proxParameter: Prox.Parameter,
    stepSize: Double = 1
  ) throws {
    guard objectiveParameterCount >= 0 else {
      throw ImplicitError.invalidArgument(
        "objectiveParameterCount must be non-negative, got \(objectiveParameterCount)")
    }
    self.gradientStep = try GradientStep(objective: objective, stepSize: stepSize)
    self.prox = prox
    self.objectiveParameterCount = objectiveParameterCount
    self.proxParameterTemplate = proxParameter
  }

  /// The projected-gradient condition `P_C(x − η∇ₓf(x, θ_f), θ_C) − x` of
  /// `min_{x ∈ C(θ_C)} f(x, θ_f)`: this condition with ``ProjectionProximal`` as its prox.
  public init<SetProjection: Projection>(
    objective: Objective, projection: SetProjection, objectiveParameterCount: Int,
    projectionParameter: SetProjection.Parameter, stepSize: Double = 1
  ) throws where Prox == ProjectionProximal<SetProjection> {
    try self.init(
      objective: objective, prox: ProjectionProximal(projection), objectiveParameterCount: objectiveParameterCount,
      proxParameter: projectionParameter, stepSize: stepSize)
  }

  private init(_ other: Self, stepSize: Double) {
    gradientStep = other.gradientStep.with(stepSize: stepSize)
    prox = other.prox
    objectiveParameterCount = other.objectiveParameterCount
    proxParameterTemplate = other.proxParameterTemplate
  }

  /// This condition with the step `η` (finite and positive; not checked).
  func with(stepSize: Double) -> Self { Self(self, stepSize: stepSize) }

  /// `dim θ = dim θ_f + dim θ_g`.
  public var parameterCount: Int { objectiveParameterCount + proxParameterTemplate.dimension }

  /// `θ = [θ_f; θ_g]`.
  public func packParameters(objective θf: Vector<Double>, prox θg: Prox.Parameter) -> Vector<Double> {
    Vector(θf.scalars + θg.flattened)
  }

  /// `(θ_f, θ_g)` from `θ = [θ_f; θ_g]`.
  public func splitParameters(_ θ: Vector<Double>) -> (objective: Vector<Double>, prox: Prox.Parameter) {
    let m = objectiveParameterCount
    return (Vector(Array(θ.scalars[0..<m])), proxParameterTemplate.unflattened(Array(θ.scalars[m...])))
  }

  // MARK: - The residual and its derivative

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let step = point(at: x, θ)
    return prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
  }

  /// The value and exact pullback of `F` in `(x, θ)` (what reverse mode uses; public so that a
  /// condition built on this one can chain it).
  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let step = point(at: x, θ)
    let value = prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
    return (
      value,
      { u in
        if u.isSymbolicZero { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
        return self.transposedProducts(u, step)
      }
    )
  }

  @derivative(of: callAsFunction, wrt: x)
  @usableFromInline func _vjpCallAsFunctionSolution(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>
  ) {
    let step = point(at: x, θ)
    let value = prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
    return (
      value,
      { u in
        if u.isSymbolicZero { return Vector.zeros(x.count) }
        return self.solutionTransposedProduct(u, step)
      }
    )
  }

  // MARK: - Hand-written products

  /// `A v = D(v − ηHv) − v`.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    if isZero(v) { return Vector.zeros(x.count) }
    let step = point(at: x, θ)
    let dz = gradientStep.tangent(mirrored: v, v, .zero, at: x, step.objectiveParameter)
    return prox.jvp(at: step.z, step.proxParameter, scaling: stepSize, dz, step.proxParameter.zeroLike) - v
  }

  /// `Aᵀu = (I − ηH)Dᵀu − u`.
  public func solutionJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    if isZero(u) { return Vector.zeros(x.count) }
    return solutionTransposedProduct(u, point(at: x, θ))
  }

  /// `B t = −ηDC t_f + E t_g`.
  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    if isZero(t) { return Vector.zeros(x.count) }
    let step = point(at: x, θ)
    let (tf, tg) = splitParameters(t)
    let zeros = Vector<Double>.zeros(x.count)
    let dz = gradientStep.tangent(mirrored: zeros, zeros, tf, at: x, step.objectiveParameter)
    return prox.jvp(at: step.z, step.proxParameter, scaling: stepSize, dz, tg)
  }

  /// `Bᵀu = [−ηCᵀDᵀu; Eᵀu]`.
  public func parameterJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    if isZero(u) { return Vector.zeros(θ.count) }
    return transposedProducts(u, point(at: x, θ)).1
  }

  /// The coordinates whose prox input `z = x − η∇f(x)` lies within `tolerance·(1 + ‖z‖∞)` of a
  /// kink of the prox (none for a smooth prox): there the solution is only directionally differentiable.
  public func degeneracies(at x: Vector<Double>, _ θ: Vector<Double>, tolerance: Double) -> [Degeneracy] {
    let z = proxInput(at: x, θ)
    guard let margin = prox.kinkMargin(at: z, splitParameters(θ).prox, scaling: stepSize) else { return [] }
    let scale = 1 + (z.scalars.map(abs).max() ?? 0)
    let kinks = margin.scalars.indices.filter { margin[$0] <= tolerance * scale }
    return kinks.isEmpty ? [] : [Degeneracy(.kink, indices: kinks)]
  }

  /// `A = D(I − ηH) − I` as the symmetric system `S = D⁺ − P(I − ηH)P + (I − P)` (`P = DD⁺`),
  /// when the prox declares `D⁺` (``ProximalOperator/jacobianPseudoInverseProduct(at:_:scaling:_:)``
  /// or ``ProximalOperator/jacobianIsOrthogonalProjector``): for the lasso and every polyhedral
  /// projection `S = ηPHP + (I − P)`, solved by CG with the condition number of `H` on the support
  /// instead of its square. Exact at `(x, θ)` whether or not `x` is a root.
  public func symmetricReformulation(at x: Vector<Double>, _ θ: Vector<Double>) -> SymmetricReformulation<
    Vector<Double>
  >? {
    let step = point(at: x, θ)
    let (z, θg, η) = (step.z, step.proxParameter, stepSize)
    let isProjector = prox.jacobianIsOrthogonalProjector
    guard isProjector || prox.jacobianPseudoInverseProduct(at: z, θg, scaling: η, Vector.zeros(x.count)) != nil
    else { return nil }
    let (prox, gradientStep, θf) = (self.prox, self.gradientStep, step.objectiveParameter)
    let zeros = Vector<Double>.zeros(x.count)
    return gradientStepReformulation(
      template: zeros, d: prox.preparedJacobianProduct(at: z, θg, scaling: η),
      pseudoInverse: { v in prox.jacobianPseudoInverseProduct(at: z, θg, scaling: η, v) ?? zeros },
      isProjector: isProjector,
      g: { v in gradientStep.tangent(mirrored: v, v, .zero, at: x, θf) })
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension(
      "θ (\(objectiveParameterCount) objective parameters, then \(proxParameterTemplate.dimension) prox parameters)",
      θ.count, expected: parameterCount)
    let (θf, θg) = splitParameters(θ)
    // An objectiveParameterCount that does not match the objective's data would trap in ∇f.
    if let checked = objective as? any ShapeCheckedObjective { try checked.validate(x, θf) }
    try prox.validate(dimension: x.count, θg)
  }

  // MARK: - Pieces

  /// `(Aᵀu, Bᵀu)` in one pass: one prox VJP, one reverse pass over dual numbers.
  func transposedProducts(_ u: Vector<Double>, _ step: ProxInput<Prox.Parameter>) -> (Vector<Double>, Vector<Double>) {
    let (wz, wg) = prox.vjp(at: step.z, step.proxParameter, scaling: stepSize, u)
    let w = wz.orZeros(step.x.count)
    let (ax, bf) = gradientStep.pullback(u, through: w, mirrored: w, at: step.x, step.objectiveParameter)
    return (ax, Vector(bf.scalars + (wg.dimension == 0 ? step.proxParameter.zeroLike : wg).flattened))
  }

  func solutionTransposedProduct(_ u: Vector<Double>, _ step: ProxInput<Prox.Parameter>) -> Vector<Double> {
    let w = prox.vjp(at: step.z, step.proxParameter, scaling: stepSize, u).z.orZeros(step.x.count)
    return gradientStep.pullback(u, through: w, mirrored: w, at: step.x, step.objectiveParameter).x
  }

  /// `z = x − η∇ₓf(x, θ_f)` at `(x, θ)`, with the split parameters.
  func point(at x: Vector<Double>, _ θ: Vector<Double>) -> ProxInput<Prox.Parameter> {
    let (θf, θg) = splitParameters(θ)
    return ProxInput(x: x, objectiveParameter: θf, proxParameter: θg, z: gradientStep.step(from: x, at: x, θf))
  }

  /// The prox input `z = x − η∇ₓf(x, θ_f)` at `(x, θ)`.
  public func proxInput(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { point(at: x, θ).z }
}

/// `x`, the parameters and the prox input `z = x − η∇f(x)` at one point.
struct ProxInput<ProxParameter> {
  let x: Vector<Double>
  let objectiveParameter: Vector<Double>
  let proxParameter: ProxParameter
  let z: Vector<Double>
}

extension ProximalGradientCondition: Sendable where Objective: Sendable, Prox: Sendable, Prox.Parameter: Sendable {}
