public import ImplicitCore
import _Differentiation

/// The KKT conditions of `min_x f(x, θ) s.t. h(x, θ) = 0, g(x, θ) ≤ 0` as an optimality
/// condition over the primal–dual point `z = (x, ν, λ)` (a ``KKTSolution``):
///
///     F(z, θ) = ( ∇ₓf + ∂ₓhᵀν + ∂ₓgᵀλ ,  h ,  λ ∘ g )
///
/// with the Lagrangian `L = f + νᵀh + λᵀg`, `λ ≥ 0` (the sign convention of the reference
/// cases). `θ` is a vector; pack several parameters into it.
///
/// `A = ∂F/∂z` is invertible when the solution satisfies LICQ (the gradients of `h` and of the
/// active `g` are linearly independent), strict complementarity (`λᵢ > 0` for every active
/// constraint) and the second-order sufficient condition (`∇²ₓₓL` positive definite on the
/// tangent space of the active constraints). Under these, an inactive constraint (`gᵢ < 0`,
/// `λᵢ = 0`) gets `dλᵢ = 0` from its row `gᵢ·dλᵢ = 0`, and an active one stays active.
/// At a weakly active constraint (`λᵢ = gᵢ = 0`) `A` is singular; see ``ComplementarityMask``.
///
/// Why a hand-written derivative: the first block contains `∇ₓL`, and the compiler's AD has no
/// higher order. The pullback runs reverse mode over ``Dual`` numbers on the Lagrangian (exact
/// `∇²ₓₓL·u`, `(∂∇ₓL/∂θ)ᵀu` and `∂ₓh·u`, `∂ₓg·u` in one pass) plus one first-order pass on the
/// constraint pairing. Forward products `A·v`, `B·t` are exact too, so JVPs and iterative
/// solves need no finite differences.
///
/// ```swift
/// let condition = KKTCondition(BallSlice())                  // see ConstrainedProblem
/// let z = KKTSolution(primal: x, equality: ν, inequality: λ)  // from any solver
/// let dz = try ImplicitDifferentiator(condition).jacobian(at: z, θ)  // rows x, then ν, then λ
/// ```
public struct KKTCondition<Problem: ConstrainedProblem>: OptimalityCondition {
  /// The problem.
  public var problem: Problem
  /// Complementarity rows linearised as inactive (default: none).
  public var mask: ComplementarityMask

  /// The KKT condition of `problem`, with the complementarity rows of `mask` linearised as inactive.
  public init(_ problem: Problem, mask: ComplementarityMask = ComplementarityMask()) {
    self.problem = problem
    self.mask = mask
  }

  @differentiable(reverse)
  public func callAsFunction(_ z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution {
    residual(z, θ)
  }

  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ z: KKTSolution, _ θ: Vector<Double>) -> (
    value: KKTSolution, pullback: (KKTSolution) -> (KKTSolution, Vector<Double>)
  ) {
    let value = residual(z, θ)
    return (value, { w in self.pullback(w.materialized(like: z), at: z, θ) })
  }

  /// Throws unless `h(x, θ)` has one entry per `ν` and `g(x, θ)` one per `λ`.
  public func validate(_ z: KKTSolution, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension(
      "ν (one multiplier per equality constraint h(x, θ))", z.equality.count,
      expected: problem.equalityConstraints(z.primal, θ).count)
    try ImplicitError.checkDimension(
      "λ (one multiplier per inequality constraint g(x, θ))", z.inequality.count,
      expected: problem.inequalityConstraints(z.primal, θ).count)
  }

  /// The weakly active inequality constraints (not masked): `λᵢ ≤ tolerance·max(1, ‖λ‖∞)` and
  /// `|gᵢ(x, θ)| ≤ tolerance·max(1, ‖g‖∞)`. Their rows of `A` vanish.
  public func degeneracies(at z: KKTSolution, _ θ: Vector<Double>, tolerance: Double) -> [Degeneracy] {
    let λ = z.inequality
    guard λ.count > 0 else { return [] }
    let g = problem.inequalityConstraints(z.primal, θ)
    guard g.count == λ.count else { return [] }
    let λScale = max(1, λ.maxAbs), gScale = max(1, g.maxAbs)
    let weak = (0..<λ.count).filter {
      !mask.inactive.contains($0) && abs(λ[$0]) <= tolerance * λScale && abs(g[$0]) <= tolerance * gScale
    }
    return weak.isEmpty ? [] : [Degeneracy(.weaklyActiveConstraint, indices: weak)]
  }

  /// `A v`, exact (one reverse pass over dual numbers).
  public func solutionJacobianProduct(_ v: KKTSolution, at z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution? {
    forwardProduct(at: z, θ, along: v.materialized(like: z), Vector.zeros(θ.count))
  }

  /// `B t`, exact (one reverse pass over dual numbers).
  public func parameterJacobianProduct(_ t: Vector<Double>, at z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution? {
    forwardProduct(at: z, θ, along: z.zeroLike, t.isSymbolicZero ? Vector.zeros(θ.count) : t)
  }

  // MARK: - Implementation

  func lagrangian(_ z: KKTSolution, objective: Bool = true) -> Lagrangian<Problem> {
    Lagrangian(
      problem: problem, equalityCount: z.equality.count, inequalityCount: z.inequality.count,
      includesObjective: objective)
  }

  /// `F(z, θ)`.
  func residual(_ z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution {
    let lagrangian = lagrangian(z)
    let multipliers = z.equality.concatenated(with: z.inequality)
    let stationarity = gradient(at: z.primal) { x in lagrangian(x, θ, multipliers) }
    let (keep, drop) = mask.weights(count: z.inequality.count)
    let g = problem.inequalityConstraints(z.primal, θ)
    return KKTSolution(
      primal: stationarity.isSymbolicZero ? Vector.zeros(z.primal.count) : stationarity,
      equality: problem.equalityConstraints(z.primal, θ),
      inequality: z.inequality.isEmpty ? Vector([]) : z.inequality * (keep * g + drop))
  }

  /// `(Aᵀw, Bᵀw)` for a cotangent `w` with every part materialised.
  func pullback(_ w: KKTSolution, at z: KKTSolution, _ θ: Vector<Double>) -> (KKTSolution, Vector<Double>) {
    let n = z.primal.count, p = z.equality.count, m = z.inequality.count
    let lagrangian = lagrangian(z)
    let multipliers = z.equality.concatenated(with: z.inequality)
    // Row block 1 (∇ₓL): gradient of L at (x + ε w₁, θ, μ); its ε parts are ∇²ₓₓL·w₁,
    // (∂∇ₓL/∂θ)ᵀw₁ and (∂ₓh·w₁, ∂ₓg·w₁); its real part in μ is (h, g).
    let (gx, gθ, gμ) = _Differentiation.pullback(
      at: Vector<Dual>(values: z.primal, derivatives: w.primal),
      Vector<Dual>(values: θ, derivatives: Vector.zeros(θ.count)),
      Vector<Dual>(values: multipliers, derivatives: Vector.zeros(p + m))
    ) { x, θ, μ in lagrangian(x, θ, μ) }(Dual(1))
    var primal = gx.isSymbolicZero ? Vector.zeros(n) : gx.derivatives
    var parameter = gθ.isSymbolicZero ? Vector.zeros(θ.count) : gθ.derivatives
    let constraintsDot = gμ.isSymbolicZero ? Vector.zeros(p + m) : gμ.derivatives
    let constraints = gμ.isSymbolicZero ? Vector.zeros(p + m) : gμ.values
    // Row blocks 2 and 3 (h and λ∘g): the pairing w₂ᵀh + (λ∘keep∘w₃)ᵀg, first order.
    let (keep, drop) = mask.weights(count: m)
    let weights = w.equality.concatenated(with: m > 0 ? z.inequality * keep * w.inequality : Vector([]))
    if p + m > 0 {
      let pairing = self.lagrangian(z, objective: false)
      let (px, pθ) = gradient(at: z.primal, θ) { x, θ in pairing(x, θ, weights) }
      primal = primal + px
      parameter = parameter + pθ
    }
    var inequality = Vector<Double>([])
    if m > 0 {
      let g = constraints.slice(from: p, count: m)
      inequality = constraintsDot.slice(from: p, count: m) + (keep * g + drop) * w.inequality
    }
    let equality = p > 0 ? constraintsDot.slice(from: 0, count: p) : Vector<Double>([])
    return (KKTSolution(primal: primal, equality: equality, inequality: inequality), parameter)
  }

  /// `A v + B t`, from the gradient of `L` at `(x + ε vₓ, θ + ε t, μ + ε v_μ)`.
  func forwardProduct(
    at z: KKTSolution, _ θ: Vector<Double>, along v: KKTSolution, _ t: Vector<Double>
  ) -> KKTSolution {
    let n = z.primal.count, p = z.equality.count, m = z.inequality.count
    let lagrangian = lagrangian(z)
    let (gx, _, gμ) = _Differentiation.pullback(
      at: Vector<Dual>(values: z.primal, derivatives: v.primal),
      Vector<Dual>(values: θ, derivatives: t),
      Vector<Dual>(
        values: z.equality.concatenated(with: z.inequality), derivatives: v.equality.concatenated(with: v.inequality))
    ) { x, θ, μ in lagrangian(x, θ, μ) }(Dual(1))
    let constraintsDot = gμ.isSymbolicZero ? Vector.zeros(p + m) : gμ.derivatives
    let constraints = gμ.isSymbolicZero ? Vector.zeros(p + m) : gμ.values
    var inequality = Vector<Double>([])
    if m > 0 {
      let (keep, drop) = mask.weights(count: m)
      let g = constraints.slice(from: p, count: m)
      inequality = keep * z.inequality * constraintsDot.slice(from: p, count: m) + (keep * g + drop) * v.inequality
    }
    return KKTSolution(
      primal: gx.isSymbolicZero ? Vector.zeros(n) : gx.derivatives,
      equality: p > 0 ? constraintsDot.slice(from: 0, count: p) : Vector([]),
      inequality: inequality)
  }
}

extension KKTCondition: Sendable where Problem: Sendable {}
