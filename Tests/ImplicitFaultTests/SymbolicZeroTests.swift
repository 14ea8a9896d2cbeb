import ImplicitCore
import ImplicitProjections
import ImplicitRidge
import Testing
import _Differentiation

/// The symbolic zero is explicit (`Vector.zero`, `isSymbolicZero`); the empty vector is a genuine
/// vector of dimension 0. Combining it with a non-empty vector used to succeed silently (empty
/// acted as zero in `+`, `-`, `dot`, and the generic inner product truncated to the shorter
/// length): the raw operators now trap like `Array`, and entry points throw a typed error.
@Suite("Symbolic zero: explicit, never an empty vector")
struct SymbolicZeroTests {
  // MARK: The raw operators trap on a dimension mismatch (a programming error)

  @Test func emptyPlusNonEmptyTraps() async {
    await #expect(processExitsWith: .failure) { _ = Vector([1.0, 2]) + Vector<Double>([]) }
  }
  @Test func emptyMinusNonEmptyTraps() async {
    await #expect(processExitsWith: .failure) { _ = Vector<Double>([]) - Vector([1.0, 2]) }
  }
  @Test func emptyDotNonEmptyTraps() async {
    await #expect(processExitsWith: .failure) { _ = Vector([1.0, 2]).dot(Vector<Double>([])) }
  }
  @Test func addScaledEmptyTraps() async {
    await #expect(processExitsWith: .failure) {
      var v = Vector([1.0, 2])
      v.addScaled(2, Vector<Double>([]))
    }
  }
  /// The generic inner product (here of ``Hyperplane``, which uses the default) never truncates.
  @Test func genericInnerProductNeverTruncates() async {
    await #expect(processExitsWith: .failure) {
      let a = Hyperplane(normal: Vector([1, 2]), offset: 1), b = Hyperplane(normal: Vector([1, 2, 3]), offset: 1)
      _ = a.innerProduct(with: b)
    }
  }

  // MARK: The symbolic zero keeps working

  @Test("Vector.zero is the identity of +, −, zero in dot and addScaled; the empty vector is not symbolic")
  func symbolicZeroArithmetic() {
    let x = Vector([1.0, -2, 3])
    #expect(Vector<Double>.zero.isSymbolicZero && !Vector<Double>([]).isSymbolicZero && !x.isSymbolicZero)
    #expect(x + .zero == x && .zero + x == x && x - .zero == x && .zero - x == -x)
    #expect(x.dot(.zero) == 0 && Vector.zero.dot(x) == 0 && x.innerProduct(with: .zero) == 0)
    var y = Vector<Double>.zero
    y.addScaled(2, x)
    #expect(y == 2 * x)
    #expect((3 * Vector<Double>.zero).isSymbolicZero && (-Vector<Double>.zero).isSymbolicZero)
    #expect(Vector<Double>.zero != Vector([]))
    #expect(Vector<Double>.zero.materialized(like: x) == .zeros(3))
    #expect(Vector<Double>([]).materialized(like: x) == Vector([]))  // not silently expanded
    #expect(Vector<Double>([]) + Vector([]) == Vector([]))
  }

  /// Reverse mode accumulates the gradient of a struct from two terms that each touch one member:
  /// each term's tangent carries a symbolic zero for the other member, and the two are added.
  @Test("a zero tangent flowing through + gives the right gradient")
  func zeroTangentThroughPlus() {
    let c = Vector([1.0, 2, 3]), p = Pair(a: Vector([0.5, -1, 2]), b: Vector([3.0, 4]))
    let g = gradient(at: p) { p in p.a.dot(c) + p.b.squaredNorm() }
    #expect(g.a == c && g.b == 2 * p.b)
    let (value, pb) = valueWithPullback(at: p) { p in p.a }
    #expect(value == p.a)
    let back = pb(Vector([1, 1, 1]))
    #expect(back.a == Vector([1, 1, 1]) && back.b.isSymbolicZero)
    #expect((back + Pair.TangentVector(a: .zero, b: Vector([1, 1]))).b == Vector([1, 1]))
  }

  // MARK: Entry points throw a typed error

  /// An empty cotangent or tangent used to be expanded to zeros silently (a zero derivative).
  @Test("the differentiator rejects an empty vector where a tangent of dimension n is expected")
  func differentiatorRejectsEmptyTangents() throws {
    let A = Matrix<Double>([[1, 0, 2], [0, 1, 1], [1, 1, 0], [2, 0, 1]]), b = Vector([1.0, 2, 0, 1])
    let condition = try PerFeatureRidgeCondition(A: A, b: b)
    let θ = Vector([0.5, 1, 2])
    let x = try condition.solve(θ)
    let d = ImplicitDifferentiator(condition)
    #expect(throws: ImplicitError.self) { try d.vjp(Vector([]), at: x, θ) }
    #expect(throws: ImplicitError.self) { try d.jvp(Vector([]), at: x, θ) }
    // The symbolic zero is a zero tangent: a zero derivative, no error.
    #expect(try d.vjp(.zero, at: x, θ).value == .zeros(3))
    #expect(try d.jvp(.zero, at: x, θ).value == .zeros(3))
  }
}

struct Pair: Differentiable {
  var a: Vector<Double>
  var b: Vector<Double>
}
