import ImplicitCore
import ImplicitGradientStep
import ImplicitProjections
import ImplicitProximal
import _Differentiation

/// A projected-gradient ``ProximalGradientCondition`` (with ``ProjectionProximal``) re-parametrised by a reference case's packed parameters `p`
/// (see ``ParameterPack``): `F̃(x, p) = F(x, M(p))` with the affine map
///
///     M(p) = [p, θ_C(p)]
///
/// where the objective reads its differentiated inputs from the whole pack `p`, and `θ_C(p)` is
/// the constant projection parameter `base` with the case parameters named in `slots` (bounds,
/// a radius, a simplex value) overwritten from `p` (a scalar broadcast over its slot).
/// Then `Ã = A`, `B̃ t = B (M′t)`, `B̃ᵀu = M′ᵀ(Bᵀu)`, all exact.
struct PackedProjectedGradientCondition<Objective: ParametricObjective, SetProjection: Projection>: OptimalityCondition
{
  let inner: ProximalGradientCondition<Objective, ProjectionProximal<SetProjection>>
  let pack: ParameterPack
  /// `θ_C` for the parameters that are not differentiated.
  let base: SetProjection.Parameter
  let slots: [ProjectionParameterSlot]

  init(
    objective: Objective, projection: SetProjection, stepSize: Double, pack: ParameterPack,
    projectionParameter base: SetProjection.Parameter, slots: [ProjectionParameterSlot]
  ) throws {
    inner = try ProximalGradientCondition(
      objective: objective, projection: projection, objectiveParameterCount: pack.packed.count,
      projectionParameter: base, stepSize: stepSize)
    self.pack = pack
    self.base = base
    self.slots = slots
  }

  /// The pack entry and slot pairs that are differentiated.
  var differentiatedSlots: [(entry: ParameterPack.Entry, slot: ProjectionParameterSlot)] {
    slots.compactMap { slot in pack.entries.first { $0.name == slot.name }.map { ($0, slot) } }
  }

  /// `θ_C` given the pack (`linear`: the tangent map `M′`, starting from zeros, not `base`).
  func projectionParameter(_ p: Vector<Double>, linear: Bool) -> SetProjection.Parameter {
    var values = linear ? [Double](repeating: 0, count: base.dimension) : base.flattened
    if p.isEmpty { return base.unflattened(values) }
    for (e, slot) in differentiatedSlots {
      for i in 0..<slot.count { values[slot.offset + i] = p[e.offset + (e.count == 1 ? 0 : i)] }
    }
    return base.unflattened(values)
  }

  /// `M(p)`, or `M′p` when `linear`.
  func expand(_ p: Vector<Double>, linear: Bool = false) -> Vector<Double> {
    inner.packParameters(
      objective: p.isEmpty ? Vector.zeros(pack.packed.count) : p, prox: projectionParameter(p, linear: linear))
  }

  /// `M′ᵀg`: the objective part plus the `θ_C` slots added onto the pack entries they came from.
  func fold(_ g: Vector<Double>) -> Vector<Double> {
    let count = pack.packed.count
    if g.isEmpty { return Vector.zeros(count) }
    var out = Array(g.scalars[0..<count])
    for (e, slot) in differentiatedSlots {
      for i in 0..<slot.count { out[e.offset + (e.count == 1 ? 0 : i)] += g[count + slot.offset + i] }
    }
    return Vector(out)
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> { inner.callAsFunction(x, expand(p)) }

  @derivative(of: callAsFunction)
  func _vjpCallAsFunction(_ x: Vector<Double>, _ p: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let (value, pullback) = inner._vjpCallAsFunction(x, expand(p))
    return (
      value,
      { u in
        let (gx, gθ) = pullback(u)
        return (gx, self.fold(gθ))
      }
    )
  }

  func validate(_ x: Vector<Double>, _ p: Vector<Double>) throws {
    try ImplicitError.checkDimension("the packed case parameters", p.count, expected: pack.packed.count)
    try inner.validate(x, expand(p))
  }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double>? {
    inner.solutionJacobianProduct(v, at: x, expand(p))
  }

  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ p: Vector<Double>) -> Vector<
    Double
  >? {
    inner.solutionJacobianTransposedProduct(u, at: x, expand(p))
  }

  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double>? {
    inner.parameterJacobianProduct(expand(t, linear: true), at: x, expand(p))
  }

  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ p: Vector<Double>) -> Vector<
    Double
  >? {
    inner.parameterJacobianTransposedProduct(u, at: x, expand(p)).map(fold)
  }
}
