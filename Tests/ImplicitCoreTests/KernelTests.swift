import ImplicitCore
import ImplicitTestSupport
import Testing

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
}
