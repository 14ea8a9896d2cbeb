public import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import _Differentiation

/// The mirror-descent fixed point of a smooth objective `f(x, θ)` in the geometry of a mirror
/// map `φ`:
///
///     F(x, θ) = ∇φ*(∇φ(x) − η ∇ₓf(x, θ)) − x
///
/// (JAXopt's `MirrorDescent.optimality_fun`, which uses `η = 1`). With the KL geometry on the
/// simplex (``KLSimplexMirrorMap``) the roots are the minimisers of `f` over the simplex (and,
/// because zero coordinates are pinned by the safe log, the minimisers over any face); on a
/// product of simplices use ``KLRowSimplexMirrorMap``.
///
/// ## Derivatives
/// `F` contains `∇ₓf`, which the compiler cannot differentiate a second time, so
/// ``callAsFunction(_:_:)`` has an explicit derivative. With `y = ∇φ(x) − η∇ₓf` and
/// `p = ∇φ*(y)`:
///
///     A v = ∇²φ*(y) (∇²φ(x) v − η ∇²ₓₓf v) − v
///     B t = −η ∇²φ*(y) (∂∇ₓf/∂θ) t
///
/// For KL, `∇²φ*(y) = diag(p) − ppᵀ` per row and `∇²φ(x) = diag(1/x)` with `0` where `x = 0`.
/// The objective's exact second-order products (``ParametricObjective/gradientPullback(at:_:_:)``,
/// ``ParametricObjective/gradientJVP(at:_:along:_:)``, dual numbers inside reverse mode) supply
/// `∇²ₓₓf` and `∂∇ₓf/∂θ`: this is the gradient-step fixed point of ``ProximalGradientCondition``
/// with `∇φ` before the step and `∇φ*` in place of the prox, and it shares that condition's smooth
/// half (``GradientStep``: the cached `∇ₓf` and the `J − ηH`, `−ηC` algebra).
///
/// ## The step size
/// `η > 0` only rescales the gradient inside the condition: the roots, and so the implicit
/// derivative, do not depend on it. It need not equal the step the solver used.
///
/// ## Assumptions
/// `f` twice differentiable near the solution; `A` invertible — for KL on simplices: `∇²ₓₓf`
/// positive definite on the directions that keep each row's support and sum (strict
/// complementarity on the zero coordinates makes their derivative zero).
public struct MirrorDescentCondition<Objective: ParametricObjective, Map: MirrorMap>: OptimalityCondition {
  /// The smooth objective `f(x, θ)`.
  public var objective: Objective { gradientStep.objective }
  /// The geometry `φ`.
  public let mirrorMap: Map
  /// The step `η` inside the condition (default 1, as in JAXopt).
  public var stepSize: Double { gradientStep.stepSize }
  let gradientStep: GradientStep<Objective>

  /// Throws ``ImplicitError/invalidArgument(_:)`` unless `stepSize` is positive and finite.
  public init(objective: Objective, mirrorMap: Map, stepSize: Double = 1) throws {
    self.gradientStep = try GradientStep(objective: objective, stepSize: stepSize)
    self.mirrorMap = mirrorMap
  }

  /// This condition with the step `η` (finite and positive; traps otherwise).
  func with(stepSize: Double) -> Self { Self(self, stepSize: stepSize) }

  private init(_ other: Self, stepSize: Double) {
    gradientStep = other.gradientStep.with(stepSize: stepSize)
    mirrorMap = other.mirrorMap
  }

  /// The dual point `y = ∇φ(x) − η∇ₓf(x, θ)` (see ``MirrorMap/dualPoint(at:gradient:stepSize:)``).
  public func dualPoint(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    mirrorMap.dualPoint(at: x, gradient: gradientStep.gradient(at: x, θ), stepSize: stepSize)
  }

  /// One mirror-descent step `T(x, θ) = ∇φ*(∇φ(x) − η∇ₓf(x, θ))`.
  public func step(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    mirrorMap.inverseMirror(dualPoint(x, θ))
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    step(x, θ) - x
  }

  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let y = dualPoint(x, θ)
    return (mirrorMap.inverseMirror(y) - x, { u in self.pullback(u, x: x, θ, dual: y) })
  }

  /// `(Aᵀu, Bᵀu)` at the dual point `y` of `(x, θ)`.
  func pullback(_ u: Vector<Double>, x: Vector<Double>, _ θ: Vector<Double>, dual y: Vector<Double>) -> (
    Vector<Double>, Vector<Double>
  ) {
    if u.isSymbolicZero { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
    let w = mirrorMap.inverseMirrorVJP(at: y, u)
    let (dx, dθ) = gradientStep.pullback(u, through: w, mirrored: mirrorMap.mirrorVJP(at: x, w), at: x, θ)
    return (dx, dθ)
  }

  /// `A v + B t` at the dual point `y` of `(x, θ)`.
  func forward(_ v: Vector<Double>, _ t: Vector<Double>, x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let dy = gradientStep.tangent(mirrored: mirrorMap.mirrorJVP(at: x, v), v, t, at: x, θ)
    var out = mirrorMap.inverseMirrorJVP(at: dualPoint(x, θ), dy)
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
    pullback(u, x: x, θ, dual: dualPoint(x, θ)).0
  }

  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    forward(Vector.zeros(x.count), t, x: x, θ)
  }

  public func parameterJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    pullback(u, x: x, θ, dual: dualPoint(x, θ)).1
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try mirrorMap.validate(x)
    try ImplicitError.checkFinite("θ", θ)
    if let checked = objective as? any ShapeCheckedObjective { try checked.validate(x, θ) }
  }
}

extension MirrorDescentCondition: Sendable where Objective: Sendable, Map: Sendable {}
