import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// Reverse-mode gradient of `f` at `x` against central differences (a symbolic-zero gradient
/// counts as zeros).
func expectGradientMatchesFiniteDifferences<T: InnerProductSpace>(
  _ label: String, at x: T, tolerance: Double = 1e-7, _ f: @differentiable(reverse) (T) -> Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let ad = gradient(at: x, of: f)
  let adValues = ad.dimension == 0 ? [Double](repeating: 0, count: x.dimension) : ad.flattened
  let fd = FiniteDifferences.gradient(at: x) { f($0) }
  #expect(
    adValues.count == fd.count, "\(label): gradient has \(adValues.count) entries", sourceLocation: sourceLocation)
  guard adValues.count == fd.count else { return }
  let error = Reference.relativeError(adValues, fd)
  #expect(
    error < tolerance, "\(label): relative error \(error)\n AD \(adValues)\n FD \(fd)", sourceLocation: sourceLocation)
}

/// The same for a function of two arguments, differentiated with respect to both.
func expectGradientsMatchFiniteDifferences<T: InnerProductSpace, U: InnerProductSpace>(
  _ label: String, at x: T, _ y: U, tolerance: Double = 1e-7, _ f: @differentiable(reverse) (T, U) -> Double,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  let (gx, gy) = gradient(at: x, y, of: f)
  let adX = gx.dimension == 0 ? [Double](repeating: 0, count: x.dimension) : gx.flattened
  let adY = gy.dimension == 0 ? [Double](repeating: 0, count: y.dimension) : gy.flattened
  let fdX = FiniteDifferences.gradient(at: x) { f($0, y) }
  let fdY = FiniteDifferences.gradient(at: y) { f(x, $0) }
  guard adX.count == fdX.count, adY.count == fdY.count else {
    Issue.record("\(label): gradient shapes \(adX.count), \(adY.count)", sourceLocation: sourceLocation)
    return
  }
  let ex = Reference.relativeError(adX, fdX), ey = Reference.relativeError(adY, fdY)
  #expect(ex < tolerance, "\(label) (first argument): relative error \(ex)", sourceLocation: sourceLocation)
  #expect(ey < tolerance, "\(label) (second argument): relative error \(ey)", sourceLocation: sourceLocation)
}

/// Each hand-registered VJP of `Vector` and `Matrix` against central finite differences of a
/// scalar `⟨op(x), r⟩` with a fixed random `r`.
@Suite("Vector / Matrix primitive derivatives vs finite differences")
struct PrimitiveDerivativeTests {
  let x = Vector(Reference.randomVector(6, seed: 111))
  let y = Vector(Reference.randomVector(6, seed: 112))
  let r = Vector(Reference.randomVector(6, seed: 113))
  /// Entries in [0.5, 2]: the domain of log and sqrt.
  var positive: Vector<Double> {
    Vector(Reference.randomVector(6, seed: 114).map { 1.25 + 0.5 * Swift.max(-1.4, Swift.min(1.4, $0)) })
  }
  /// Entries at least 0.2 away from 0: where relu and abs are differentiable.
  var awayFromZero: Vector<Double> { Vector(x.scalars.map { $0 >= 0 ? $0 + 0.2 : $0 - 0.2 }) }
  let a = Matrix(rows: 4, columns: 6, scalars: Reference.randomVector(24, seed: 115))
  let b = Matrix(rows: 6, columns: 3, scalars: Reference.randomVector(18, seed: 116))
  let r4 = Vector(Reference.randomVector(4, seed: 117))
  let r3 = Vector(Reference.randomVector(3, seed: 118))
  let r12 = Vector(Reference.randomVector(12, seed: 119))
  let r24 = Vector(Reference.randomVector(24, seed: 120))

  @Test("reductions: dot, sum, mean, squaredNorm, norm, logSumExp")
  func reductions() {
    let (y, r) = (y, r)
    expectGradientsMatchFiniteDifferences("dot (both)", at: x, y) { $0.dot($1) }
    expectGradientMatchesFiniteDifferences("dot (self only)", at: x) { $0.dot(y) }
    expectGradientMatchesFiniteDifferences("dot (other only)", at: x) { y.dot($0) }
    expectGradientMatchesFiniteDifferences("sum", at: x) { $0.sum() }
    expectGradientMatchesFiniteDifferences("mean", at: x) { $0.mean() }
    expectGradientMatchesFiniteDifferences("squaredNorm", at: x) { $0.squaredNorm() }
    expectGradientMatchesFiniteDifferences("norm", at: x) { $0.norm() }
    expectGradientMatchesFiniteDifferences("logSumExp", at: x) { $0.logSumExp() }
    expectGradientMatchesFiniteDifferences("logSumExp (large entries)", at: x.scaled(by: 300)) { $0.logSumExp() }
    expectGradientMatchesFiniteDifferences("softmax", at: x) { $0.softmax().dot(r) }
    // At 0 the norm's derivative is the zero subgradient, not NaN.
    let g = gradient(at: Vector.zeros(3)) { (v: Vector<Double>) in v.norm() }
    #expect(g.scalars.allSatisfy { $0 == 0 } && (g.isEmpty || g.count == 3), "\(g)")
  }

  @Test("elementwise functions: exp, log, sqrt, squared, softplus, sigmoid, relu, abs, sign")
  func elementwiseFunctions() {
    let r = r
    expectGradientMatchesFiniteDifferences("exp", at: x) { $0.exp().dot(r) }
    expectGradientMatchesFiniteDifferences("log", at: positive) { $0.log().dot(r) }
    expectGradientMatchesFiniteDifferences("sqrt", at: positive) { $0.sqrt().dot(r) }
    expectGradientMatchesFiniteDifferences("squared", at: x) { $0.squared().dot(r) }
    expectGradientMatchesFiniteDifferences("softplus", at: x) { $0.softplus().dot(r) }
    expectGradientMatchesFiniteDifferences("softplus (±30)", at: Vector([30, -30, 12, -12, 0.1, -0.1])) {
      $0.softplus().dot(r)
    }
    expectGradientMatchesFiniteDifferences("sigmoid", at: x) { $0.sigmoid().dot(r) }
    expectGradientMatchesFiniteDifferences("sigmoid (±30)", at: Vector([30, -30, 12, -12, 0.1, -0.1])) {
      $0.sigmoid().dot(r)
    }
    expectGradientMatchesFiniteDifferences("relu", at: awayFromZero) { $0.relu().dot(r) }
    expectGradientMatchesFiniteDifferences("abs", at: awayFromZero) { $0.abs().dot(r) }
    expectGradientMatchesFiniteDifferences("sign", at: awayFromZero) { $0.sign().dot(r) }
    expectGradientMatchesFiniteDifferences("negation", at: x) { (-$0).dot(r) }
  }

  @Test("values of elementwise functions against libm")
  func elementwiseValues() {
    let v = Vector([30, -30, 2.5, -0.7, 0, 1e-3])
    let softplus = v.softplus().scalars, sigmoid = v.sigmoid().scalars
    for i in 0..<v.count {
      let expectedSoftplus =
        v[i] > 0 ? v[i] + Reference.log1p(Reference.exp(-v[i])) : Reference.log1p(Reference.exp(v[i]))
      #expect(Swift.abs(softplus[i] - expectedSoftplus) <= 1e-15 * Swift.max(1, Swift.abs(expectedSoftplus)))
      #expect(Swift.abs(sigmoid[i] - Reference.sigmoid(v[i])) <= 1e-15)
    }
    #expect(v.relu().scalars == [30, 0, 2.5, 0, 0, 1e-3])
    #expect(v.abs().scalars == [30, 30, 2.5, 0.7, 0, 1e-3])
    #expect(v.sign().scalars == [1, -1, 1, -1, 0, 1])
    let lse = Vector([1000.0, 1000.0]).logSumExp()
    #expect(Swift.abs(lse - (1000 + Reference.log(2))) < 1e-12)
    let p = Vector([1000.0, 999.0, -1000.0]).softmax()
    #expect(p.isFinite && Swift.abs(p.sum() - 1) < 1e-15)
  }

  @Test("slicing and joining")
  func slicingAndJoining() {
    let (r, r3) = (r, r3)
    expectGradientMatchesFiniteDifferences("slice", at: x) { $0.slice(from: 2, count: 3).dot(r3) }
    let r9 = Vector(Reference.randomVector(9, seed: 121))
    expectGradientsMatchFiniteDifferences("concatenated", at: x, Vector([0.3, -0.4, 2.0])) {
      $0.concatenated(with: $1).dot(r9)
    }
    expectGradientMatchesFiniteDifferences("concatenated (other only)", at: r3) { x.concatenated(with: $0).dot(r9) }
    _ = r
  }

  @Test("scalar–vector and vector–vector arithmetic")
  func arithmetic() {
    let r = r
    let s = 1.7
    expectGradientsMatchFiniteDifferences("vector + vector", at: x, y) { ($0 + $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector − vector", at: x, y) { ($0 - $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector + scalar", at: x, s) { ($0 + $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector − scalar", at: x, s) { ($0 - $1).dot(r) }
    expectGradientsMatchFiniteDifferences("scalar · vector", at: s, x) { ($0 * $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector · scalar", at: x, s) { ($0 * $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector / scalar", at: x, s) { ($0 / $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector ⊙ vector", at: x, y) { ($0 * $1).dot(r) }
    expectGradientsMatchFiniteDifferences("vector ⊘ vector", at: x, positive) { ($0 / $1).dot(r) }
    expectGradientMatchesFiniteDifferences("θ·c, θ a scalar (mixed types)", at: s) { ($0 * x).dot(r) }
  }

  @Test("matrix–vector products: matvec, transposedTimes, normalTimes (w.r.t. x and (A, x))")
  func matrixVectorProducts() {
    let (a, r4, r) = (a, r4, r)
    expectGradientMatchesFiniteDifferences("A·x w.r.t. x", at: x) { (a * $0).dot(r4) }
    expectGradientsMatchFiniteDifferences("A·x w.r.t. (A, x)", at: a, x) { ($0 * $1).dot(r4) }
    expectGradientMatchesFiniteDifferences("A·x w.r.t. A", at: a) { ($0 * x).dot(r4) }
    expectGradientMatchesFiniteDifferences("Aᵀy w.r.t. y", at: r4) { a.transposedTimes($0).dot(r) }
    expectGradientsMatchFiniteDifferences("Aᵀy w.r.t. (A, y)", at: a, r4) { $0.transposedTimes($1).dot(r) }
    expectGradientMatchesFiniteDifferences("AᵀAx w.r.t. x", at: x) { a.normalTimes($0).dot(r) }
    // Values against plain loops.
    let ax = Reference.matvec(Reference.rows(a), x.scalars)
    #expect(Reference.relativeError((a * x).scalars, ax) < 1e-14)
    #expect(
      Reference.relativeError(
        a.transposedTimes(r4).scalars, Reference.matvec(Reference.transpose(Reference.rows(a)), r4.scalars)) < 1e-14)
    #expect(
      Reference.relativeError(a.normalTimes(x).scalars, Reference.matvec(Reference.transpose(Reference.rows(a)), ax))
        < 1e-14)
  }

  @Test("matrix operations: matmul, transposed, sums, rowLogSumExp, reshaping, scaling, products")
  func matrixOperations() {
    let (a, b, r3, r4, r12, r24, r) = (a, b, r3, r4, r12, r24, r)
    expectGradientsMatchFiniteDifferences("A·B w.r.t. (A, B)", at: a, b) { ($0 * $1).flattenedVector().dot(r12) }
    expectGradientMatchesFiniteDifferences("A·B w.r.t. B", at: b) { (a * $0).flattenedVector().dot(r12) }
    expectGradientMatchesFiniteDifferences("A·B w.r.t. A", at: a) { ($0 * b).flattenedVector().dot(r12) }
    expectGradientMatchesFiniteDifferences("transposed", at: a) { $0.transposed().flattenedVector().dot(r24) }
    expectGradientMatchesFiniteDifferences("rowSums", at: a) { $0.rowSums().dot(r4) }
    expectGradientMatchesFiniteDifferences("columnSums", at: a) { $0.columnSums().dot(r) }
    expectGradientMatchesFiniteDifferences("rowLogSumExp", at: a) { $0.rowLogSumExp().dot(r4) }
    expectGradientMatchesFiniteDifferences("flattenedVector", at: a) { $0.flattenedVector().dot(r24) }
    expectGradientMatchesFiniteDifferences("Matrix(reshaping:)", at: r24) {
      (Matrix(reshaping: $0, rows: 6, columns: 4) * r4).dot(r)
    }
    expectGradientMatchesFiniteDifferences("reshaped", at: r24) { ($0.reshaped(rows: 4, columns: 6) * x).dot(r4) }
    expectGradientsMatchFiniteDifferences("scalar · matrix", at: 0.8, a) { ($0 * $1).rowSums().dot(r4) }
    expectGradientsMatchFiniteDifferences("matrix + matrix", at: a, a.scaled(by: 0.3)) { ($0 + $1).rowSums().dot(r4) }
    expectGradientsMatchFiniteDifferences("matrix − matrix", at: a, a.scaled(by: 0.3)) { ($0 - $1).rowSums().dot(r4) }
    expectGradientsMatchFiniteDifferences("elementwiseProduct", at: a, a.scaled(by: -0.6)) {
      $0.elementwiseProduct($1).columnSums().dot(r)
    }
    expectGradientMatchesFiniteDifferences("Matrix.squaredNorm", at: a) { $0.squaredNorm() }
    expectGradientMatchesFiniteDifferences("Matrix.sum", at: a) { $0.sum() }
    // Values against plain loops.
    let ab = Reference.matmul(Reference.rows(a), Reference.rows(b))
    #expect(Reference.relativeError(Reference.rows(a * b), ab) < 1e-14)
    #expect(Reference.rows(a.transposed()) == Reference.transpose(Reference.rows(a)))
    let rowLSE = a.rowLogSumExp().scalars
    for i in 0..<a.rows {
      let expected = Reference.log((0..<a.columns).map { Reference.exp(a[i, $0]) }.reduce(0, +))
      #expect(Swift.abs(rowLSE[i] - expected) < 1e-14 * Swift.max(1, Swift.abs(expected)))
    }
    _ = r3
  }

  @Test("pullbacks accept the symbolic zero cotangent (Vector.zero)")
  func symbolicZeroCotangent() {
    let (a, x) = (a, x)
    let pbMatvec = pullback(at: x) { a * $0 }
    #expect(pbMatvec(Vector.zero).scalars.allSatisfy { $0 == 0 })
    let pbSoftmax = pullback(at: x) { $0.softmax() }
    #expect(pbSoftmax(Vector.zero).scalars.allSatisfy { $0 == 0 })
    let pbProduct = pullback(at: x) { $0 * x }
    #expect(pbProduct(Vector.zero).scalars.allSatisfy { $0 == 0 })
    let pbMatmul = pullback(at: a) { $0 * Matrix<Double>.identity(6) }
    #expect(pbMatmul(Matrix.zero).scalars.allSatisfy { $0 == 0 })
  }
}
