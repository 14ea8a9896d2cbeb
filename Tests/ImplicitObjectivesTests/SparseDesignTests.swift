import ImplicitCore
import ImplicitObjectives
import ImplicitSparse
import ImplicitTestSupport
import Testing

/// The objectives built on a ``SparseMatrix`` design against the same objectives on its dense
/// equal: values, closed-form gradients and second-order products agree to 1e-12, and the sparse
/// closed forms agree with reverse mode over dual numbers through the sparse `callAsFunction`.
@Suite("Objectives on a sparse design")
struct SparseDesignTests {
  /// A sparse `m × n` design with an empty row and an empty column, and its dense equal.
  static func design(_ m: Int, _ n: Int, seed: UInt64) throws -> (sparse: SparseMatrix, dense: Matrix<Double>) {
    var rng = SeededGenerator(seed: seed)
    var r = [Int](), c = [Int](), v = [Double]()
    for i in 0..<m where i != 1 {
      for j in 0..<n where j != n - 2 && rng.next() % 4 == 0 {
        r.append(i)
        c.append(j)
        v.append(rng.normal())
      }
    }
    let sparse = try SparseMatrix(rows: m, columns: n, rowIndices: r, columnIndices: c, values: v)
    return (sparse, sparse.densified())
  }

  static func expectClose(_ a: Vector<Double>, _ b: Vector<Double>, _ label: String) {
    #expect(a.count == b.count, "\(label): \(a.count) vs \(b.count) entries")
    let error = Reference.relativeError(a.scalars, b.scalars)
    #expect(error <= 1e-12, "\(label): relative error \(error)")
  }

  /// The value, gradient, JVP and pullback of `sparse` and `dense` at `(x, θ)` along `(v, t)`, `u`.
  static func compare<F: ParametricObjective>(
    _ sparse: F, _ dense: F, x: Vector<Double>, θ: Vector<Double>, v: Vector<Double>, t: Vector<Double>,
    u: Vector<Double>, _ label: String
  ) {
    let (fs, fd) = (sparse(x, θ), dense(x, θ))
    #expect(Swift.abs(fs - fd) <= 1e-12 * Swift.abs(fd), "\(label) value \(fs) vs \(fd)")
    expectClose(sparse.gradient(at: x, θ), dense.gradient(at: x, θ), "\(label) gradient")
    expectClose(sparse.gradientJVP(at: x, θ, along: v, t), dense.gradientJVP(at: x, θ, along: v, t), "\(label) JVP")
    let (sx, sθ) = sparse.gradientPullback(at: x, θ, u)
    let (dx, dθ) = dense.gradientPullback(at: x, θ, u)
    expectClose(sx, dx, "\(label) pullback x")
    expectClose(sθ, dθ, "\(label) pullback θ")
    ClosedFormProductTests.compare(sparse, x: x, θ: θ, v: v, t: t, u: u, "\(label), sparse vs AD")
  }

  @Test("least squares", arguments: [(11, 7), (6, 15)])
  func leastSquares(shape: (Int, Int)) throws {
    let (m, n) = shape
    let (a, dense) = try Self.design(m, n, seed: 41)
    let (fs, fd) = (try LeastSquares(A: a), try LeastSquares(A: dense))
    var rng = SeededGenerator(seed: 42)
    let x = rng.normalVector(n), b = rng.normalVector(m)
    Self.compare(
      fs, fd, x: x, θ: b, v: rng.normalVector(n), t: rng.normalVector(m), u: rng.normalVector(n), "least squares")
    let lipschitz = (fs.gradientLipschitzConstant(b), fd.gradientLipschitzConstant(b))
    #expect(Swift.abs(lipschitz.0 - lipschitz.1) <= 1e-8 * lipschitz.1)
    #expect(throws: ImplicitError.self) { try fs.validate(x, rng.normalVector(m + 1)) }
  }

  @Test("ridge: one shared strength and one per feature")
  func ridge() throws {
    let (m, n) = (13, 9)
    let (a, dense) = try Self.design(m, n, seed: 43)
    var rng = SeededGenerator(seed: 44)
    let b = rng.normalVector(m)
    let (fs, fd) = (try RidgeRegression(A: a, b: b), try RidgeRegression(A: dense, b: b))
    let x = rng.normalVector(n)
    Self.compare(
      fs, fd, x: x, θ: Vector([0.7]), v: rng.normalVector(n), t: Vector([-0.4]), u: rng.normalVector(n), "shared")
    let θ = Vector((0..<n).map { 0.3 + 0.05 * Double($0) })
    Self.compare(
      fs, fd, x: x, θ: θ, v: rng.normalVector(n), t: rng.normalVector(n), u: rng.normalVector(n), "per feature")
  }

  @Test("binary logistic: with and without intercept, shared and per-feature strengths")
  func logistic() throws {
    let (m, d) = (29, 11)
    let (X, dense) = try Self.design(m, d, seed: 45)
    var rng = SeededGenerator(seed: 46)
    let y = Vector((0..<m).map { _ in rng.normal() > 0 ? 1.0 : -1.0 })
    for intercept in [false, true] {
      let fs = try BinaryLogisticRegression(features: X, labels: y, fitIntercept: intercept)
      let fd = try BinaryLogisticRegression(features: dense, labels: y, fitIntercept: intercept)
      let dim = fs.solutionDimension
      let θ = Vector((0..<d).map { 0.2 + 0.01 * Double($0) })
      for point in 0..<2 {  // a second point: the cached curvature weights must be refreshed
        let x = rng.normalVector(dim, scale: 2)
        let label = "intercept \(intercept), point \(point)"
        Self.compare(
          fs, fd, x: x, θ: θ, v: rng.normalVector(dim), t: rng.normalVector(d), u: rng.normalVector(dim), label)
        Self.compare(
          fs, fd, x: x, θ: Vector([0.3]), v: rng.normalVector(dim), t: Vector([1.5]), u: rng.normalVector(dim),
          "\(label), shared strength")
      }
      let lipschitz = (fs.gradientLipschitzConstant(θ), fd.gradientLipschitzConstant(θ))
      #expect(Swift.abs(lipschitz.0 - lipschitz.1) <= 1e-8 * lipschitz.1)
    }
    #expect(throws: ImplicitError.self) {
      try BinaryLogisticRegression(features: X, labels: Vector(repeating: 0.5, count: m))
    }
    #expect(throws: ImplicitError.self) {
      try BinaryLogisticRegression(features: X, labels: Vector(repeating: 1, count: m + 1))
    }
  }
}
