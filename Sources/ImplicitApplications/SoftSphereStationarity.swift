public import ImplicitCore
import _Differentiation

/// The optimality condition of an energy-minimised soft-sphere packing, made non-singular.
///
/// Stationarity `∇ₓU(x, θ) = 0` alone does not determine `x*(θ)`: the Hessian `H = ∇²ₓU` is
/// singular along the two global translations, and along every coordinate of a *rattler*
/// (a particle with too few contacts to be held: its rows of `H` vanish). This condition
/// fixes exactly those directions and nothing else:
///
///     F(x, θ) = ∇ₓU_net(x, θ) + κ·R(x − x̂) + κ·T(Tᵀx − Tᵀx̂)
///
/// - `U_net` counts the pairs between non-rattlers only: at a minimum a rattler's contacts
///   carry no force, so the network does not feel it;
/// - `R` is the diagonal projector on rattler coordinates: a rattler stays where it is (its
///   position is not a function of `θ`, only of where it happened to stop in its cage);
/// - `T` holds the two unit translation vectors of the non-rattlers: their centre of mass is
///   pinned at that of the reference `x̂` (the minimiser does not move it either, since pair
///   forces cancel in the sum).
///
/// At the minimum `F(x̂, θ) = ∇U_net(x̂, θ) ≈ 0`, and `A = H + κR + κTTᵀ` is symmetric
/// positive definite for a stable packing. Because `B = ∂∇U_net/∂θ` has no rattler part and
/// no net force (`TᵀB = 0`), the solution of `A w = −B` satisfies `Rw = 0`, `Tᵀw = 0` and
/// `H w = −B`: it is the translation-free derivative, independent of `κ` — the gauge terms
/// only remove the null space, they do not bias the answer.
///
/// All four products (`A v`, `Aᵀu = A u`, `B t`, `Bᵀu`) are written by hand from the contact
/// blocks of ``SoftSphereContact``, and `callAsFunction` gets an explicit derivative built from
/// them: reverse-mode AD never records the pair loop.
public struct SoftSphereStationarity: OptimalityCondition {
  /// The system.
  public var packing: SoftSpherePacking
  /// Which particles are rattlers (see ``SoftSpherePacking/rattlers(of:)``).
  public var rattlers: [Bool]
  /// The reference configuration `x̂` (the minimum being differentiated).
  public var reference: [Double]
  /// The gauge stiffness `κ` (any positive value gives the same derivative; a value of the
  /// order of the Hessian's diagonal keeps `A` well conditioned).
  public var gaugeStiffness: Double
  /// The non-rattlers (`!rattlers`).
  let network: [Bool]
  /// `Tᵀx̂`: the reference centre of mass of the network, times √(network size).
  let referenceTranslation: (Double, Double)

  /// The condition at the minimum `reference`, with rattlers detected from its contacts at
  /// `θ` and `κ` set to the mean diagonal entry of the network Hessian.
  public init(packing: SoftSpherePacking, reference: [Double], θ: Double) throws {
    try ImplicitError.checkDimension("the reference positions", reference.count, expected: 2 * packing.count)
    let rattlers = packing.rattlers(of: packing.contacts(at: reference, θ))
    let contacts = packing.contacts(at: reference, θ, included: rattlers.map { !$0 })
    guard !contacts.isEmpty else {
      throw ImplicitError.invalidArgument("the packing has no force-bearing network (every particle is a rattler)")
    }
    let trace = contacts.reduce(0.0) { $0 + 2 * ($1.normalStiffness + $1.tangentialStiffness) }
    let networkSize = rattlers.filter { !$0 }.count
    try self.init(
      packing: packing, rattlers: rattlers, reference: reference,
      gaugeStiffness: trace / Double(2 * networkSize))
  }

  /// The condition with explicit rattlers and gauge stiffness.
  public init(packing: SoftSpherePacking, rattlers: [Bool], reference: [Double], gaugeStiffness: Double) throws {
    try ImplicitError.checkDimension("the rattler mask", rattlers.count, expected: packing.count)
    try ImplicitError.checkDimension("the reference positions", reference.count, expected: 2 * packing.count)
    guard gaugeStiffness > 0, gaugeStiffness.isFinite else {
      throw ImplicitError.invalidArgument("the gauge stiffness κ must be positive and finite, got \(gaugeStiffness)")
    }
    guard rattlers.contains(false) else {
      throw ImplicitError.invalidArgument("every particle is a rattler: nothing to differentiate")
    }
    self.packing = packing
    self.rattlers = rattlers
    self.reference = reference
    self.gaugeStiffness = gaugeStiffness
    self.network = rattlers.map { !$0 }
    var tx = 0.0, ty = 0.0
    for i in 0..<packing.count where network[i] {
      tx += reference[2 * i]
      ty += reference[2 * i + 1]
    }
    let scale = 1 / Double(network.filter { $0 }.count).squareRoot()
    self.referenceTranslation = (tx * scale, ty * scale)
  }

  public var structure: LinearStructure { .symmetricPositiveDefinite }

  public func validate(_ x: Vector<Double>, _ θ: Double) throws {
    try ImplicitError.checkDimension("the positions x", x.count, expected: 2 * packing.count)
    guard θ > 0 else { throw ImplicitError.invalidArgument("the small diameter θ must be positive, got \(θ)") }
  }

  /// The contacts of the force-bearing network at `(x, θ)`.
  public func networkContacts(at x: Vector<Double>, _ θ: Double) -> [SoftSphereContact] {
    packing.contacts(at: x.scalars, θ, included: network)
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> {
    var g = [Double]()
    packing.energy(at: x.scalars, θ, gradient: &g, included: network)
    addGauge(to: &g, times: x.scalars, subtracting: reference, translation: referenceTranslation)
    return Vector(g)
  }

  /// `out += κR(v − v₀) + κT(Tᵀv − t₀)`: the gauge part of `F` (with `v₀ = x̂`, `t₀ = Tᵀx̂`) or
  /// of `A v` (with `v₀ = 0`, `t₀ = 0`).
  func addGauge(
    to out: inout [Double], times v: [Double], subtracting v0: [Double]?, translation t0: (Double, Double)
  ) {
    let n = packing.count, κ = gaugeStiffness
    var tx = 0.0, ty = 0.0, size = 0.0
    for i in 0..<n {
      if network[i] {
        tx += v[2 * i]
        ty += v[2 * i + 1]
        size += 1
      } else {
        out[2 * i] += κ * (v[2 * i] - (v0?[2 * i] ?? 0))
        out[2 * i + 1] += κ * (v[2 * i + 1] - (v0?[2 * i + 1] ?? 0))
      }
    }
    let scale = 1 / size.squareRoot()
    let cx = κ * scale * (tx * scale - t0.0), cy = κ * scale * (ty * scale - t0.1)
    for i in 0..<n where network[i] {
      out[2 * i] += cx
      out[2 * i + 1] += cy
    }
  }

  /// `A v = H_net v + κRv + κTTᵀv`, exact.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    let v = v.materialized(like: x)
    var out = networkContacts(at: x, θ).hessianTimes(v.scalars)
    addGauge(to: &out, times: v.scalars, subtracting: nil, translation: (0, 0))
    return Vector(out)
  }

  /// `Aᵀu = A u` (`A` is symmetric).
  public func solutionJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Double
  ) -> Vector<Double>? {
    solutionJacobianProduct(u, at: x, θ)
  }

  /// `B t = t · ∂∇U_net/∂θ`, exact.
  public func parameterJacobianProduct(_ t: Double, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    Vector(networkContacts(at: x, θ).gradientParameterDerivative(particles: packing.count)).scaled(by: t)
  }

  /// `Bᵀu = ⟨∂∇U_net/∂θ, u⟩`, exact.
  public func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Double? {
    let u = u.materialized(like: x)
    let column = networkContacts(at: x, θ).gradientParameterDerivative(particles: packing.count)
    return Vector(column).innerProduct(with: u)
  }

  /// Reverse mode of `F` from the hand-written products: `u ↦ (A u, Bᵀu)`.
  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Double)
  ) {
    let contacts = networkContacts(at: x, θ)
    let column = Vector(contacts.gradientParameterDerivative(particles: packing.count))
    return (
      callAsFunction(x, θ),
      { u in
        guard !u.isSymbolicZero else { return (.zero, 0) }
        var out = contacts.hessianTimes(u.scalars)
        addGauge(to: &out, times: u.scalars, subtracting: nil, translation: (0, 0))
        return (Vector(out), column.innerProduct(with: u))
      }
    )
  }

  /// `w` in the gauge of the implicit derivative: rattler coordinates zeroed and the network's
  /// mean translation removed (so that a re-minimisation's difference quotient compares with
  /// `∂x*/∂θ`).
  func removingGauge(_ w: Vector<Double>) -> Vector<Double> {
    var s = w.scalars
    var mx = 0.0, my = 0.0, size = 0.0
    for i in 0..<packing.count where network[i] {
      mx += s[2 * i]
      my += s[2 * i + 1]
      size += 1
    }
    for i in 0..<packing.count {
      if network[i] {
        s[2 * i] -= mx / size
        s[2 * i + 1] -= my / size
      } else {
        s[2 * i] = 0
        s[2 * i + 1] = 0
      }
    }
    return Vector(s)
  }

  /// The coordinates of `w` that belong to network (non-rattler) particles.
  func networkPart(_ w: Vector<Double>) -> Vector<Double> {
    Vector((0..<packing.count).filter { network[$0] }.flatMap { [w.scalars[2 * $0], w.scalars[2 * $0 + 1]] })
  }
}
