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

  /// The transposed product `M′(p)ᵀg`, or `nil` (default) to take it from the map's pullback
  /// (which evaluates `M(p)` again on every product).
  func transposedProduct(_ g: Output, at p: Input) -> Input?

  /// Throws a typed error when `p` has the wrong shape for this map. Default: accepts everything.
  func validate(_ p: Input) throws
}

extension ParameterMap {
  public func forwardProduct(_ t: Input, at p: Input) -> Output? { nil }
  public func transposedProduct(_ g: Output, at p: Input) -> Input? { nil }
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

  /// `M′(p)ᵀ g`: the map's ``ParameterMap/transposedProduct(_:at:)``, else its pullback.
  public func pullParameterCotangent(_ g: Base.Parameter, at p: Map.Input) -> Map.Input {
    if let pulled = map.transposedProduct(g, at: p) { return pulled.materialized(like: p) }
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
  /// `θ[to + i] = p[from + stride·i]` for `i < count`: one run per differentiated slot (stride 0
  /// broadcasts a one-entry input), so that `M(p)` is a copy of `base` and a few block copies.
  let runs: [Run]

  struct Run: Sendable {
    var from: Int
    var to: Int
    var count: Int
    var stride: Int
  }

  /// Reads the inputs of `layout` into the `slots` of `base`; inputs of `layout` without a slot
  /// do not enter `θ`. Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` when a
  /// differentiated input has neither the slot's size nor one entry (which is broadcast), or a
  /// slot does not fit in `base`.
  public init(layout: ParameterLayout, base: Vector<Double>, slots: [Slot]) throws {
    var runs = [Run]()
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
      runs.append(Run(from: e.offset, to: slot.offset, count: slot.count, stride: e.count == 1 ? 0 : 1))
    }
    self.base = base
    self.runs = runs
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
    if !p.isEmpty { scatter(p, into: &out) }
    return Vector(out)
  }

  /// `out[to + i] = p[from + stride·i]` over every run, in bulk (no per-entry uniqueness check).
  func scatter(_ p: Vector<Double>, into out: inout [Double]) {
    p.scalars.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { target in
        for run in runs where run.count > 0 {
          // A programming error, like an out-of-range index: `validate` rejects a wrong-length p.
          precondition(
            run.from + run.stride * (run.count - 1) < source.count && run.to + run.count <= target.count,
            "InputSelection: \(source.count) entries, expected \(inputCount)")
          if run.stride == 1 {
            target.baseAddress!.advanced(by: run.to).update(
              from: source.baseAddress!.advanced(by: run.from), count: run.count)
          } else {
            for i in 0..<run.count { target[run.to + i] = source[run.from] }
          }
        }
      }
    }
  }

  /// `M′ᵀu`: `u`'s entries gathered (summed over a broadcast run).
  func gather(_ u: Vector<Double>) -> Vector<Double> {
    var g = [Double](repeating: 0, count: inputCount)
    guard !u.isSymbolicZero else { return Vector(g) }
    precondition(u.count == base.count, "InputSelection: a cotangent of \(u.count) entries, expected \(base.count)")
    u.scalars.withUnsafeBufferPointer { source in
      g.withUnsafeMutableBufferPointer { target in
        for run in runs {
          for i in 0..<run.count { target[run.from + run.stride * i] += source[run.to + i] }
        }
      }
    }
    return Vector(g)
  }

  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ p: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>
  ) {
    (callAsFunction(p), { [self] u in gather(u) })
  }

  /// `M′t`: `t`'s entries scattered into zeros (the map is affine).
  public func forwardProduct(_ t: Vector<Double>, at p: Vector<Double>) -> Vector<Double>? {
    var out = [Double](repeating: 0, count: base.count)
    if !t.isSymbolicZero { scatter(t, into: &out) }
    return Vector(out)
  }

  /// `M′ᵀg`, without evaluating `M(p)` (the map is affine).
  public func transposedProduct(_ g: Vector<Double>, at p: Vector<Double>) -> Vector<Double>? { gather(g) }

  public func validate(_ p: Vector<Double>) throws {
    try ImplicitError.checkDimension("the packed parameters", p.count, expected: inputCount)
  }
}

extension Reparametrized: Sendable where Base: Sendable, Map: Sendable {}
