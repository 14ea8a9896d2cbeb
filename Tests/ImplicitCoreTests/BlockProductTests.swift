import ImplicitCore
import ImplicitTestSupport
import Testing

/// The block products of batched gradients: `A·B` in 2×8 register blocks (odd row counts, column
/// counts that are not multiples of 8, one shape above the thread split, an inner dimension of
/// several chunks) and `A·Bᵀ`, against the naive product; the blocked `A·B` sums in the naive
/// order, so it is exact.
@Suite struct BlockProductTests {
  @Test(
    "matmul (wide) equals the naive ordered sum exactly",
    arguments: [(1, 3, 17), (3, 5, 8), (7, 13, 21), (65, 70, 300), (5, 600, 19)])
  func wideMatmul(shape: (Int, Int, Int)) {
    let (m, k, n) = shape
    let a = Reference.randomRows(m, k, seed: 201), b = Reference.randomRows(k, n, seed: 202)
    let product = Reference.matrix(a) * Reference.matrix(b)
    #expect(product.scalars == Reference.matmul(a, b).flatMap { $0 }, "\(m)×\(k)×\(n)")
  }

  @Test("matmulTransposedRight against the naive A·Bᵀ", arguments: [(1, 1, 1), (3, 5, 2), (7, 33, 9), (64, 1001, 30)])
  func transposedRight(shape: (Int, Int, Int)) {
    let (m, k, n) = shape
    let a = Reference.randomRows(m, k, seed: 203), b = Reference.randomRows(n, k, seed: 204)
    var out = [Double](repeating: .nan, count: m * n)
    let fa = a.flatMap { $0 }, fb = b.flatMap { $0 }
    fa.withUnsafeBufferPointer { pa in
      fb.withUnsafeBufferPointer { pb in
        out.withUnsafeMutableBufferPointer { po in
          Kernels.matmulTransposedRight(pa.baseAddress!, m, k, pb.baseAddress!, n, po.baseAddress!)
        }
      }
    }
    let expected = Reference.matmul(a, Reference.transpose(b)).flatMap { $0 }
    let worst = zip(out, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    #expect(worst <= 1e-13 * Double(k), "\(m)×\(k) times (\(n)×\(k))ᵀ: \(worst)")
  }
}
