public import ImplicitCore

/// A real matrix in compressed sparse row (CSR) form: the design matrix of sparse data (text,
/// genomics, click logs), where a dense ``Matrix`` would not fit in memory.
///
/// Row `i` holds the entries `values[k]` at columns `columnIndices[k]` for
/// `k ∈ rowStarts[i]..<rowStarts[i + 1]`, columns strictly increasing within a row. Every product
/// reads the three arrays once and never densifies the matrix; large products split their rows
/// (balanced by nonzeros) over ``Kernels/availableThreads`` threads (one inside a batch element or under ``Kernels/withThreadLimit(_:_:)``), the transposed products with one
/// `columns`-long partial sum per thread.
public struct SparseMatrix: Sendable, Equatable {
  /// The number of rows.
  public let rows: Int
  /// The number of columns.
  public let columns: Int
  /// `rows + 1` offsets into ``columnIndices`` and ``values``: row `i` is `rowStarts[i]..<rowStarts[i + 1]`.
  public let rowStarts: [Int]
  /// The column of each stored entry (increasing within a row).
  public let columnIndices: [Int]
  /// The stored entries, row by row.
  public let values: [Double]

  /// The number of stored entries.
  public var nonzeroCount: Int { values.count }

  /// The matrix with entries `values[k]` at `(rowIndices[k], columnIndices[k])` (COO triplets, in
  /// any order); duplicated positions are summed.
  ///
  /// Throws ``ImplicitError/invalidArgument(_:)`` for a shape that is not positive or an index
  /// out of range, ``ImplicitError/shapeMismatch(what:expected:actual:)`` when the three arrays
  /// differ in length, and ``ImplicitError/nonFinite(what:)`` for a NaN or infinite value.
  public init(rows: Int, columns: Int, rowIndices: [Int], columnIndices: [Int], values: [Double]) throws {
    try Self.checkShape(rows: rows, columns: columns)
    let count = values.count
    try ImplicitError.checkDimension("row indices (one per value)", rowIndices.count, expected: count)
    try ImplicitError.checkDimension("column indices (one per value)", columnIndices.count, expected: count)
    for k in 0..<count {
      guard rowIndices[k] >= 0, rowIndices[k] < rows else {
        throw ImplicitError.invalidArgument("row index \(rowIndices[k]) of entry \(k) is outside 0..<\(rows)")
      }
      guard columnIndices[k] >= 0, columnIndices[k] < columns else {
        throw ImplicitError.invalidArgument(
          "column index \(columnIndices[k]) of entry \(k) is outside 0..<\(columns)")
      }
      guard values[k].isFinite else {
        throw ImplicitError.nonFinite(what: "value of entry \(k) (row \(rowIndices[k]))")
      }
    }
    // Counting sort by row, then per row by column, summing duplicates in place.
    var starts = [Int](repeating: 0, count: rows + 1)
    for i in rowIndices { starts[i + 1] += 1 }
    for i in 0..<rows { starts[i + 1] += starts[i] }
    var next = starts
    var cols = [Int](repeating: 0, count: count)
    var vals = [Double](repeating: 0, count: count)
    for k in 0..<count {
      let slot = next[rowIndices[k]]
      cols[slot] = columnIndices[k]
      vals[slot] = values[k]
      next[rowIndices[k]] = slot + 1
    }
    var write = 0
    var compactStarts = [Int](repeating: 0, count: rows + 1)
    for i in 0..<rows {
      let lo = starts[i], hi = starts[i + 1]
      var isSorted = true
      if hi - lo > 1 { for k in (lo + 1)..<hi where cols[k] <= cols[k - 1] { isSorted = false } }
      if !isSorted {
        let entries = (lo..<hi).map { (cols[$0], vals[$0]) }.sorted { $0.0 < $1.0 }
        for (offset, entry) in entries.enumerated() {
          cols[lo + offset] = entry.0
          vals[lo + offset] = entry.1
        }
      }
      for k in lo..<hi {
        if write > compactStarts[i], cols[write - 1] == cols[k] {
          vals[write - 1] += vals[k]
        } else {
          cols[write] = cols[k]
          vals[write] = vals[k]
          write += 1
        }
      }
      compactStarts[i + 1] = write
    }
    cols.removeLast(count - write)
    vals.removeLast(count - write)
    for value in vals where !value.isFinite {
      throw ImplicitError.nonFinite(what: "a sum of duplicated entries (overflow)")
    }
    self.init(unchecked: rows, columns, compactStarts, cols, vals)
  }

  /// The nonzero entries of `dense`. Throws ``ImplicitError/nonFinite(what:)`` for a NaN or
  /// infinite entry and ``ImplicitError/invalidArgument(_:)`` for an empty shape.
  public init(_ dense: Matrix<Double>) throws {
    try Self.checkShape(rows: dense.rows, columns: dense.columns)
    guard dense.isFinite else { throw ImplicitError.nonFinite(what: "the dense matrix") }
    var starts = [0], cols = [Int](), vals = [Double]()
    starts.reserveCapacity(dense.rows + 1)
    for i in 0..<dense.rows {
      for j in 0..<dense.columns where dense.scalars[i * dense.columns + j] != 0 {
        cols.append(j)
        vals.append(dense.scalars[i * dense.columns + j])
      }
      starts.append(cols.count)
    }
    self.init(unchecked: dense.rows, dense.columns, starts, cols, vals)
  }

  init(unchecked rows: Int, _ columns: Int, _ rowStarts: [Int], _ columnIndices: [Int], _ values: [Double]) {
    self.rows = rows
    self.columns = columns
    self.rowStarts = rowStarts
    self.columnIndices = columnIndices
    self.values = values
  }

  static func checkShape(rows: Int, columns: Int) throws {
    guard rows > 0, columns > 0 else {
      throw ImplicitError.invalidArgument("a sparse matrix needs a positive shape, got \(rows)×\(columns)")
    }
  }

  /// Whether every stored entry is finite (always true for a matrix built by the throwing initialisers).
  public var isFinite: Bool { values.allSatisfy(\.isFinite) }

  /// The bytes of the three CSR arrays (what the memory bounds of sparse workloads are stated in).
  public var storageBytes: Int {
    (rowStarts.count + columnIndices.count) * MemoryLayout<Int>.stride + values.count * MemoryLayout<Double>.stride
  }

  /// The dense equal of this matrix: for tests and small data only (it allocates `rows × columns`).
  public func densified() -> Matrix<Double> {
    var scalars = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows {
      for k in rowStarts[i]..<rowStarts[i + 1] { scalars[i * columns + columnIndices[k]] = values[k] }
    }
    return Matrix(rows: rows, columns: columns, scalars: scalars)
  }

  /// `−diag(s)·A` with a column of ones appended first when `appendingOnes` (`[A 1]`): the
  /// negated signed design of a logistic loss, still sparse.
  public func negatedSignedRows(_ s: Vector<Double>, appendingOnes: Bool) -> SparseMatrix {
    precondition(s.count == rows, "negatedSignedRows: \(s.count) signs for \(rows) rows")
    var starts = [0], cols = [Int](), vals = [Double]()
    starts.reserveCapacity(rows + 1)
    cols.reserveCapacity(nonzeroCount + (appendingOnes ? rows : 0))
    vals.reserveCapacity(nonzeroCount + (appendingOnes ? rows : 0))
    for i in 0..<rows {
      for k in rowStarts[i]..<rowStarts[i + 1] {
        cols.append(columnIndices[k])
        vals.append(-s[i] * values[k])
      }
      if appendingOnes {
        cols.append(columns)
        vals.append(-s[i])
      }
      starts.append(cols.count)
    }
    return SparseMatrix(unchecked: rows, columns + (appendingOnes ? 1 : 0), starts, cols, vals)
  }
}
