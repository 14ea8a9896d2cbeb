import Dispatch
import Synchronization
public import _Differentiation

/// A batch of values of one type — many `θ`, many solutions, many cotangents — processed in
/// parallel across cores.
///
/// The one place where the library runs many problems at once:
/// - ``map(_:)`` runs a throwing function on every element in parallel and returns one `Result`
///   per element, in input order: one failing element does not spoil the others. Forward solves
///   of a hyper-parameter sweep are one call.
/// - ``ImplicitDifferentiator/vjps(_:at:_:)``, ``ImplicitDifferentiator/jvps(_:at:_:)`` and
///   ``ImplicitDifferentiator/jacobians(at:_:)`` are the throwing API on many points: each element
///   is exactly the one-at-a-time call (same solver, same certificate and policy, same errors).
/// - ``ImplicitFunction/callAsFunction(batch:)`` is the differentiable path: a batch of `θ` in, a
///   batch of solutions out, composing with `gradient(at:)`; its pullback runs the per-element VJPs
///   in parallel. A batch of an ``InnerProductSpace`` is one itself (its tangent is a batch).
///
/// ```swift
/// let θs = Batch([0.1, 0.2, 0.4])
/// let solutions = θs.map { θ in try solveRidge(θ) }       // [Result<Vector<Double>, any Error>]
/// let xs = try solutions.map { try $0.get() }
/// let hypergradients = try differentiator.vjps(xs.map(outerGradient), at: xs, θs.elements)
///
/// // Differentiable: x*(θᵢ) for the whole batch, gradients for every θᵢ in one backward pass.
/// let ridge = ImplicitFunction(condition: condition) { θ in solveRidge(θ) }
/// let g = gradient(at: θs) { batch in
///   let xs = ridge(batch: batch)
///   var loss = 0.0
///   for i in 0..<xs.count { loss = loss + validationLoss(xs[i]) }
///   return loss
/// }                                                       // g[i] = ∂loss/∂θᵢ
/// ```
///
/// Threads: a batch uses ``Kernels/availableThreads`` workers (all cores, `IMPLICIT_THREADS` or
/// ``Kernels/withThreadLimit(_:_:)`` restrict it), each taking the next element when it is done
/// with one, and every element's own kernels run on one thread — a batch on two cores never also
/// splits its products over two cores. A batch of one element runs on the calling thread with the
/// kernels' usual threading. Elements run concurrently, so the function must be `@Sendable`.
public struct Batch<Element> {
  /// The elements, in order.
  public var elements: [Element]

  /// A batch of `elements`.
  public init(_ elements: [Element]) { self.elements = elements }

  /// The number of elements.
  @noDerivative public var count: Int { elements.count }

  /// The element at `index` (differentiable when `Element` is an ``InnerProductSpace``). Traps on
  /// an index out of range, like `Array`.
  public subscript(index: Int) -> Element { elements[index] }
}

extension Batch: Sendable where Element: Sendable {}
extension Batch: Equatable where Element: Equatable {}

extension Batch where Element: Sendable {
  /// `transform` of every element, computed in parallel; the results are in the order of the
  /// elements, and an element whose `transform` throws gets that error as its result.
  public func map<Output: Sendable>(
    _ transform: @Sendable (Element) throws -> Output
  ) -> [Result<Output, any Error>] {
    let elements = self.elements
    return _parallelResults(count: elements.count) { try transform(elements[$0]) }
  }
}

/// `body(i)` for `i` in `0..<count`, each failure kept as its element's result (see
/// ``_parallelMap(count:_:)``).
func _parallelResults<Output: Sendable>(
  count: Int, _ body: @Sendable (Int) throws -> Output
) -> [Result<Output, any Error>] {
  _parallelMap(count: count) { i in Result { try body(i) } }
}

/// `body(i)` for `i` in `0..<count`, in order, computed on up to ``Kernels/availableThreads``
/// workers that each take the next index when done (so uneven elements balance), with the
/// kernels inside on one thread.
func _parallelMap<Output: Sendable>(count: Int, _ body: @Sendable (Int) -> Output) -> [Output] {
  let workers = Swift.min(Kernels.availableThreads, count)
  if workers <= 1 { return (0..<count).map(body) }
  let slots = _Slots<Output>(count: count)
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    Kernels.withThreadLimit(1) {
      while let i = slots.next() { slots.store(body(i), at: i) }
    }
  }
  return slots.values()
}

/// Values written by worker threads, each to its own slot, and the shared next index.
private final class _Slots<Output: Sendable>: @unchecked Sendable {
  // Each slot is written by exactly one worker and read only after `concurrentPerform` returns.
  private let slots: UnsafeMutablePointer<Output?>
  private let count: Int
  private let nextIndex = Mutex(0)

  init(count: Int) {
    self.count = count
    slots = .allocate(capacity: count)
    slots.initialize(repeating: nil, count: count)
  }

  deinit {
    slots.deinitialize(count: count)
    slots.deallocate()
  }

  /// The next index no worker has taken, or `nil` when all are taken.
  func next() -> Int? {
    nextIndex.withLock { i in
      guard i < count else { return nil }
      i += 1
      return i - 1
    }
  }

  func store(_ value: Output, at index: Int) { slots[index] = value }

  /// Every slot's value (all are filled once the workers are done).
  func values() -> [Output] { (0..<count).map { slots[$0]! } }
}

// MARK: - The throwing API on a batch

extension ImplicitDifferentiator
where Condition: Sendable, Condition.Solution: Sendable, Condition.Parameter: Sendable {
  /// ``vjp(_:at:_:)`` at every point `(xs[i], θs[i])` with cotangent `vs[i]`, in parallel (see
  /// ``Batch``). Element `i` of the result is exactly what `vjp(vs[i], at: xs[i], θs[i])` returns
  /// or throws. Throws only when the three arrays differ in length.
  public func vjps(
    _ vs: [Solution], at xs: [Solution], _ θs: [Parameter]
  ) throws -> [Result<Derivative<Parameter>, any Error>] {
    try Self.checkBatch(xs.count, ("cotangents vs", vs.count), ("parameters θs", θs.count))
    return _parallelResults(count: xs.count) { [self] i in try vjp(vs[i], at: xs[i], θs[i]) }
  }

  /// ``jvp(_:at:_:)`` at every point `(xs[i], θs[i])` with tangent `ts[i]`, in parallel (see
  /// ``Batch``). Element `i` of the result is exactly what `jvp(ts[i], at: xs[i], θs[i])` returns
  /// or throws. Throws only when the three arrays differ in length.
  public func jvps(
    _ ts: [Parameter], at xs: [Solution], _ θs: [Parameter]
  ) throws -> [Result<Derivative<Solution>, any Error>] {
    try Self.checkBatch(xs.count, ("tangents ts", ts.count), ("parameters θs", θs.count))
    return _parallelResults(count: xs.count) { [self] i in try jvp(ts[i], at: xs[i], θs[i]) }
  }

  /// ``jacobian(at:_:)`` at every point `(xs[i], θs[i])`, in parallel (see ``Batch``). Element `i`
  /// of the result is exactly what `jacobian(at: xs[i], θs[i])` returns or throws. Throws only when
  /// the arrays differ in length.
  public func jacobians(at xs: [Solution], _ θs: [Parameter]) throws -> [Result<JacobianResult, any Error>] {
    try Self.checkBatch(xs.count, ("parameters θs", θs.count))
    return _parallelResults(count: xs.count) { [self] i in try jacobian(at: xs[i], θs[i]) }
  }

  /// Throws `.shapeMismatch` unless every array of a batch has the length of the solutions `xs`.
  static func checkBatch(_ count: Int, _ others: (name: String, count: Int)...) throws {
    for other in others {
      try ImplicitError.checkDimension(
        "the batch: \(other.name) (one per solution in xs)", other.count, expected: count)
    }
  }
}

// MARK: - The differentiable path on a batch

extension ImplicitFunction
where Condition: Sendable, Condition.Solution: Sendable, Condition.Parameter: Sendable {
  /// `x*(θ)` for every `θ` of the batch, solved in parallel; differentiable in the batch, with a
  /// pullback that runs the per-element VJPs in parallel (see ``Batch``).
  ///
  /// Each element behaves as ``callAsFunction(_:)`` does on its own: where the throwing API would
  /// throw, that element's gradient is NaN (the others are unaffected), and each element's
  /// outcome goes to ``ImplicitOptions/onDiagnostics``, in the batch's order, on the calling thread.
  @differentiable(reverse,wrt: θs)
  public func callAsFunction(batch θs: Batch<Parameter>) -> Batch<Solution> {
    let solver = self.solver
    let elements = θs.elements
    return Batch(_parallelMap(count: elements.count) { solver(elements[$0]) })
  }

  @derivative(of: callAsFunction(batch:), wrt: θs)
  @usableFromInline func _vjpCallAsFunction(batch θs: Batch<Parameter>) -> (
    value: Batch<Solution>, pullback: (Batch<Solution>) -> Batch<Parameter>
  ) {
    let xs = callAsFunction(batch: θs).elements
    let θs = θs.elements
    let differentiator = self.differentiator
    return (
      Batch(xs),
      { vs in
        // A symbolic zero cotangent (nothing depended on the batch) is zero for every element.
        let vs = vs.elements.isEmpty ? xs.map(\.zeroLike) : vs.elements
        let results: [Result<Derivative<Parameter>, any Error>]
        do {
          results = try differentiator.vjps(vs, at: xs, θs)
        } catch {
          results = xs.map { _ in .failure(error) }
        }
        let report = differentiator.options.onDiagnostics
        return Batch(
          zip(results, θs).map { result, θ in
            switch result {
            case .success(let d):
              report?(.success(d.diagnostics))
              return d.value
            case .failure(let error):
              report?(.failure(error))
              return θ.unflattened([Double](repeating: .nan, count: θ.dimension))
            }
          })
      }
    )
  }
}

// MARK: - A batch as a vector space

extension Batch: AdditiveArithmetic where Element: InnerProductSpace {
  /// The symbolic zero: a batch of no elements, zero of every batch (see ``InnerProductSpace``).
  public static var zero: Batch { Batch([]) }

  /// Element-wise sum; a symbolic zero on either side is zero.
  public static func + (lhs: Batch, rhs: Batch) -> Batch {
    if lhs.elements.isEmpty { return rhs }
    if rhs.elements.isEmpty { return lhs }
    precondition(lhs.count == rhs.count, "Batch +: \(lhs.count) and \(rhs.count) elements")
    return Batch(zip(lhs.elements, rhs.elements).map { $0 + $1 })
  }

  /// Element-wise difference; a symbolic zero on either side is zero.
  public static func - (lhs: Batch, rhs: Batch) -> Batch {
    if rhs.elements.isEmpty { return lhs }
    if lhs.elements.isEmpty { return Batch(rhs.elements.map { $0.scaled(by: -1) }) }
    precondition(lhs.count == rhs.count, "Batch -: \(lhs.count) and \(rhs.count) elements")
    return Batch(zip(lhs.elements, rhs.elements).map { $0 - $1 })
  }
}

extension Batch: Differentiable where Element: InnerProductSpace {
  /// A batch's tangent is a batch of the elements' tangents.
  public typealias TangentVector = Batch
  /// Moves every element along its tangent.
  public mutating func move(by offset: Batch) { addScaled(1, offset) }
}

extension Batch: InnerProductSpace where Element: InnerProductSpace {
  /// The elements' coordinates, one element after the other.
  public var flattened: [Double] { elements.flatMap(\.flattened) }
  /// A batch shaped like `self` holding `values`.
  public func unflattened(_ values: [Double]) -> Batch {
    var start = 0
    return Batch(
      elements.map { e in
        let d = e.dimension
        defer { start += d }
        return e.unflattened(Array(values[start..<start + d]))
      })
  }
  /// `Σᵢ ⟨selfᵢ, otherᵢ⟩`.
  public func innerProduct(with other: Batch) -> Double {
    if elements.isEmpty || other.elements.isEmpty { return 0 }
    precondition(count == other.count, "Batch.innerProduct: \(count) and \(other.count) elements")
    return zip(elements, other.elements).reduce(0) { $0 + $1.0.innerProduct(with: $1.1) }
  }
  /// `self += alpha·x`, element by element.
  public mutating func addScaled(_ alpha: Double, _ x: Batch) {
    if x.elements.isEmpty { return }
    if elements.isEmpty {
      self = x.scaled(by: alpha)
      return
    }
    precondition(count == x.count, "Batch.addScaled: \(count) and \(x.count) elements")
    for i in elements.indices { elements[i].addScaled(alpha, x.elements[i]) }
  }
  /// `alpha·self`, element by element.
  public func scaled(by alpha: Double) -> Batch { Batch(elements.map { $0.scaled(by: alpha) }) }
  /// The total number of coordinates.
  public var dimension: Int { elements.reduce(0) { $0 + $1.dimension } }
  /// Whether every element is a symbolic zero (or there is none).
  public var isSymbolicZero: Bool { elements.allSatisfy(\.isSymbolicZero) }
  /// Each element materialized like the template's; a batch of no elements becomes the template's zero.
  public func materialized(like template: Batch) -> Batch {
    if elements.isEmpty { return template.zeroLike }
    precondition(count == template.count, "Batch.materialized: \(count) and \(template.count) elements")
    return Batch(zip(elements, template.elements).map { $0.materialized(like: $1) })
  }

  /// The element at `index`, differentiably: the pullback puts the cotangent at `index` and a
  /// symbolic zero everywhere else.
  @derivative(of: subscript)
  @usableFromInline func _vjpSubscript(index: Int) -> (value: Element, pullback: (Element) -> Batch) {
    let count = self.count
    return (
      elements[index],
      { v in
        var tangent = Batch([Element](repeating: .zero, count: count))
        tangent.elements[index] = v
        return tangent
      }
    )
  }
}
