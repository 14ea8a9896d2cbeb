// The module ImplicitGradientStep: the one gradient-step fixed point x = T(x − η∇f(x, θ), θ)
// (``ProximalGradientCondition``; a projection is the prox ``ProjectionProximal``), its smooth
// half ``GradientStep`` that the mirror-descent and block-coordinate-descent conditions reuse, and
// the one accelerated proximal/projected gradient solver (``FISTA``). It is a shared module, not a
// family: the four gradient-step families (proximal gradient, projected gradient, mirror descent,
// block coordinate descent) all need it and may not import one another. Merging the projected-
// into the proximal-gradient family would have served only two of the four.
public import ImplicitCore
import Synchronization

/// The smooth half of every gradient-step fixed point
///
///     F(x, θ) = T(M(x) − η∇ₓf(x, θ_f), θ_g) − x
///
/// — the proximal-gradient condition (`M = I`, `T` a prox; a projection is the prox of an
/// indicator), the blockwise prox of block coordinate descent, and mirror descent (`M = ∇φ`,
/// `T = ∇φ*`). With `H = ∇²ₓₓf`, `C = ∂∇ₓf/∂θ_f`, `D = ∂T/∂y` and `J = ∂M/∂x`:
///
///     A = D(J − ηH) − I          B = [−ηDC,  ∂T/∂θ_g]
///
/// The outer map's `D`, `Dᵀ`, `J`, `Jᵀ` belong to each condition; this type supplies the rest once:
/// the gradient `∇ₓf` (cached, thread-safely, for the last point visited, so the many products an
/// implicit solve takes at one `(x, θ)` pay for it once) and the objective's exact second-order
/// products (``ParametricObjective/gradientPullback(at:_:_:)``,
/// ``ParametricObjective/gradientJVP(at:_:along:_:)``, dual numbers inside reverse mode).
public struct GradientStep<Objective: ParametricObjective> {
  /// The smooth objective `f(x, θ_f)`.
  public let objective: Objective
  /// The step `η > 0`.
  public let stepSize: Double
  let cache = GradientCache()

  /// Throws ``ImplicitError/invalidArgument(_:)`` unless `stepSize` is finite and positive.
  public init(objective: Objective, stepSize: Double) throws {
    guard stepSize > 0, stepSize.isFinite else {
      throw ImplicitError.invalidArgument("the step size η must be finite and positive, got \(stepSize)")
    }
    self.objective = objective
    self.stepSize = stepSize
  }

  /// The same smooth half with the step `stepSize`, which must be finite and positive (traps
  /// otherwise; for code that cannot throw, such as a differentiable unrolled solver).
  public func with(stepSize: Double) -> GradientStep {
    precondition(stepSize > 0 && stepSize.isFinite, "the step size η must be finite and positive, got \(stepSize)")
    return GradientStep(uncheckedObjective: objective, stepSize: stepSize)
  }

  private init(uncheckedObjective objective: Objective, stepSize: Double) {
    self.objective = objective
    self.stepSize = stepSize
  }

  /// `∇ₓf(x, θ_f)`, from the cache when `(x, θ_f)` was the last point visited.
  public func gradient(at x: Vector<Double>, _ θf: Vector<Double>) -> Vector<Double> {
    if let g = cache.gradient(at: x, θf) { return g }
    let g = objective.gradient(at: x, θf)
    cache.store(x: x, θ: θf, gradient: g)
    return g
  }

  /// The step `y − η∇ₓf(x, θ_f)` from the (mirrored) point `y` (`y = x` in the Euclidean geometry).
  public func step(from y: Vector<Double>, at x: Vector<Double>, _ θf: Vector<Double>) -> Vector<Double> {
    var z = y
    z.addScaled(-stepSize, gradient(at: x, θf))
    return z
  }

  /// `(Aᵀu, (Bᵀu)_f) = (Jᵀw − ηHw − u, −ηCᵀw)` given `w = Dᵀu` and `Jᵀw` (`w` itself when `M = I`).
  public func pullback(
    _ u: Vector<Double>, through w: Vector<Double>, mirrored jw: Vector<Double>, at x: Vector<Double>,
    _ θf: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let (hw, cw) = objective.gradientPullback(at: x, θf, w)
    var dx = jw
    dx.addScaled(-stepSize, hw)
    dx.addScaled(-1, u)
    return (dx, θf.isEmpty ? Vector([]) : cw.scaled(by: -stepSize))
  }

  /// The tangent of the step, `J v − η(Hv + C t_f)`, given `Jv` (`v` itself when `M = I`).
  public func tangent(
    mirrored jv: Vector<Double>, _ v: Vector<Double>, _ tf: Vector<Double>, at x: Vector<Double>, _ θf: Vector<Double>
  ) -> Vector<Double> {
    var dz = jv
    if !(isZero(v) && isZero(tf)) {
      dz.addScaled(
        -stepSize, objective.gradientJVP(at: x, θf, along: v, tf.isSymbolicZero ? Vector.zeros(θf.count) : tf))
    }
    return dz
  }
}

/// The last gradient computed, keyed by `(x, θ)`; compared entry by entry, which costs far less
/// than the gradient it saves.
final class GradientCache: Sendable {
  private let state = Mutex<(x: Vector<Double>, θ: Vector<Double>, gradient: Vector<Double>)?>(nil)

  func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    state.withLock { entry in
      guard let entry, entry.x == x, entry.θ == θ else { return nil }
      return entry.gradient
    }
  }

  func store(x: Vector<Double>, θ: Vector<Double>, gradient: Vector<Double>) {
    state.withLock { $0 = (x, θ, gradient) }
  }
}

extension Vector where Scalar == Double {
  /// `self`, or `count` zeros when `self` is the symbolic zero (`Vector.zero`).
  func orZeros(_ count: Int) -> Vector<Double> { isSymbolicZero && count > 0 ? Vector.zeros(count) : self }
}

extension GradientStep: Sendable where Objective: Sendable {}

/// The symmetric reformulation shared by every gradient-step condition, `A = D G − I` with `D`
/// the outer map's symmetric PSD Jacobian, `D⁺` its pseudo-inverse, `P = DD⁺` the projector on
/// its range, and `G = J − ηH` symmetric:
///
///     A w = r   ⇔  S u = −D⁺r − PG(I − P)r,  w = Pu − (I − P)r
///     Aᵀ q = r  ⇔  S y = −Pr,                 q = G Py − r
///
/// with `S = D⁺ − PGP + (I − P)`, symmetric, and positive definite when `G ≺ D⁺` on `range(P)`
/// (for a prox of a convex function and `η ≤ 1/L` at a unique solution, `S` is `ηPHP` plus a PSD
/// term on `range(P)`). The `(I − P)` term makes `S` invertible on the whole space; right-hand
/// sides lie in `range(P)`, where CG stays. Derivation: `(I − P)D = 0` splits `A w = r` into
/// `(I − P)w = −(I − P)r` and `D⁺` times the rest; for `Aᵀ = GD − I`, `y = Dq` gives
/// `(D⁺ − PG)y = −Pr` and `q = Gy − r`.
package func gradientStepReformulation(
  template: Vector<Double>, d: @escaping (Vector<Double>) -> Vector<Double>,
  pseudoInverse: @escaping (Vector<Double>) -> Vector<Double>, isProjector: Bool,
  g: @escaping (Vector<Double>) -> Vector<Double>
) -> SymmetricReformulation<Vector<Double>> {
  let p: (Vector<Double>) -> Vector<Double> = isProjector ? d : { v in d(pseudoInverse(v)) }
  let s = LinearOperator(template: template) { (y: Vector<Double>) -> Vector<Double> in
    let py = p(y)
    // S y = D⁺Py − PGPy + (I − P)y; for a projector D⁺P = P, so S y = y − PGPy.
    var out = isProjector ? y : pseudoInverse(py) + (y - py)
    out.addScaled(-1, p(g(py)))
    return out
  }
  let system = SymmetricReformulation<Vector<Double>>.Correspondence(
    rightHandSide: { r in
      let pr = p(r)
      var c = isProjector ? pr : pseudoInverse(r)
      c.addScaled(1, p(g(r - pr)))
      return c.scaled(by: -1)
    },
    lift: { r, u in p(u) - (r - p(r)) })
  let transposed = SymmetricReformulation<Vector<Double>>.Correspondence(
    rightHandSide: { r in p(r).scaled(by: -1) },
    lift: { r, y in g(p(y)) - r })
  return SymmetricReformulation(s, system: system, transposedSystem: transposed)
}
