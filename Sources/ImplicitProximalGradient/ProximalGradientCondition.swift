public import ImplicitCore
public import ImplicitProximal
import Synchronization
import _Differentiation

/// The proximal-gradient fixed point of `min_x f(x, θ_f) + g(x, θ_g)`, as an optimality condition:
///
///     F(x, θ) = prox_{ηg}(x − η∇ₓf(x, θ_f), θ_g) − x
///
/// for a smooth ``ParametricObjective`` `f`, a ``ProximalOperator`` for `g`, and a step `η > 0`.
/// Its roots are exactly the minimisers, whatever `η` (JAXopt's `ProximalGradient` condition).
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
/// derivative is one-sided; see ``kinks(at:_:tolerance:)`` and
/// ``implicitJacobian(at:_:options:kinkTolerance:onKink:)``. `A` is not symmetric in general.
///
/// The gradient step `z` of the last point visited is cached (thread-safely), so the many
/// products an implicit solve takes at one `(x, θ)` pay for `∇f` once.
public struct ProximalGradientCondition<Objective: ParametricObjective, Prox: ProximalOperator>: OptimalityCondition {
  public typealias Solution = Vector<Double>
  public typealias Parameter = Vector<Double>

  /// The smooth part `f(x, θ_f)`.
  public let objective: Objective
  /// The prox of the non-smooth part `g(x, θ_g)`.
  public let prox: Prox
  /// The step `η` of the fixed point (any `η > 0` has the same roots; `1/L` conditions `A` best).
  public let stepSize: Double
  /// `m = dim θ_f`, the number of leading entries of `θ` that belong to the objective.
  public let objectiveParameterCount: Int
  /// A value with the shape of `θ_g` (its entries are not used).
  public let proxParameterTemplate: Prox.Parameter
  let cache = GradientStepCache()

  /// The condition for `objective + penalty`, with `objectiveParameterCount` objective
  /// parameters followed by parameters shaped like `proxParameter`. Throws unless `stepSize`
  /// is finite and positive and the count is non-negative.
  public init(
    objective: Objective, prox: Prox, objectiveParameterCount: Int, proxParameter: Prox.Parameter,
    stepSize: Double = 1
  ) throws {
    guard stepSize > 0, stepSize.isFinite else {
      throw ImplicitError.invalidArgument("the step size η must be finite and positive, got \(stepSize)")
    }
    guard objectiveParameterCount >= 0 else {
      throw ImplicitError.invalidArgument(
        "objectiveParameterCount must be non-negative, got \(objectiveParameterCount)")
    }
    self.objective = objective
    self.prox = prox
    self.stepSize = stepSize
    self.objectiveParameterCount = objectiveParameterCount
    self.proxParameterTemplate = proxParameter
  }

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
    let step = gradientStep(at: x, θ)
    return prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
  }

  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let step = gradientStep(at: x, θ)
    let value = prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
    return (
      value,
      { u in
        if u.isEmpty { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
        return self.transposedProducts(u, step)
      }
    )
  }

  @derivative(of: callAsFunction, wrt: x)
  @usableFromInline func _vjpCallAsFunctionSolution(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>
  ) {
    let step = gradientStep(at: x, θ)
    let value = prox.prox(step.z, step.proxParameter, scaling: stepSize) - x
    return (
      value,
      { u in
        if u.isEmpty { return Vector.zeros(x.count) }
        return self.solutionTransposedProduct(u, step)
      }
    )
  }

  // MARK: - Hand-written products

  /// `A v = D(v − ηHv) − v`.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    if isZero(v) { return Vector.zeros(x.count) }
    let step = gradientStep(at: x, θ)
    let dz = v - stepSize * hessianProduct(step, v)
    return prox.jvp(at: step.z, step.proxParameter, scaling: stepSize, dz, step.proxParameter.zeroLike) - v
  }

  /// `Aᵀu = (I − ηH)Dᵀu − u`.
  public func solutionJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    if isZero(u) { return Vector.zeros(x.count) }
    return solutionTransposedProduct(u, gradientStep(at: x, θ))
  }

  /// `B t = −ηDC t_f + E t_g`.
  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    if isZero(t) { return Vector.zeros(x.count) }
    let step = gradientStep(at: x, θ)
    let (tf, tg) = splitParameters(t)
    let dz =
      objectiveParameterCount == 0 || isZero(tf)
      ? Vector.zeros(x.count)
      : (-stepSize) * objective.gradientJVP(at: x, step.objectiveParameter, along: Vector.zeros(x.count), tf)
    return prox.jvp(at: step.z, step.proxParameter, scaling: stepSize, dz, tg)
  }

  /// `Bᵀu = [−ηCᵀDᵀu; Eᵀu]`.
  public func parameterJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    if isZero(u) { return Vector.zeros(θ.count) }
    let step = gradientStep(at: x, θ)
    let (wz, wg) = prox.vjp(at: step.z, step.proxParameter, scaling: stepSize, u)
    return Vector(parameterCotangent(wz, step).scalars + wg.flattened)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension(
      "θ (\(objectiveParameterCount) objective parameters, then \(proxParameterTemplate.dimension) prox parameters)",
      θ.count, expected: parameterCount)
    try prox.validate(dimension: x.count, splitParameters(θ).prox)
  }

  // MARK: - Pieces

  /// `(Aᵀu, Bᵀu)` in one pass: one prox VJP, one reverse pass over dual numbers.
  func transposedProducts(_ u: Vector<Double>, _ step: GradientStep<Prox.Parameter>) -> (Vector<Double>, Vector<Double>)
  {
    let (wz, wg) = prox.vjp(at: step.z, step.proxParameter, scaling: stepSize, u)
    if objectiveParameterCount == 0 {
      return (wz - stepSize * hessianProduct(step, wz) - u, Vector(wg.flattened))
    }
    let (hw, cw) = objective.gradientPullback(at: step.x, step.objectiveParameter, wz)
    return (wz - stepSize * hw - u, Vector(((-stepSize) * cw).scalars + wg.flattened))
  }

  func solutionTransposedProduct(_ u: Vector<Double>, _ step: GradientStep<Prox.Parameter>) -> Vector<Double> {
    let wz = prox.vjp(at: step.z, step.proxParameter, scaling: stepSize, u).z
    return wz - stepSize * hessianProduct(step, wz) - u
  }

  /// `−ηCᵀw`.
  func parameterCotangent(_ w: Vector<Double>, _ step: GradientStep<Prox.Parameter>) -> Vector<Double> {
    if objectiveParameterCount == 0 { return Vector([]) }
    return (-stepSize) * objective.gradientPullback(at: step.x, step.objectiveParameter, w).θ
  }

  /// `∇²ₓₓf · v`, exact.
  func hessianProduct(_ step: GradientStep<Prox.Parameter>, _ v: Vector<Double>) -> Vector<Double> {
    objectiveHessianProduct(objective, step.x, step.objectiveParameter, v)
  }

  /// `z = x − η∇ₓf(x, θ_f)` at `(x, θ)`, from the cache when it was the last point visited.
  func gradientStep(at x: Vector<Double>, _ θ: Vector<Double>) -> GradientStep<Prox.Parameter> {
    let (θf, θg) = splitParameters(θ)
    if let z = cache.z(at: x, θ) {
      return GradientStep(x: x, objectiveParameter: θf, proxParameter: θg, z: z)
    }
    let z = x - stepSize * objectiveGradient(objective, x, θf)
    cache.store(x: x, θ: θ, z: z)
    return GradientStep(x: x, objectiveParameter: θf, proxParameter: θg, z: z)
  }

  /// The prox input `z = x − η∇ₓf(x, θ_f)` at `(x, θ)`.
  public func proxInput(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { gradientStep(at: x, θ).z }
}

/// `x`, the parameters and the prox input `z = x − η∇f(x)` at one point.
struct GradientStep<ProxParameter> {
  let x: Vector<Double>
  let objectiveParameter: Vector<Double>
  let proxParameter: ProxParameter
  let z: Vector<Double>
}

/// The last gradient step computed, keyed by `(x, θ)`; compared entry by entry, which costs far
/// less than the gradient it saves.
final class GradientStepCache: Sendable {
  private let state = Mutex<(x: Vector<Double>, θ: Vector<Double>, z: Vector<Double>)?>(nil)

  func z(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    state.withLock { entry in
      guard let entry, entry.x == x, entry.θ == θ else { return nil }
      return entry.z
    }
  }

  func store(x: Vector<Double>, θ: Vector<Double>, z: Vector<Double>) {
    state.withLock { $0 = (x, θ, z) }
  }
}
