import ImplicitCore
import ImplicitSparse
import ImplicitTestSupport
import Testing
import _Differentiation

/// Random COO triplets for an `m × n` matrix with about `density·m·n` entries, rows `emptyRow` and
/// column `emptyColumn` left empty, and some positions repeated (to be summed).
func randomTriplets(
  rows m: Int, columns n: Int, density: Double, seed: UInt64, emptyRow: Int? = nil, emptyColumn: Int? = nil
) -> (rows: [Int], columns: [Int], values: [Double]) {
  var rng = SeededGenerator(seed: seed)
  var r = [Int](), c = [Int](), v = [Double]()
  let count = Int(density * Double(m * n))
  while r.count < count {
    let i = Int(rng.next() % UInt64(m)), j = Int(rng.next() % UInt64(n))
    if i == emptyRow || j == emptyColumn { continue }
    r.append(i)
    c.append(j)
    v.append(rng.normal())
  }
  // Repeat a few positions in reverse order: duplicates, and rows given out of column order.
  for k in stride(from: count - 1, through: 0, by: -max(1, count / 10)) {
    r.append(r[k])
    c.append(c[k])
    v.append(rng.normal())
  }
  return (r, c, v)
}

/// The dense matrix of COO triplets, duplicates summed (an independent reference).
func denseFromTriplets(rows m: Int, columns n: Int, _ t: (rows: [Int], columns: [Int], values: [Double])) -> Matrix<
  Double
> {
  var scalars = [Double](repeating: 0, count: m * n)
  for k in 0..<t.values.count { scalars[t.rows[k] * n + t.columns[k]] += t.values[k] }
  return Matrix(rows: m, columns: n, scalars: scalars)
}

@Suite("Sparse matrix: construction and products")
struct SparseMatrixTests {
  @Test("COO validation: each bad input is a typed error")
  func validation() {
    #expect(throws: ImplicitError.self) {
      try SparseMatrix(rows: 0, columns: 3, rowIndices: [], columnIndices: [], values: [])
    }
    #expect(throws: ImplicitError.self) {
      try SparseMatrix(rows: 3, columns: -1, rowIndices: [], columnIndices: [], values: [])
    }
    #expect(throws: ImplicitError.invalidArgument("row index 3 of entry 1 is outside 0..<3")) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [0, 3], columnIndices: [0, 1], values: [1, 2])
    }
    #expect(throws: ImplicitError.invalidArgument("row index -1 of entry 0 is outside 0..<3")) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [-1], columnIndices: [0], values: [1])
    }
    #expect(throws: ImplicitError.invalidArgument("column index 2 of entry 0 is outside 0..<2")) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [1], columnIndices: [2], values: [1])
    }
    #expect(throws: ImplicitError.nonFinite(what: "value of entry 1 (row 2)")) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [0, 2], columnIndices: [0, 1], values: [1, .nan])
    }
    #expect(throws: ImplicitError.self) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [0], columnIndices: [0], values: [.infinity])
    }
    #expect(throws: ImplicitError.self) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [0, 1], columnIndices: [0, 1], values: [1])
    }
    #expect(throws: ImplicitError.self) {
      try SparseMatrix(rows: 3, columns: 2, rowIndices: [0], columnIndices: [0, 1], values: [1])
    }
    #expect(throws: ImplicitError.nonFinite(what: "a sum of duplicated entries (overflow)")) {
      try SparseMatrix(
        rows: 1, columns: 1, rowIndices: [0, 0], columnIndices: [0, 0], values: [.greatestFiniteMagnitude, 1e308])
    }
    #expect(throws: ImplicitError.self) { try SparseMatrix(Matrix([[1, .nan]])) }
  }

  @Test("duplicates are summed, rows sorted by column")
  func duplicatesSummed() throws {
    let a = try SparseMatrix(
      rows: 2, columns: 4, rowIndices: [1, 0, 1, 1, 0, 1], columnIndices: [3, 2, 0, 3, 2, 1],
      values: [1, 2, 3, 4, 5, 6])
    #expect(a.rows == 2 && a.columns == 4)
    #expect(a.nonzeroCount == 4)
    #expect(a.rowStarts == [0, 1, 4])
    #expect(a.columnIndices == [2, 0, 1, 3])
    #expect(a.values == [7, 3, 6, 5])
    #expect(a.densified() == Matrix([[0, 0, 7, 0], [3, 6, 0, 5]]))
    #expect(try SparseMatrix(a.densified()) == a)
    let empty = try SparseMatrix(rows: 2, columns: 3, rowIndices: [], columnIndices: [], values: [])
    #expect(empty.nonzeroCount == 0)
    #expect(empty.times(Vector([1, 2, 3])) == Vector([0, 0]))
    #expect(empty.transposedTimes(Vector([1, 2])) == Vector([0, 0, 0]))
  }

  /// Products against the dense equivalent, on a serial size and one large enough for threads.
  @Test("products equal the dense ones", arguments: [(13, 7, 0.3), (7, 19, 0.2), (3000, 1700, 0.06)])
  func products(shape: (Int, Int, Double)) throws {
    let (m, n, density) = shape
    let t = randomTriplets(rows: m, columns: n, density: density, seed: UInt64(m * n), emptyRow: 2, emptyColumn: 1)
    let a = try SparseMatrix(rows: m, columns: n, rowIndices: t.rows, columnIndices: t.columns, values: t.values)
    let dense = denseFromTriplets(rows: m, columns: n, t)
    if m * n > 1_000_000 { #expect(a.nonzeroCount >= Kernels.parallelThreshold) }  // the threaded path runs
    #expect(a.densified() == dense)
    var rng = SeededGenerator(seed: 7)
    let v = rng.normalVector(n), u = rng.normalVector(m), w = rng.normalVector(m), shift = rng.normalVector(m)
    func close(_ x: Vector<Double>, _ y: Vector<Double>) -> Bool {
      x.count == y.count && (x - y).norm() <= 1e-12 * Swift.max(1, y.norm())
    }
    #expect(close(a.times(v), dense.times(v)))
    #expect(close(a.transposedTimes(u), dense.transposedTimes(u)))
    let fused = a.normalProduct(v, weights: w, minus: shift)
    let denseImage = dense.times(v)
    let expected = dense.transposedTimes(Vector((0..<m).map { w[$0] * (denseImage[$0] - shift[$0]) }))
    #expect(close(fused.product, expected))
    #expect(close(fused.image, denseImage))
    #expect(close(a.normalProduct(v).product, dense.transposedTimes(denseImage)))
    #expect(a.times(v)[2] == 0)
    #expect(a.transposedTimes(u)[1] == 0)
    // Dual numbers: value and tangent parts are two double products.
    let dual = Vector<Dual>(values: v, derivatives: rng.normalVector(n))
    let image = a.scalarProduct(dual)
    #expect(close(image.values, dense.times(v)))
    #expect(close(image.derivatives, dense.times(dual.derivatives)))
    // Storage is the three CSR arrays only.
    #expect(a.storageBytes == 8 * (m + 1 + 2 * a.nonzeroCount))
  }

  /// The row kernels run four entries at a time: rows of every length 0…9 (every remainder of the
  /// unrolled loops) against the dense products, serial and split over threads.
  @Test("unrolled row kernels: every row length 0…9 equals the dense products", arguments: [1, 6000])
  func unrolledRowLengths(copies: Int) throws {
    let n = 23
    var rng = SeededGenerator(seed: 11)
    var r = [Int](), c = [Int](), v = [Double]()
    for copy in 0..<copies {
      for length in 0...9 {
        let row = copy * 10 + length
        // `length` distinct columns, scattered over the row.
        for k in 0..<length {
          r.append(row)
          c.append((7 * k + row) % n)
          v.append(rng.normal())
        }
      }
    }
    let m = 10 * copies
    let a = try SparseMatrix(rows: m, columns: n, rowIndices: r, columnIndices: c, values: v)
    let dense = denseFromTriplets(rows: m, columns: n, (r, c, v))
    #expect((0..<10).allSatisfy { a.rowStarts[$0 + 1] - a.rowStarts[$0] == $0 })
    if copies > 1 { #expect(a.nonzeroCount >= Kernels.parallelThreshold) }  // the threaded path runs
    let x = rng.normalVector(n), u = rng.normalVector(m), w = rng.normalVector(m)
    func close(_ p: Vector<Double>, _ q: Vector<Double>) -> Bool {
      p.count == q.count && (p - q).norm() <= 1e-13 * Swift.max(1, q.norm())
    }
    let image = dense.times(x)
    #expect(close(a.times(x), image))
    #expect(close(a.transposedTimes(u), dense.transposedTimes(u)))
    let fused = a.normalProduct(x, weights: w, minus: u)
    #expect(close(fused.image, image))
    #expect(close(fused.product, dense.transposedTimes(Vector((0..<m).map { w[$0] * (image[$0] - u[$0]) }))))
    // The fused softplus pass: value (1/m)Σ softplus(zᵢ) and gradient Aᵀσ(z)/m, z = Ax, written out.
    let softplus = a.meanSoftplusValueAndGradient(x)
    let z = image.scalars
    let value = z.map { Swift.max($0, 0) + Double.log1p(Double.exp(-Swift.abs($0))) }.reduce(0, +) / Double(m)
    let sigma = Vector(z.map { 1 / (1 + Double.exp(-$0)) / Double(m) })
    #expect(Swift.abs(softplus.value - value) <= 1e-13 * Swift.max(1, Swift.abs(value)))
    #expect(close(softplus.gradient, dense.transposedTimes(sigma)))
  }

  @Test("the generic half squared residual and its derivative match the dense ones")
  func halfSquaredResidual() throws {
    let t = randomTriplets(rows: 9, columns: 6, density: 0.4, seed: 3, emptyRow: 0, emptyColumn: 5)
    let a = try SparseMatrix(rows: 9, columns: 6, rowIndices: t.rows, columnIndices: t.columns, values: t.values)
    let dense = denseFromTriplets(rows: 9, columns: 6, t)
    var rng = SeededGenerator(seed: 5)
    let x = rng.normalVector(6), b = rng.normalVector(9)
    let sparseValue = ImplicitSparse.halfSquaredResidual(of: a, x, b)
    let denseValue = dense.halfSquaredResidual(x, b)
    #expect(Swift.abs(sparseValue - denseValue) <= 1e-12 * denseValue)
    let (gx, gb) = gradient(at: x, b) { x, b in ImplicitSparse.halfSquaredResidual(of: a, x, b) }
    let residual = dense.times(x) - b
    #expect((gx - dense.transposedTimes(residual)).norm() <= 1e-12 * gx.norm())
    #expect((gb + residual).norm() <= 1e-12 * gb.norm())
  }
}
