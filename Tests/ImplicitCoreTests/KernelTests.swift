import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// The SIMD / multithreaded kernels against naive loops, on sizes below and above
/// `Kernels.parallelThreshold` (so both the serial and the split path run).
@Suite("Kernels vs naive loops")
struct KernelTests {
  /// `|a − b| ≤ 1e-13·scale` entrywise, with `scale` the largest sum of absolute products.
  static func expectClose(_ a: [Double], _ b: [Double], scale: Double, _ label: String) {
    #expect(a.count == b.count, "\(label): sizes")
    let worst = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(worst <= 1e-13 * scale, "\(label): worst difference \(worst) at scale \(scale)")
  }

  /// (rows, columns): one below and one above the parallel threshold.
  static let shapes: [(Int, Int)] = [(37, 29), (600, 500)]

  @Test("the large shapes really reach the parallel path")
  func thresholds() {
    #expect(600 * 500 >= Kernels.parallelThreshold)
    #expect(37 * 29 < Kernels.parallelThreshold)
    #expect(70 * 70 * 70 >= Kernels.parallelThreshold)
    #expect(Kernels.threadCount >= 1)
  }

  @Test("dot and sum for lengths around the SIMD block sizes", arguments: [0, 1, 7, 8, 15, 16, 17, 33, 1003])
  func dotAndSum(n: Int) {
    let a = Reference.randomVector(n, seed: 141), b = Reference.randomVector(n, seed: 142)
    var naiveDot = 0.0, naiveSum = 0.0, scale = 0.0
    for i in 0..<n {
      naiveDot += a[i] * b[i]
      naiveSum += a[i]
      scale += Swift.abs(a[i] * b[i]) + Swift.abs(a[i])
    }
    #expect(Swift.abs(Vector(a).dot(Vector(b)) - naiveDot) <= 1e-14 * Swift.max(scale, 1e-300))
    #expect(Swift.abs(Vector(a).sum() - naiveSum) <= 1e-14 * Swift.max(scale, 1e-300))
    if n > 0 {
      let direct = a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { Kernels.dot(pa.baseAddress!, $0.baseAddress!, n) }
      }
      #expect(Swift.abs(direct - naiveDot) <= 1e-14 * scale)
      let s = a.withUnsafeBufferPointer { Kernels.sum($0.baseAddress!, n) }
      #expect(Swift.abs(s - naiveSum) <= 1e-14 * scale)
      var y = b
      y.withUnsafeMutableBufferPointer { yp in
        a.withUnsafeBufferPointer { Kernels.axpy(0.5, $0.baseAddress!, yp.baseAddress!, n) }
      }
      #expect(y == (0..<n).map { b[$0] + 0.5 * a[$0] })
    }
  }

  @Test("matvec, matvecTransposed and normalMatvec", arguments: [0, 1])
  func matrixVector(shapeIndex: Int) {
    let (m, n) = Self.shapes[shapeIndex]
    let a = Reference.randomVector(m * n, seed: 143)
    let x = Reference.randomVector(n, seed: 144), y = Reference.randomVector(m, seed: 145)
    let matrix = Matrix(rows: m, columns: n, scalars: a)
    var ax = [Double](repeating: 0, count: m), aty = [Double](repeating: 0, count: n)
    var scaleAx = 0.0, scaleAty = 0.0
    for i in 0..<m {
      var s = 0.0, sa = 0.0
      for j in 0..<n {
        s += a[i * n + j] * x[j]
        sa += Swift.abs(a[i * n + j] * x[j])
        aty[j] += a[i * n + j] * y[i]
        scaleAty = Swift.max(scaleAty, Swift.abs(a[i * n + j] * y[i]) * Double(m))
      }
      ax[i] = s
      scaleAx = Swift.max(scaleAx, sa)
    }
    Self.expectClose((matrix * Vector(x)).scalars, ax, scale: scaleAx, "matvec \(m)×\(n)")
    Self.expectClose(matrix.transposedTimes(Vector(y)).scalars, aty, scale: scaleAty, "matvecTransposed \(m)×\(n)")
    var atax = [Double](repeating: 0, count: n)
    for i in 0..<m { for j in 0..<n { atax[j] += a[i * n + j] * ax[i] } }
    let normalScale = atax.map(Swift.abs).max()! * Double(m)
    Self.expectClose(matrix.normalTimes(Vector(x)).scalars, atax, scale: normalScale, "normalMatvec \(m)×\(n)")

    // The raw kernels, called directly.
    var out = [Double](repeating: .nan, count: m)
    a.withUnsafeBufferPointer { pa in
      x.withUnsafeBufferPointer { px in
        out.withUnsafeMutableBufferPointer { Kernels.matvec(pa.baseAddress!, m, n, px.baseAddress!, $0.baseAddress!) }
      }
    }
    Self.expectClose(out, ax, scale: scaleAx, "Kernels.matvec")
    var outT = [Double](repeating: .nan, count: n)
    a.withUnsafeBufferPointer { pa in
      y.withUnsafeBufferPointer { py in
        outT.withUnsafeMutableBufferPointer {
          Kernels.matvecTransposed(pa.baseAddress!, m, n, py.baseAddress!, $0.baseAddress!)
        }
      }
    }
    Self.expectClose(outT, aty, scale: scaleAty, "Kernels.matvecTransposed")
    var outN = [Double](repeating: .nan, count: n)
    a.withUnsafeBufferPointer { pa in
      x.withUnsafeBufferPointer { px in
        outN.withUnsafeMutableBufferPointer {
          Kernels.normalMatvec(pa.baseAddress!, m, n, px.baseAddress!, $0.baseAddress!)
        }
      }
    }
    Self.expectClose(outN, atax, scale: normalScale, "Kernels.normalMatvec")
  }

  @Test("matmul", arguments: [(5, 7, 3), (70, 70, 70), (90, 40, 80)])
  func matrixMatrix(shape: (Int, Int, Int)) {
    let (m, k, n) = shape
    let a = Reference.randomRows(m, k, seed: 146), b = Reference.randomRows(k, n, seed: 147)
    let expected = Reference.matmul(a, b)
    let scale = Double(k) * (a.flatMap { $0 }.map(Swift.abs).max()!) * (b.flatMap { $0 }.map(Swift.abs).max()!)
    let product = Reference.matrix(a) * Reference.matrix(b)
    #expect(product.rows == m && product.columns == n)
    Self.expectClose(product.scalars, expected.flatMap { $0 }, scale: scale, "matmul \(m)×\(k)×\(n)")
  }

  @Test("degenerate shapes (a zero dimension) give zeros, not a trap")
  func degenerateShapes() {
    let tall = Matrix<Double>(rows: 3, columns: 0, scalars: [])
    #expect((tall * Vector<Double>([])).scalars == [0, 0, 0])
    #expect(tall.rowSums().scalars == [0, 0, 0])
    let wide = Matrix<Double>(rows: 0, columns: 3, scalars: [])
    #expect(wide.transposedTimes(Vector<Double>([])).scalars == [0, 0, 0])
    #expect(wide.normalTimes(Vector([1, 2, 3])).scalars == [0, 0, 0])
    let product = Matrix<Double>(rows: 2, columns: 0, scalars: []) * Matrix<Double>(rows: 0, columns: 3, scalars: [])
    #expect(product.rows == 2 && product.columns == 3 && product.scalars == [0, 0, 0, 0, 0, 0])
    #expect(Vector<Double>([]).dot(Vector<Double>([])) == 0)
    #expect(Vector<Double>([]).sum() == 0)
  }

  @Test("repeated parallel products are deterministic")
  func deterministic() {
    let matrix = Matrix(rows: 600, columns: 500, scalars: Reference.randomVector(300_000, seed: 148))
    let x = Vector(Reference.randomVector(500, seed: 149))
    let first = matrix.normalTimes(x)
    for _ in 0..<3 { #expect(matrix.normalTimes(x) == first) }
  }

  /// Skinny right operands (1…16 columns) take the dot-product kernel: odd row counts, inner
  /// lengths that are not multiples of the SIMD width, and one shape above the thread split.
  @Test(
    "skinny matmul and Aᵀ·G against the naive product",
    arguments: [(1, 1, 1), (3, 5, 2), (7, 13, 5), (9, 33, 4), (11, 3, 16), (17, 8, 15), (301, 1001, 5), (600, 501, 7)])
  func skinnyProducts(shape: (Int, Int, Int)) {
    let (m, k, n) = shape
    let a = Reference.randomRows(m, k, seed: 150), b = Reference.randomRows(k, n, seed: 151)
    let expected = Reference.matmul(a, b).flatMap { $0 }
    let scale = Double(k) * (a.flatMap { $0 }.map(Swift.abs).max()!) * (b.flatMap { $0 }.map(Swift.abs).max()!)
    let product = Reference.matrix(a) * Reference.matrix(b)
    #expect(product.rows == m && product.columns == n)
    Self.expectClose(product.scalars, expected, scale: scale, "skinny matmul \(m)×\(k)×\(n)")
    // Aᵀ·G with G = A·B (m×n): the data product reads A row by row.
    let g = Reference.randomRows(m, n, seed: 152)
    let expectedT = Reference.matmul(Reference.transpose(a), g).flatMap { $0 }
    let scaleT = Double(m) * (a.flatMap { $0 }.map(Swift.abs).max()!) * (g.flatMap { $0 }.map(Swift.abs).max()!)
    let productT = Reference.matrix(a).transposedTimes(Reference.matrix(g))
    #expect(productT.rows == k && productT.columns == n)
    Self.expectClose(productT.scalars, expectedT, scale: scaleT, "Aᵀ·G \(m)×\(k)ᵀ×\(n)")
    Self.expectClose(Reference.matrix(a).times(Reference.matrix(b)).scalars, expected, scale: scale, "times")
  }

  @Test("dual data products carry both parts in one product", arguments: [(7, 13, 3), (300, 1001, 5)])
  func dualDataProducts(shape: (Int, Int, Int)) {
    let (m, k, n) = shape
    let a = Reference.matrix(Reference.randomRows(m, k, seed: 153))
    let values = Reference.matrix(Reference.randomRows(k, n, seed: 154))
    let derivatives = Reference.matrix(Reference.randomRows(k, n, seed: 155))
    let dual = Matrix<Dual>(
      rows: k, columns: n,
      scalars: zip(values.scalars, derivatives.scalars).map { Dual($0, derivative: $1) })
    let product = a.times(dual)
    Self.expectClose(product.scalars.map(\.value), (a * values).scalars, scale: Double(k) * 25, "value part")
    Self.expectClose(product.scalars.map(\.derivative), (a * derivatives).scalars, scale: Double(k) * 25, "ε part")
    let g = Matrix<Dual>(rows: m, columns: n, scalars: product.scalars)
    let back = a.transposedTimes(g)
    let aT = a.transposed()
    Self.expectClose(
      back.scalars.map(\.value), (aT * (a * values)).scalars, scale: Double(k * m) * 125, "transposed value part")
    Self.expectClose(
      back.scalars.map(\.derivative), (aT * (a * derivatives)).scalars, scale: Double(k * m) * 125,
      "transposed ε part")
  }

  @Test("gram matrix A·Aᵀ", arguments: [(1, 3), (5, 7), (9, 301), (130, 700)])
  func gramMatrix(shape: (Int, Int)) {
    let (m, n) = shape
    let a = Reference.randomRows(m, n, seed: 156)
    let expected = Reference.matmul(a, Reference.transpose(a)).flatMap { $0 }
    let gram = Reference.matrix(a).gram()
    #expect(gram.rows == m && gram.columns == m)
    Self.expectClose(gram.scalars, expected, scale: Double(n) * 25, "gram \(m)×\(n)")
    for i in 0..<m { for j in 0..<m { #expect(gram[i, j] == gram[j, i]) } }
  }

  /// The fused pass against its two-pass definition: `Σ c(i, ⟨aᵢ, v⟩)·aᵢ` with the dots stored.
  @Test("fused row passes (one and two directions)", arguments: [(1, 1), (3, 5), (7, 9), (13, 1003), (600, 501)])
  func fusedRowPasses(shape: (Int, Int)) {
    let (m, n) = shape
    let a = Reference.randomVector(m * n, seed: 157)
    let v = Reference.randomVector(n, seed: 158), w = Reference.randomVector(n, seed: 159)
    let rows = (0..<m).map { Array(a[($0 * n)..<(($0 + 1) * n)]) }
    let dv = Reference.matvec(rows, v), dw = Reference.matvec(rows, w)
    let coefficient: @Sendable (Int, Double) -> Double = { i, d in d * d - Double(i) }
    let expected = Reference.transposedMatvec(rows, (0..<m).map { coefficient($0, dv[$0]) })
    var out = [Double](repeating: .nan, count: n), dots = [Double](repeating: .nan, count: m)
    Kernels.fusedRowPass(a, rows: m, columns: n, v, dots: &dots, into: &out, coefficient: coefficient)
    let scale = Double(m * n) * 100
    Self.expectClose(dots, dv, scale: Double(n) * 25, "dots")
    Self.expectClose(out, expected, scale: scale, "fused pass \(m)×\(n)")
    let second: @Sendable (Int, Double, Double) -> (Double, Double) = { i, d, e in (d + 1, d * e + Double(i)) }
    let expectedValue = Reference.transposedMatvec(rows, (0..<m).map { second($0, dv[$0], dw[$0]).0 })
    let expectedTangent = Reference.transposedMatvec(rows, (0..<m).map { second($0, dv[$0], dw[$0]).1 })
    var out2 = [Double](repeating: .nan, count: 2 * n), dots2 = [Double](repeating: .nan, count: 2 * m)
    Kernels.fusedRowPass(a, rows: m, columns: n, v, w, dots: &dots2, into: &out2, coefficient: second)
    Self.expectClose(Array(dots2[..<m]), dv, scale: Double(n) * 25, "first dots")
    Self.expectClose(Array(dots2[m...]), dw, scale: Double(n) * 25, "second dots")
    Self.expectClose(Array(out2[..<n]), expectedValue, scale: scale, "two-direction pass, first output")
    Self.expectClose(Array(out2[n...]), expectedTangent, scale: scale, "two-direction pass, second output")
  }

  /// The fused losses against AD of their two-pass definitions, on `Double` and on dual numbers
  /// (whose reverse pass gives the exact Hessian-vector product).
  @Test("fused least-squares and softplus losses vs their composite definitions", arguments: [(7, 9), (600, 501)])
  func fusedLosses(shape: (Int, Int)) {
    let (m, n) = shape
    let a = Matrix(rows: m, columns: n, scalars: Reference.randomVector(m * n, seed: 160, scale: 0.1))
    let x = Vector(Reference.randomVector(n, seed: 161)), u = Vector(Reference.randomVector(n, seed: 162))
    let b = Vector(Reference.randomVector(m, seed: 163)), t = Vector(Reference.randomVector(m, seed: 164))
    let tolerance = 1e-12
    func close(_ p: Vector<Double>, _ q: Vector<Double>, _ label: String) {
      let error = Reference.relativeError(p.scalars, q.scalars)
      #expect(error <= tolerance, "\(label): relative error \(error)")
    }
    // ½‖Ax − b‖²: gradients in x and b, then the dual (second-order) products.
    let fused = valueWithGradient(at: x, b) { x, b in a.halfSquaredResidual(x, b) }
    let composite = valueWithGradient(at: x, b) { x, b in 0.5 * (a.times(x) - b).squaredNorm() }
    #expect(Swift.abs(fused.value - composite.value) <= tolerance * Swift.abs(composite.value))
    close(fused.gradient.0, composite.gradient.0, "∇ₓ ½‖Ax − b‖²")
    close(fused.gradient.1, composite.gradient.1, "∇_b ½‖Ax − b‖²")
    let dx = Vector<Dual>(values: x, derivatives: u), db = Vector<Dual>(values: b, derivatives: t)
    let fusedDual = pullback(at: dx, db) { x, b in a.halfSquaredResidual(x, b) }(Dual(1))
    let compositeDual = pullback(at: dx, db) { x, b in Dual(0.5) * (a.times(x) - b).squaredNorm() }(Dual(1))
    close(fusedDual.0.derivatives, compositeDual.0.derivatives, "dual ½‖Ax − b‖², HVP part")
    close(fusedDual.0.values, compositeDual.0.values, "dual ½‖Ax − b‖², gradient part")
    close(fusedDual.1.derivatives, compositeDual.1.derivatives, "dual ½‖Ax − b‖², b part")
    let dualValue = a.halfSquaredResidual(dx, db)
    let compositeValue = Dual(0.5) * (a.times(dx) - db).squaredNorm()
    #expect(
      Swift.abs(dualValue.derivative - compositeValue.derivative) <= tolerance * Swift.abs(compositeValue.derivative))
    // Mean softplus of A·x (the logistic loss).
    let soft = valueWithGradient(at: x) { x in a.meanSoftplusOfProduct(x) }
    let softComposite = valueWithGradient(at: x) { x in a.times(x).softplus().mean() }
    #expect(Swift.abs(soft.value - softComposite.value) <= tolerance * Swift.abs(softComposite.value))
    close(soft.gradient, softComposite.gradient, "∇ mean softplus")
    let softDual = pullback(at: dx) { x in a.meanSoftplusOfProduct(x) }(Dual(1))
    let softDualComposite = pullback(at: dx) { x in a.times(x).softplus().mean() }(Dual(1))
    close(softDual.values, softDualComposite.values, "dual mean softplus, gradient part")
    close(softDual.derivatives, softDualComposite.derivatives, "dual mean softplus, HVP part")
  }

  /// The pass along `c` vectors against its definition, for `c` around the block of four.
  @Test("fused row pass along several vectors", arguments: [(1, 1, 1), (5, 7, 3), (9, 13, 5), (600, 501, 10)])
  func fusedMultiplePass(shape: (Int, Int, Int)) {
    let (m, n, c) = shape
    let a = Reference.randomVector(m * n, seed: 165), v = Reference.randomVector(c * n, seed: 166)
    let rows = (0..<m).map { Array(a[($0 * n)..<(($0 + 1) * n)]) }
    let directions = (0..<c).map { Array(v[($0 * n)..<(($0 + 1) * n)]) }
    let dots = (0..<m).map { i in (0..<c).map { Reference.dot(rows[i], directions[$0]) } }
    // Coefficients mix the row's dots: cᵢⱼ = dᵢⱼ·dᵢ₀ + i.
    let expected = (0..<c).flatMap { j in
      Reference.transposedMatvec(rows, (0..<m).map { dots[$0][j] * dots[$0][0] + Double($0) })
    }
    var out = [Double](repeating: .nan, count: c * n), stored = [Double](repeating: .nan, count: m * c)
    Kernels.fusedRowPass(a, rows: m, columns: n, directions: v, count: c, dots: &stored, into: &out) {
      i, d, coefficients in
      for j in 0..<c { coefficients[j] = d[j] * d[0] + Double(i) }
    }
    Self.expectClose(stored, dots.flatMap { $0 }, scale: Double(n) * 25, "dots along \(c) vectors")
    Self.expectClose(out, expected, scale: Double(m * n) * 1000, "pass along \(c) vectors, \(m)×\(n)")
  }
}
