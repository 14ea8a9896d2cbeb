import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing
import _Differentiation

/// The objectives' closed-form `gradient`, `gradientJVP` and `gradientPullback` (on doubles, one
/// pass over the data) against the protocol's defaults — reverse mode over dual numbers through
/// the same `callAsFunction` — on random rectangular data, with dense and support-sparse
/// directions and non-zero parameter directions.
@Suite("Closed-form products vs reverse mode over dual numbers")
struct ClosedFormProductTests {
  /// The objective seen only through its value: every product is the protocol's AD default.
  struct ADOnly<F: ParametricObjective>: ParametricObjective {
    let f: F
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Double { f(x, θ) }
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Dual>, _ θ: Vector<Dual>) -> Dual { f(x, θ) }
  }

  static func expectClose(_ a: Vector<Double>, _ b: Vector<Double>, _ label: String) {
    #expect(a.count == b.count, "\(label): \(a.count) vs \(b.count) entries")
    let error = Reference.relativeError(a.scalars, b.scalars)
    #expect(error <= 1e-11, "\(label): relative error \(error)")
  }

  /// Compares the three products of `f` with the AD defaults at `(x, θ)` along `(v, t)` and `u`.
  static func compare<F: ParametricObjective>(
    _ f: F, x: Vector<Double>, θ: Vector<Double>, v: Vector<Double>, t: Vector<Double>, u: Vector<Double>,
    _ label: String
  ) {
    let ad = ADOnly(f: f)
    expectClose(f.gradient(at: x, θ), ad.gradient(at: x, θ), "\(label) gradient")
    expectClose(f.gradientJVP(at: x, θ, along: v, t), ad.gradientJVP(at: x, θ, along: v, t), "\(label) JVP")
    let (px, pθ) = f.gradientPullback(at: x, θ, u)
    let (rx, rθ) = ad.gradientPullback(at: x, θ, u)
    expectClose(px, rx, "\(label) pullback x")
    expectClose(pθ, rθ, "\(label) pullback θ")
  }

  /// A direction with `count` nonzero entries among `n` (a support-restricted direction).
  static func sparse(_ n: Int, nonzeros count: Int, _ rng: inout SeededGenerator) -> Vector<Double> {
    var v = [Double](repeating: 0, count: n)
    for q in 0..<count { v[(q * 7919) % n] = rng.normal() }
    return Vector(v)
  }

  @Test("least squares: dense, sparse and zero directions", arguments: [(7, 5), (40, 97), (300, 1200)])
  func leastSquares(shape: (Int, Int)) throws {
    let (m, n) = shape
    var rng = SeededGenerator(seed: 1201)
    let A = rng.normalMatrix(rows: m, columns: n, scale: 1 / Double(m).squareRoot())
    let f = try LeastSquares(A: A)
    let x = rng.normalVector(n), b = rng.normalVector(m), t = rng.normalVector(m)
    Self.compare(f, x: x, θ: b, v: rng.normalVector(n), t: t, u: rng.normalVector(n), "dense")
    let few = Swift.max(1, n / 40)  // sparse enough for the gathered product on the larger shapes
    Self.compare(
      f, x: x, θ: b, v: Self.sparse(n, nonzeros: few, &rng), t: t, u: Self.sparse(n, nonzeros: few, &rng), "sparse")
    Self.compare(
      f, x: x, θ: b, v: Self.sparse(n, nonzeros: few, &rng), t: Vector.zeros(m),
      u: Self.sparse(n, nonzeros: few, &rng), "sparse, no θ direction")
    Self.compare(f, x: x, θ: b, v: Vector.zeros(n), t: t, u: Vector.zeros(n), "zero x direction")
  }

  /// The sparse `A·v` gathers only the nonzero columns; it must agree with the dense product on
  /// a direction at the switching density (one in 32 nonzero) and just above it.
  @Test("the sparse pass agrees with the dense pass at the switching density")
  func sparseSwitch() throws {
    var rng = SeededGenerator(seed: 1202)
    let (m, n) = (37, 160)
    let A = rng.normalMatrix(rows: m, columns: n)
    for count in [n / 32, n / 32 + 1] {
      let v = Self.sparse(n, nonzeros: count, &rng)
      let t = rng.normalVector(m), w = Vector((0..<m).map { 0.5 + Double($0 % 3) })
      let (product, image) = A.normalProduct(v, weights: w, minus: t)
      Self.expectClose(image, A * v, "image, \(count) nonzeros")
      Self.expectClose(product, A.transposedTimes(w * (A * v - t)), "product, \(count) nonzeros")
    }
  }

  @Test("ridge: one shared strength and one per feature", arguments: [(9, 13), (200, 700)])
  func ridge(shape: (Int, Int)) throws {
    let (m, n) = shape
    var rng = SeededGenerator(seed: 1203)
    let f = try RidgeRegression(A: rng.normalMatrix(rows: m, columns: n, scale: 0.3), b: rng.normalVector(m))
    let x = rng.normalVector(n)
    Self.compare(
      f, x: x, θ: Vector([0.7]), v: rng.normalVector(n), t: Vector([-0.4]), u: rng.normalVector(n), "shared")
    let θ = Vector((0..<n).map { _ in 0.3 + 0.5 * Double.random(in: 0..<1, using: &rng) })
    Self.compare(f, x: x, θ: θ, v: rng.normalVector(n), t: rng.normalVector(n), u: rng.normalVector(n), "per feature")
    Self.compare(
      f, x: x, θ: θ, v: Self.sparse(n, nonzeros: 2, &rng), t: Vector.zeros(n), u: Self.sparse(n, nonzeros: 2, &rng),
      "per feature, sparse directions")
  }

  @Test("binary logistic: with and without intercept; products at a new point refresh the weights")
  func logistic() throws {
    var rng = SeededGenerator(seed: 1204)
    let (m, d) = (61, 23)
    let X = rng.normalMatrix(rows: m, columns: d)
    let y = Vector((0..<m).map { _ in rng.normal() > 0 ? 1.0 : -1.0 })
    for intercept in [false, true] {
      let f = try BinaryLogisticRegression(features: X, labels: y, fitIntercept: intercept)
      let dim = f.solutionDimension
      let θ = Vector((0..<d).map { 0.2 + 0.01 * Double($0) })
      for point in 0..<2 {  // a second point: the cached curvature weights must not be reused
        let x = rng.normalVector(dim, scale: 0.5)
        let label = "intercept \(intercept), point \(point)"
        Self.compare(
          f, x: x, θ: θ, v: rng.normalVector(dim), t: rng.normalVector(d), u: rng.normalVector(dim), label)
        Self.compare(
          f, x: x, θ: Vector([0.3]), v: rng.normalVector(dim), t: Vector([1.5]), u: rng.normalVector(dim),
          "\(label), shared strength")
      }
    }
  }

  @Test("multiclass SVM dual: Gram form and product form, with a θ direction", arguments: [(12, 30), (30, 12)])
  func svmDual(shape: (Int, Int)) throws {
    let (n, p) = shape
    let k = 4
    var rng = SeededGenerator(seed: 1205)
    let Y = try oneHot(Vector((0..<n).map { Double(($0 * 5) % k) }), classes: k)
    let f = try MulticlassSVMDual(X: rng.normalMatrix(rows: n, columns: p), Y: Y)
    let beta = Vector((0..<(n * k)).map { _ in Double.random(in: 0..<1, using: &rng) })
    Self.compare(
      f, x: beta, θ: Vector([0.8]), v: rng.normalVector(n * k), t: Vector([0.6]), u: rng.normalVector(n * k), "SVM")
    // The symbolic zero (an empty direction) is the zero direction.
    let ad = ADOnly(f: f), zero = Vector<Double>.zeros(n * k), θ = Vector([0.8])
    Self.expectClose(
      f.gradientJVP(at: beta, θ, along: .zero, Vector([0.6])),
      ad.gradientJVP(at: beta, θ, along: zero, Vector([0.6])), "SVM JVP, symbolic zero")
    Self.expectClose(f.gradientPullback(at: beta, θ, .zero).x, zero, "SVM pullback, symbolic zero")
  }

  @Test("softmax cross-entropy (targets as θ) and l2 multiclass logistic, with and without intercept")
  func softmax() throws {
    var rng = SeededGenerator(seed: 1206)
    let (n, d, k) = (43, 11, 3)
    let X = rng.normalMatrix(rows: n, columns: d)
    let labels = Vector((0..<n).map { Double(($0 * 5) % k) })
    for intercept in [false, true] {
      let ce = try SoftmaxCrossEntropy(features: X, classes: k, fitIntercept: intercept)
      let dim = ce.solutionDimension
      // Soft targets: each row a random distribution.
      var targets = [Double]()
      for _ in 0..<n {
        let row = (0..<k).map { _ in Double.random(in: 0.1..<1, using: &rng) }
        let total = row.reduce(0, +)
        targets += row.map { $0 / total }
      }
      for point in 0..<2 {  // a second point: the cached probabilities must not be reused
        let x = rng.normalVector(dim, scale: 0.5)
        Self.compare(
          ce, x: x, θ: Vector(targets), v: rng.normalVector(dim), t: rng.normalVector(n * k),
          u: rng.normalVector(dim), "cross-entropy, intercept \(intercept), point \(point)")
      }
      let f = try L2MulticlassLogisticRegression(features: X, labels: labels, classes: k, fitIntercept: intercept)
      let x = rng.normalVector(dim, scale: 0.5)
      Self.compare(
        f, x: x, θ: Vector([0.4]), v: rng.normalVector(dim), t: Vector([0.9]), u: rng.normalVector(dim),
        "l2 multiclass, shared, intercept \(intercept)")
      let θ = Vector((0..<f.penalisedCount).map { 0.1 + 0.02 * Double($0 % 5) })
      Self.compare(
        f, x: x, θ: θ, v: rng.normalVector(dim), t: rng.normalVector(f.penalisedCount), u: rng.normalVector(dim),
        "l2 multiclass, per entry, intercept \(intercept)")
    }
  }
}
