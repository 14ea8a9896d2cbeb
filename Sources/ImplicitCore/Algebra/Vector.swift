public import _Differentiation

/// A dense vector, generic over its scalar so that the same code runs on `Double` and on
/// ``Dual`` numbers.
///
/// Every arithmetic operation has a hand-registered derivative (see
/// `Vector+Differentiation.swift`), so reverse mode never differentiates a scalar loop.
///
/// ``zero`` is the *symbolic* zero tangent that automatic differentiation creates without knowing
/// a size: an explicit value (``isSymbolicZero``), the identity of `+` and `-` and zero in ``dot(_:)``
/// against a vector of any dimension. It is not the empty vector: `Vector([])` is a genuine
/// vector of dimension 0, and combining it with a non-empty vector is a dimension mismatch.
///
/// Shapes are checked with `precondition`, as `Array` checks its indices: shape errors in
/// arithmetic (`+`, `-`, `dot`, elementwise products of different dimensions) are programming
/// errors and trap. User data is validated (and a typed error thrown) where
/// it enters the library — condition initialisers, ``ImplicitDifferentiator``, case loading.
/// A vector can be built from any array (every array is a vector); shape checks against a
/// matrix or a parameter belong to the code that pairs them.
@frozen
public struct Vector<Scalar: RealScalar>: Sendable {
  /// The entries.
  public var scalars: [Scalar]
  /// Marks ``zero``; only meaningful while `scalars` is empty (see ``isSymbolicZero``).
  @usableFromInline var _symbolicZero = false

  /// A vector holding `scalars`.
  @inlinable public init(_ scalars: [Scalar]) { self.scalars = scalars }
  /// A vector of `count` copies of `value`.
  @inlinable public init(repeating value: Scalar, count: Int) {
    scalars = Array(repeating: value, count: count)
  }
  /// The zero vector of dimension `count`.
  @inlinable public static func zeros(_ count: Int) -> Vector { Vector(repeating: .zero, count: count) }
  /// The `index`-th standard basis vector of dimension `count`. Traps unless
  /// `0 ≤ index < count`, like an `Array` subscript.
  @inlinable public static func basis(_ index: Int, count: Int) -> Vector {
    var v = zeros(count)
    v.scalars[index] = 1
    return v
  }
  /// A vector of `Scalar` converted from real numbers.
  @inlinable public init(converting values: [Double]) {
    if Scalar.self == Double.self {
      scalars = unsafeBitCast(values, to: [Scalar].self)
    } else {
      scalars = values.map { Scalar($0) }
    }
  }

  /// The number of entries.
  @inlinable public var count: Int { scalars.count }
  /// Whether the vector has no entries: a vector of dimension 0, or the symbolic ``zero``.
  @inlinable public var isEmpty: Bool { scalars.isEmpty }
  /// Whether this is the symbolic zero ``zero`` (shapeless, zero of every dimension), as opposed
  /// to a vector with entries or a genuine vector of dimension 0. Giving it entries (through
  /// ``scalars``) makes it an ordinary vector.
  @inlinable public var isSymbolicZero: Bool { _symbolicZero && scalars.isEmpty }
  /// Entry access. Not differentiable on purpose: derivative code stays vector-level. Traps on
  /// an index out of range, like `Array`.
  @inlinable public subscript(index: Int) -> Scalar {
    get { scalars[index] }
    set { scalars[index] = newValue }
  }
  /// The real parts of the entries.
  @inlinable public var primal: [Double] {
    if Scalar.self == Double.self { return unsafeBitCast(scalars, to: [Double].self) }
    return scalars.map(\.primal)
  }
  /// Whether every entry is finite.
  @inlinable public var isFinite: Bool { scalars.allSatisfy(\.isFiniteScalar) }

  /// Applies `transform` to every entry (not differentiable; see the elementwise functions).
  @inlinable public func mapScalars(_ transform: (Scalar) -> Scalar) -> Vector {
    Vector(scalars.map(transform))
  }
}

extension Vector: Equatable where Scalar: Equatable {
  /// Equal entries; the symbolic zero equals only itself.
  @inlinable public static func == (lhs: Vector, rhs: Vector) -> Bool {
    lhs.scalars == rhs.scalars && lhs.isSymbolicZero == rhs.isSymbolicZero
  }
}

extension Vector: CustomStringConvertible {
  public var description: String {
    isSymbolicZero ? "Vector.zero" : "Vector(\(scalars.map(\.description).joined(separator: ", ")))"
  }
}

// MARK: - Vector space structure (needed by `Differentiable`)

extension Vector: AdditiveArithmetic {
  /// The symbolic zero (``isSymbolicZero``), which acts as zero of every dimension. Not the
  /// empty vector `Vector([])`, which has dimension 0.
  @inlinable public static var zero: Vector {
    var z = Vector([])
    z._symbolicZero = true
    return z
  }

  /// The sum. Traps when the dimensions differ (neither being the symbolic zero), like `Array`
  /// on an index out of range.
  @inlinable public static func + (lhs: Vector, rhs: Vector) -> Vector {
    if lhs.isSymbolicZero { return rhs }
    if rhs.isSymbolicZero { return lhs }
    precondition(lhs.count == rhs.count, "Vector +: dimensions \(lhs.count) and \(rhs.count)")
    if lhs.isEmpty { return lhs }
    if Scalar.self == Double.self {
      var out = lhs.scalars
      out.withUnsafeMutableBufferPointer { o in
        rhs._withDoubles { r in
          o.withMemoryRebound(to: Double.self) { Kernels.axpy(1, r.baseAddress!, $0.baseAddress!, r.count) }
        }
      }
      return Vector(out)
    }
    return Vector(zip(lhs.scalars, rhs.scalars).map { $0 + $1 })
  }

  /// The difference. Traps when the dimensions differ (neither being the symbolic zero).
  @inlinable public static func - (lhs: Vector, rhs: Vector) -> Vector {
    if rhs.isSymbolicZero { return lhs }
    if lhs.isSymbolicZero { return rhs._negated() }
    precondition(lhs.count == rhs.count, "Vector -: dimensions \(lhs.count) and \(rhs.count)")
    if lhs.isEmpty { return lhs }
    if Scalar.self == Double.self {
      var out = lhs.scalars
      out.withUnsafeMutableBufferPointer { o in
        rhs._withDoubles { r in
          o.withMemoryRebound(to: Double.self) { Kernels.axpy(-1, r.baseAddress!, $0.baseAddress!, r.count) }
        }
      }
      return Vector(out)
    }
    return Vector(zip(lhs.scalars, rhs.scalars).map { $0 - $1 })
  }

  @inlinable func _negated() -> Vector { isSymbolicZero ? self : Vector(scalars.map { -$0 }) }
}

extension Vector: Differentiable {
  public typealias TangentVector = Vector
  @inlinable public mutating func move(by offset: Vector) { self = self + offset }
}

// MARK: - Raw access for kernels

extension Vector {
  /// Calls `body` with the entries as `Double`s. Only valid when `Scalar == Double`.
  @inlinable func _withDoubles<R>(_ body: (UnsafeBufferPointer<Double>) -> R) -> R {
    scalars.withUnsafeBufferPointer { $0.withMemoryRebound(to: Double.self, body) }
  }

  /// A vector of `count` entries written by `body` as `Double`s. Only valid when `Scalar == Double`.
  @inlinable static func _fromDoubles(
    count: Int, _ body: (UnsafeMutablePointer<Double>) -> Void
  ) -> Vector {
    if count == 0 { return Vector([]) }
    let out = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
      body(buffer.baseAddress!)
      initialized = count
    }
    return Vector(unsafeBitCast(out, to: [Scalar].self))
  }
}
