import ImplicitCore
import Testing

@testable import ImplicitSparse

/// The sparse products split their rows over the threads the caller may use: all of them at top
/// level, one inside a batch element or under `Kernels.withThreadLimit(1)` (the batch rule that
/// keeps a batch from splitting its work twice over the cores).
@Suite("Sparse products honour the thread limit")
struct SparseThreadingTests {
  @Test("one row block under withThreadLimit(1), availableThreads blocks otherwise")
  func rowBlocksFollowTheLimit() throws {
    let (m, n) = (3000, 1700)
    let t = randomTriplets(rows: m, columns: n, density: 0.06, seed: 41)
    let a = try SparseMatrix(rows: m, columns: n, rowIndices: t.rows, columnIndices: t.columns, values: t.values)
    try #require(a.nonzeroCount >= Kernels.parallelThreshold)
    #expect(a.rowBlocks().count - 1 == Swift.min(Kernels.availableThreads, m))
    let limited = Kernels.withThreadLimit(1) { a.rowBlocks() }
    #expect(limited == [0, m])
    // The same products either way.
    var rng = SeededGenerator(seed: 42)
    let u = rng.normalVector(m)
    let serial = Kernels.withThreadLimit(1) { a.transposedTimes(u) }
    #expect((serial - a.transposedTimes(u)).norm() <= 1e-12 * serial.norm())
  }
}
