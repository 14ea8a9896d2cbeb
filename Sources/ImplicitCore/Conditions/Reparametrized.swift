import _Differentiation

/// A differentiable map `M: p ↦ θ` between parameter spaces, for ``Reparametrized``.
///
/// A protocol rather than a stored closure: the compiler returns wrong derivatives for a stored
/// `@differentiable` closure differentiated with respect to a subset of its arguments, never for
/// a protocol witness (see docs/swift-ad-notes.md).
public protocol ParameterMap {
  /// The type of `p`.
  associatedtype Input: InnerProductSpace
  /// The type of `θ = M(p)`.
  associatedtype Output: InnerProductSpace

  /// `M(p)`.
  @differentiable(reverse)
  func callAsFunction(_ p: Input) -> Output

  /// The forward product `M′(p)·t`, or `nil` (default) when the map offers none.
  func forwardProduct(_ t: Input, at p: Input) -> Output?

  /// Throws a typed error when `p` has the wrong shape for this map. Default: accepts everything.
  func validate(_ p: Input) throws
}

extension ParameterMap {
  public func forwardProduct(_ t: Input, at p: Input) -> Output? { nil }
  public func validate(_ p: Input) throws {}
}

/// The condition `F̃(x, p) = F(x, M(p))`: a condition `F` posed on a new parameter `p` through a
/// differentiable map `M` (JAXopt users write `lambda x, p: F(x, M(p))`).
///
/// Its derivative products are exact chain-rule products of `F`'s and `M`'s:
/// `Ã = A` (`F`'s own products), `B̃ᵀu = M′(p)ᵀ(Bᵀu)` (`F`'s `Bᵀ`, else reverse mode of `F`,
/// then `M`'s pullback), and `B̃t = B(M′(p)t)` when `M` offers ``ParameterMap/forwardProduct(_:at:)``
/// and `F` offers `B t`. Otherwise `B̃t` is left to the library, which then takes central
/// differences of `F̃` along `t` (reverse products, dense Jacobians and VJPs stay exact).
public struct Reparametrized<Base: OptimalityCondition, Map: ParameterMap>: OptimalityCondition
where Map.Output == Base.Parameter {
  /// The condition `F`.
  public var base: Base
  /// The map `M`.
  public var map: Map

  /// `F(x, M(p))`.
  public init(_ base: Base, map: Map) {
    self.base = base
    self.map = map
  }

  @differentiable(reverse)
  public func callAsFunction(_ x: Base.Solution, _ p: Map.Input) -> Base.Solution { base(x, map(p)) }

  // Written by hand: differentiating through the generic requirements of two protocols at once
  // is what the AD notes warn about; the explicit chain is also what the products below use.
  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ x: Base.Solution, _ p: Map.Input) -> (
    value: Base.Solution, pullback: (Base.Solution) -> (Base.Solution, Map.Input)
  ) {
    let (θ, mapPullback) = valueWithPullback(at: p, of: map.callAsFunction)
    let (value, basePullback) = valueWithPullback(at: x, θ, of: base.callAsFunction)
    return (
      value,
      { u in
        let (gx, gθ) = basePullback(u)
        return (gx.materialized(like: x), mapPullback(gθ.materialized(like: θ)).materialized(like: p))
      }
    )
  }

  /// `M′(p)ᵀ g`, through `M`'s pullback.
  public func pullParameterCotangent(_ g: Base.Parameter, at p: Map.Input) -> Map.Input {
    let (θ, mapPullback) = valueWithPullback(at: p, of: map.callAsFunction)
    return mapPullback(g.materialized(like: θ)).materialized(like: p)
  }

  public var structure: LinearStructure { base.structure }
  public var derivativeSource: ForwardProductSource { base.derivativeSource }

  public func validate(_ x: Base.Solution, _ p: Map.Input) throws {
    try map.validate(p)
    try base.validate(x, map(p))
  }

  public func degeneracies(at x: Base.Solution, _ p: Map.Input, tolerance: Double) -> [Degeneracy] {
    base.degeneracies(at: x, map(p), tolerance: tolerance)
  }

  /// The base condition's: `A` does not depend on how `θ` is parametrised.
  public func symmetricReformulation(at x: Base.Solution, _ p: Map.Input) -> SymmetricReformulation<Base.Solution>? {
    base.symmetricReformulation(at: x, map(p))
  }

  public func solutionJacobianProduct(_ v: Base.Solution, at x: Base.Solution, _ p: Map.Input) -> Base.Solution? {
    base.solutionJacobianProduct(v, at: x, map(p))
  }

  public func solutionJacobianTransposedProduct(
    _ u: Base.Solution, at x: Base.Solution, _ p: Map.Input
  ) -> Base.Solution? {
    base.solutionJacobianTransposedProduct(u, at: x, map(p))
  }

  public func parameterJacobianProduct(_ t: Map.Input, at x: Base.Solution, _ p: Map.Input) -> Base.Solution? {
    guard let direction = map.forwardProduct(t, at: p) else { return nil }
    return base.parameterJacobianProduct(direction, at: x, map(p))
  }

  public func parameterJacobianTransposedProduct(
    _ u: Base.Solution, at x: Base.Solution, _ p: Map.Input
  ) -> Map.Input? {
    let θ = map(p)
    guard let g = base.parameterJacobianTransposedProduct(u, at: x, θ) else { return nil }
    return pullParameterCotangent(g, at: p)
  }
}

/// The linear map that reads some inputs of a vector parameter from a packed vector `p` and
/// keeps the others at fixed values: `M(p) = base` with, for each ``Slot`` whose input is
/// differentiated (see ``ParameterLayout``), `count` entries from `offset` replaced by that
/// input's entries in `p` (a one-entry input is broadcast over its slot).
///
/// A family poses its condition on all its inputs, `θ = [A; b; λ; …]`, and reparametrises it by
/// this map to differentiate with respect to whichever inputs a case lists.
public struct InputSelection: ParameterMap, Sendable {
  /// Where input `name` sits in `θ`.
  public struct Slot: Sendable {
    /// The input's name.
    public var name: String
    /// Its first index in `θ`.
    public var offset: Int
    /// Its number of entries in `θ`.
    public var count: Int
    /// A slot.
    public init(name: String, offset: Int, count: Int) {
      self.name = name
      self.offset = offset
      self.count = count
    }
  }

  /// `θ` at the data's values.
  public let base: Vector<Double>
  /// `dim(p)`.
  public let inputCount: Int
  /// `θ[to] = p[from]`.
  let moves: [(from: Int, to: Int)]

  /// Reads the inputs of `layout` into the `slots` of `base`; inputs of `layout` without a slot
  /// do not enter `θ`. Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` when a
  /// differentiated input has neither the slot's size nor one entry (which is broadcast), or a
  /// slot does not fit in `base`.
  public init(layout: ParameterLayout, base: Vector<Double>, slots: [Slot]) throws {
    var moves = [(from: Int, to: Int)]()
    for slot in slots {
      guard slot.offset >= 0, slot.count >= 0, slot.offset + slot.count <= base.count else {
        throw ImplicitError.shapeMismatch(
          what: "slot of input \(slot.name)", expected: "within \(base.count) entries",
          actual: "offset \(slot.offset), count \(slot.count)")
      }
      guard let e = layout.entry(slot.name) else { continue }
      guard e.count == slot.count || e.count == 1 else {
        throw ImplicitError.shapeMismatch(
          what: "input \(slot.name)", expected: "\(slot.count) or 1 entries", actual: "\(e.count)")
      }
      for i in 0..<slot.count { moves.append((e.offset + (e.count == 1 ? 0 : i), slot.offset + i)) }
    }
    self.base = base
    self.moves = moves
    inputCount = layout.packed.count
  }

  /// `θ = [names[0]; names[1]; …]` at the values of `data` (an absent input: `defaults[name]`),
  /// with the differentiated ones read from `p`.
  public init(
    _ data: some CaseData, layout: ParameterLayout, concatenating names: [String], defaults: [String: [Double]] = [:]
  ) throws {
    var values = [Double]()
    var slots = [Slot]()
    for name in names {
      let entries = try data.input(name)?.values ?? defaults[name] ?? data.array(name).values
      slots.append(Slot(name: name, offset: values.count, count: entries.count))
      values += entries
    }
    try self.init(layout: layout, base: Vector(values), slots: slots)
  }

  @differentiable(reverse)
  public func callAsFunction(_ p: Vector<Double>) -> Vector<Double> {
    var out = base.scalars
    if !p.isEmpty { for (from, to) in moves { out[to] = p[from] } }
    return Vector(out)
  }

  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ p: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>
  ) {
    let count = inputCount
    return (
      callAsFunction(p),
      { [moves] u in
        var g = [Double](repeating: 0, count: count)
        if !u.isSymbolicZero { for (from, to) in moves { g[from] += u[to] } }
        return Vector(g)
      }
    )
  }

  /// `M′t`: `t`'s entries scattered into zeros (the map is affine).
  public func forwardProduct(_ t: Vector<Double>, at p: Vector<Double>) -> Vector<Double>? {
    var out = [Double](repeating: 0, count: base.count)
    if !t.isSymbolicZero { for (from, to) in moves { out[to] = t[from] } }
    return Vector(out)
  }

  public func validate(_ p: Vector<Double>) throws {
    try ImplicitError.checkDimension("the packed parameters", p.count, expected: inputCount)
  }
}

extension Reparametrized: Sendable where Base: Sendable, Map: Sendable {}
