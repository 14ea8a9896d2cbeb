import Dispatch

/// Dense `Double` kernels behind ``Vector`` and ``Matrix``.
///
/// Reductions use explicit SIMD accumulators (the compiler does not reorder floating-point
/// sums by itself), index arithmetic is unchecked (`&+`) so loops vectorise, and
/// `a += b * c` is written out instead of `addingProduct`, which becomes a libm `fma` call on
/// the portable x86-64 target. Large products split their rows over the available cores.
///
/// Besides the products, the fused row passes compute `Aᵀc(A·v)` (a gradient or an exact
/// Hessian-vector product of a loss of the scores `A·v`) in one read of `A`, and skinny right
/// operands (at most ``skinnyColumns`` columns) are multiplied by dot products along the long
/// dimension.
public enum Kernels {
  /// Work (in multiply-adds) above which a product is split across threads.
  public static let parallelThreshold = 1 << 18
  /// Threads used for large products and for batches (``Batch/map(_:)``): the environment
  /// variable `IMPLICIT_THREADS` when it is a positive integer (`IMPLICIT_THREADS=1` makes every
  /// parallel path of the library single-threaded), else the online processors, at most 8. Read
  /// once, at first use.
  public static let threadCount = _threadCountSetting(environment: _environmentValue("IMPLICIT_THREADS"))

  /// A cap on the threads the current thread's work may use (see ``withThreadLimit(_:_:)``).
  @TaskLocal static var threadLimit = Int.max

  /// The threads a product or batch started here may use: ``threadCount``, or fewer inside
  /// ``withThreadLimit(_:_:)`` and inside the items of a batch (which run their kernels on one
  /// thread, so that a batch on every core is not multiplied by kernels on every core).
  public static var availableThreads: Int { Swift.max(1, Swift.min(threadCount, threadLimit)) }

  /// Runs `body` with at most `limit` threads for the library's kernels and batches started in
  /// it (on this thread, and in tasks it creates). `withThreadLimit(1)` is the serial library.
  public static func withThreadLimit<R>(_ limit: Int, _ body: () throws -> R) rethrows -> R {
    try $threadLimit.withValue(Swift.max(1, Swift.min(limit, threadLimit)), operation: body)
  }

  /// `Σ a[i]·b[i]`.
  public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>(), s2 = SIMD4<Double>(), s3 = SIMD4<Double>()
    var i = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    let stride = MemoryLayout<Double>.stride
    while i &+ 16 <= n {
      let o = i &* stride
      s0 +=
        ra.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
        * rb.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      s1 +=
        ra.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
        * rb.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
      s2 +=
        ra.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD4<Double>.self)
        * rb.loadUnaligned(fromByteOffset: o &+ 64, as: SIMD4<Double>.self)
      s3 +=
        ra.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD4<Double>.self)
        * rb.loadUnaligned(fromByteOffset: o &+ 96, as: SIMD4<Double>.self)
      i &+= 16
    }
    var s = ((s0 + s1) + (s2 + s3)).sum()
    while i < n {
      s += a[i] * b[i]
      i &+= 1
    }
    return s
  }

  /// `Σ a[i]`.
  public static func sum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = SIMD4<Double>(), s1 = SIMD4<Double>()
    var i = 0
    let ra = UnsafeRawPointer(a)
    while i &+ 8 <= n {
      let o = i &* 8
      s0 += ra.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      s1 += ra.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
      i &+= 8
    }
    var s = (s0 + s1).sum()
    while i < n {
      s += a[i]
      i &+= 1
    }
    return s
  }

  /// `y += alpha·x`.
  public static func axpy(
    _ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ n: Int
  ) {
    var i = 0
    while i < n {
      y[i] += alpha * x[i]
      i &+= 1
    }
  }

  /// `y = A·x` for row-major `A` (m×n).
  public static func matvec(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ x: UnsafePointer<Double>,
    _ y: UnsafeMutablePointer<Double>
  ) {
    let y = SendablePointer(y), a = SendableConstPointer(a), x = SendableConstPointer(x)
    forEachRowBlock(rows: m, work: m &* n) { lo, hi in
      for i in lo..<hi { y.p[i] = dot(a.p + i &* n, x.p, n) }
    }
  }

  /// `y = A·x` for row-major `A` (m×n) and `x` given by its nonzero entries `values` at the
  /// column `indices`: per row a gather of those entries only, so a sparse `x` (a support-restricted
  /// direction) costs `m·nnz` loads instead of a pass over `A`.
  public static func sparseMatvec(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, indices: UnsafePointer<Int>, values: UnsafePointer<Double>,
    count nnz: Int, _ y: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<m {
      let row = a + i &* n
      // Four accumulators: the gathered loads overlap instead of waiting on one chain of adds.
      var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
      var q = 0
      while q &+ 4 <= nnz {
        s0 += row[indices[q]] * values[q]
        s1 += row[indices[q &+ 1]] * values[q &+ 1]
        s2 += row[indices[q &+ 2]] * values[q &+ 2]
        s3 += row[indices[q &+ 3]] * values[q &+ 3]
        q &+= 4
      }
      while q < nnz {
        s0 += row[indices[q]] * values[q]
        q &+= 1
      }
      y[i] = (s0 + s1) + (s2 + s3)
    }
  }

  /// `y = Aᵀ·x` for row-major `A` (m×n): a sum of scaled rows, so it reads `A` row by row, four
  /// rows per sweep of `y` (one load and store of `y` per four rows).
  public static func matvecTransposed(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ x: UnsafePointer<Double>,
    _ y: UnsafeMutablePointer<Double>
  ) {
    let a = SendableConstPointer(a), x = SendableConstPointer(x)
    reduceOverRowBlocks(rows: m, work: m &* n, length: n, into: y) { lo, hi, out in
      var i = lo
      while i &+ 4 <= hi {
        let r0 = a.p + i &* n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
        axpy4(x.p[i], r0, x.p[i &+ 1], r1, x.p[i &+ 2], r2, x.p[i &+ 3], r3, out, n)
        i &+= 4
      }
      while i < hi {
        axpy(x.p[i], a.p + i &* n, out, n)
        i &+= 1
      }
    }
  }

  /// `y = Aᵀ·(A·x)` (plus `shift·x`) in one pass over `A`: each row is read once, used for a
  /// dot product and then, still in cache, for an axpy. Half the memory traffic of two
  /// separate products.
  public static func normalMatvec(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ x: UnsafePointer<Double>,
    _ y: UnsafeMutablePointer<Double>
  ) {
    let a = SendableConstPointer(a), x = SendableConstPointer(x)
    reduceOverRowBlocks(rows: m, work: m &* n, length: n, into: y) { lo, hi, out in
      for i in lo..<hi {
        let row = a.p + i &* n
        axpy(dot(row, x.p, n), row, out, n)
      }
    }
  }

  /// The widest right operand ``matmul(_:_:_:_:_:_:)`` multiplies by dot products rather than
  /// by row axpys.
  public static let skinnyColumns = 16

  /// `C = A·B` for row-major `A` (m×k) and `B` (k×n).
  ///
  /// Wide `B`: `C` in blocks of two rows by eight columns held in registers while `p` runs over
  /// `k` (each load of `B` feeds two multiply-adds, each load of `A` eight; `C` is written once),
  /// the eight-column panels of `B` split over the cores; every entry is `Σₚ a[i,p]·b[p,j]` summed
  /// in the order `p = 0, 1, …`. Skinny `B` (n ≤ ``skinnyColumns``, k ≥ 16): `B` is transposed once
  /// and each entry of `C` is a dot product along the long dimension, two rows of `A` against four
  /// columns of `B` at a time.
  public static func matmul(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ m: Int, _ k: Int, _ n: Int,
    _ c: UnsafeMutablePointer<Double>
  ) {
    if n <= skinnyColumns && k >= 16 && m > 0 {  // short inner products are not worth a transposed copy
      skinnyMatmul(a, b, m, k, n, c)
      return
    }
    if m == 0 || n == 0 { return }
    let a = SendableConstPointer(a), b = SendableConstPointer(b), c = SendablePointer(c)
    forEachRowBlock(rows: (n &+ 7) / 8, work: m &* k &* n) { lo, hi in
      for panel in lo..<hi {
        let j0 = panel &* 8, width = Swift.min(8, n &- j0)
        // Chunks of `k` whose rows of the panel (64 bytes each) stay in L1 for every row pair;
        // each chunk continues the sums of the previous one, so the order of the sums is kept.
        var p0 = 0
        repeat {
          let p1 = Swift.min(k, p0 &+ innerChunk)
          var i0 = 0
          while i0 < m {
            // A lone last row is paired with itself and its copy discarded.
            let i1 = Swift.min(i0 &+ 1, m &- 1)
            let r0 = a.p + i0 &* k, r1 = a.p + i1 &* k
            let c0 = c.p + (i0 &* n &+ j0), c1 = c.p + (i1 &* n &+ j0)
            if width == 8 {
              var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
              if p0 > 0 {
                for l in 0..<8 {
                  s0[l] = c0[l]
                  s1[l] = c1[l]
                }
              }
              panel2x8(r0, r1, b.p + j0, n, from: p0, to: p1, &s0, &s1)
              for l in 0..<8 { c0[l] = s0[l] }
              if i1 != i0 { for l in 0..<8 { c1[l] = s1[l] } }
            } else {
              for l in 0..<width {
                var s0 = p0 > 0 ? c0[l] : 0.0, s1 = p0 > 0 ? c1[l] : 0.0
                for p in p0..<p1 {
                  let w = b.p[p &* n &+ j0 &+ l]
                  s0 += r0[p] * w
                  s1 += r1[p] * w
                }
                c0[l] = s0
                if i1 != i0 { c1[l] = s1 }
              }
            }
            i0 &+= 2
          }
          p0 = p1
        } while p0 < k
      }
    }
  }

  /// The inner-dimension chunk of the blocked products: what keeps their reused operand in L1.
  static let innerChunk = 256

  /// `s0 += Σₚ a0[p]·b[p, 0..<8]`, `s1 += Σₚ a1[p]·b[p, 0..<8]` over `p` in `from..<to`, for rows
  /// of `B` `ldb` apart, summed in order.
  @inline(__always)
  static func panel2x8(
    _ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ ldb: Int,
    from start: Int, to end: Int, _ s0: inout SIMD8<Double>, _ s1: inout SIMD8<Double>
  ) {
    var p0 = SIMD2<Double>(s0[0], s0[1]), p1 = SIMD2<Double>(s0[2], s0[3])
    var p2 = SIMD2<Double>(s0[4], s0[5]), p3 = SIMD2<Double>(s0[6], s0[7])
    var q0 = SIMD2<Double>(s1[0], s1[1]), q1 = SIMD2<Double>(s1[2], s1[3])
    var q2 = SIMD2<Double>(s1[4], s1[5]), q3 = SIMD2<Double>(s1[6], s1[7])
    let y = UnsafeRawPointer(b)
    let stride = ldb &* 8
    for p in start..<end {
      let o = p &* stride
      let u = SIMD2<Double>(repeating: a0[p]), v = SIMD2<Double>(repeating: a1[p])
      let w0 = y.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let w1 = y.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD2<Double>.self)
      let w2 = y.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD2<Double>.self)
      let w3 = y.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD2<Double>.self)
      p0 += u * w0
      q0 += v * w0
      p1 += u * w1
      q1 += v * w1
      p2 += u * w2
      q2 += v * w2
      p3 += u * w3
      q3 += v * w3
    }
    s0 = SIMD8(lowHalf: SIMD4(lowHalf: p0, highHalf: p1), highHalf: SIMD4(lowHalf: p2, highHalf: p3))
    s1 = SIMD8(lowHalf: SIMD4(lowHalf: q0, highHalf: q1), highHalf: SIMD4(lowHalf: q2, highHalf: q3))
  }

  /// `C = A·Bᵀ` (m×n) for row-major `A` (m×k) and `B` (n×k): every entry a dot product of two
  /// contiguous rows, two rows of `A` against four of `B` at a time (each load feeds two or four
  /// multiply-adds). The rows of `B` are split over the cores; each group of four stays in cache
  /// while every row of `A` passes (a batch of points `A` times a design `B`: `B` is read once).
  public static func matmulTransposedRight(
    _ a: UnsafePointer<Double>, _ m: Int, _ k: Int, _ b: UnsafePointer<Double>, _ n: Int,
    _ c: UnsafeMutablePointer<Double>
  ) {
    if m == 0 || n == 0 { return }
    let a = SendableConstPointer(a), b = SendableConstPointer(b), c = SendablePointer(c)
    let chunk = 2 &* innerChunk
    forEachRowBlock(rows: (n &+ 3) / 4, work: m &* k &* n) { lo, hi in
      for quad in lo..<hi {
        let j = quad &* 4
        // Chunks of `k` so that the four rows of `B` stay in L1 while every row of `A` passes.
        var p0 = 0
        repeat {
          let length = Swift.min(chunk, k &- p0)
          var i0 = 0
          while i0 < m {
            let i1 = Swift.min(i0 &+ 1, m &- 1)
            let r0 = a.p + (i0 &* k &+ p0), r1 = a.p + (i1 &* k &+ p0)
            let c0 = c.p + i0 &* n, c1 = c.p + i1 &* n
            if j &+ 4 <= n {
              let col = b.p + (j &* k &+ p0)
              let (s0, s1) = dots2x4(r0, r1, col, col + k, col + 2 &* k, col + 3 &* k, length)
              for l in 0..<4 { c0[j &+ l] = p0 > 0 ? c0[j &+ l] + s0[l] : s0[l] }
              if i1 != i0 { for l in 0..<4 { c1[j &+ l] = p0 > 0 ? c1[j &+ l] + s1[l] : s1[l] } }
            } else {
              for l in j..<n {
                let (s0, s1) = dots2x1(r0, r1, b.p + (l &* k &+ p0), length)
                c0[l] = p0 > 0 ? c0[l] + s0 : s0
                if i1 != i0 { c1[l] = p0 > 0 ? c1[l] + s1 : s1 }
              }
            }
            i0 &+= 2
          }
          p0 &+= length
        } while p0 < k
      }
    }
  }

  static func skinnyMatmul(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ m: Int, _ k: Int, _ n: Int,
    _ c: UnsafeMutablePointer<Double>
  ) {
    let bt = UnsafeMutablePointer<Double>.allocate(capacity: max(1, n &* k))
    defer { bt.deallocate() }
    for p in 0..<k { for j in 0..<n { bt[j &* k &+ p] = b[p &* n &+ j] } }
    let a = SendableConstPointer(a), bT = SendableConstPointer(bt), c = SendablePointer(c)
    // Blocks of row pairs; an odd last row is paired with itself and its copy discarded.
    forEachRowBlock(rows: (m &+ 1) / 2, work: m &* k &* n) { lo, hi in
      for pair in lo..<hi {
        let i0 = 2 &* pair, i1 = Swift.min(i0 &+ 1, m &- 1)
        let r0 = a.p + i0 &* k, r1 = a.p + i1 &* k
        let c0 = c.p + i0 &* n, c1 = c.p + i1 &* n
        var j = 0
        while j &+ 4 <= n {
          let col = bT.p + j &* k
          let (s0, s1) = dots2x4(r0, r1, col, col + k, col + 2 &* k, col + 3 &* k, k)
          for l in 0..<4 { c0[j &+ l] = s0[l] }
          if i1 != i0 { for l in 0..<4 { c1[j &+ l] = s1[l] } }
          j &+= 4
        }
        while j < n {
          let (s0, s1) = dots2x1(r0, r1, bT.p + j &* k, k)
          c0[j] = s0
          if i1 != i0 { c1[j] = s1 }
          j &+= 1
        }
      }
    }
  }

  /// The dot products of rows `a0`, `a1` with `b0…b3` (length `n`): each load of `b` feeds
  /// two multiply-adds and each load of `a` four.
  @inline(__always)
  static func dots2x4(
    _ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b0: UnsafePointer<Double>,
    _ b1: UnsafePointer<Double>, _ b2: UnsafePointer<Double>, _ b3: UnsafePointer<Double>, _ n: Int
  ) -> (SIMD4<Double>, SIMD4<Double>) {
    var p0 = SIMD2<Double>(), p1 = SIMD2<Double>(), p2 = SIMD2<Double>(), p3 = SIMD2<Double>()
    var q0 = SIMD2<Double>(), q1 = SIMD2<Double>(), q2 = SIMD2<Double>(), q3 = SIMD2<Double>()
    let x0 = UnsafeRawPointer(a0), x1 = UnsafeRawPointer(a1)
    let y0 = UnsafeRawPointer(b0), y1 = UnsafeRawPointer(b1), y2 = UnsafeRawPointer(b2), y3 = UnsafeRawPointer(b3)
    var f = 0
    while f &+ 2 <= n {
      let o = f &* 8
      let u = x0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let v = x1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let w0 = y0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      p0 += u * w0
      q0 += v * w0
      let w1 = y1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      p1 += u * w1
      q1 += v * w1
      let w2 = y2.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      p2 += u * w2
      q2 += v * w2
      let w3 = y3.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      p3 += u * w3
      q3 += v * w3
      f &+= 2
    }
    var s = SIMD4<Double>(p0.sum(), p1.sum(), p2.sum(), p3.sum())
    var t = SIMD4<Double>(q0.sum(), q1.sum(), q2.sum(), q3.sum())
    if f < n {
      let w = SIMD4<Double>(b0[f], b1[f], b2[f], b3[f])
      s += a0[f] * w
      t += a1[f] * w
    }
    return (s, t)
  }

  /// `(⟨a0, b⟩, ⟨a1, b⟩)` with `b` loaded once for both rows.
  @inline(__always)
  static func dots2x1(
    _ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int
  ) -> (Double, Double) {
    // Two accumulators per row: four independent chains of adds instead of two.
    var p0 = SIMD4<Double>(), q0 = SIMD4<Double>(), p1 = SIMD4<Double>(), q1 = SIMD4<Double>()
    let x0 = UnsafeRawPointer(a0), x1 = UnsafeRawPointer(a1), y = UnsafeRawPointer(b)
    var f = 0
    while f &+ 8 <= n {
      let o = f &* 8
      let w = y.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      p0 += x0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * w
      q0 += x1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * w
      let v = y.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
      p1 += x0.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self) * v
      q1 += x1.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self) * v
      f &+= 8
    }
    if f &+ 4 <= n {
      let o = f &* 8
      let w = y.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      p0 += x0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * w
      q0 += x1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * w
      f &+= 4
    }
    var s = (p0 + p1).sum(), t = (q0 + q1).sum()
    while f < n {
      s += a0[f] * b[f]
      t += a1[f] * b[f]
      f &+= 1
    }
    return (s, t)
  }

  /// `C = Aᵀ·G` (n×c) for row-major `A` (m×n) and `G` (m×c), reading `A` row by row:
  /// `Cᵀ = Σᵢ gᵢ aᵢᵀ` is `c` vectorised axpys of each row, four rows per sweep of each output
  /// row (split over the cores), transposed at the end.
  public static func matmulTransposedLeft(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ g: UnsafePointer<Double>, _ c: Int,
    _ out: UnsafeMutablePointer<Double>
  ) {
    let length = n &* c
    if length == 0 { return }
    let ct = UnsafeMutablePointer<Double>.allocate(capacity: length)
    defer { ct.deallocate() }
    let a = SendableConstPointer(a), g = SendableConstPointer(g)
    reduceOverRowBlocks(rows: m, work: m &* length, length: length, into: ct) { lo, hi, target in
      var i = lo
      while i &+ 4 <= hi {
        let r0 = a.p + i &* n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
        let g0 = g.p + i &* c, g1 = g0 + c, g2 = g1 + c, g3 = g2 + c
        for j in 0..<c where g0[j] != 0 || g1[j] != 0 || g2[j] != 0 || g3[j] != 0 {
          axpy4(g0[j], r0, g1[j], r1, g2[j], r2, g3[j], r3, target + j &* n, n)
        }
        i &+= 4
      }
      while i < hi {
        let row = a.p + i &* n
        for j in 0..<c {
          let coefficient = g.p[i &* c &+ j]
          if coefficient != 0 { axpy(coefficient, row, target + j &* n, n) }
        }
        i &+= 1
      }
    }
    for j in 0..<c { for l in 0..<n { out[l &* c &+ j] = ct[j &* n &+ l] } }
  }

  /// The Gram matrix `A·Aᵀ` (m×m) of the rows of row-major `A` (m×n): the lower triangle in
  /// 2×2 register blocks over column chunks that stay in cache, split into row ranges of equal
  /// triangular work, then mirrored.
  public static func gram(_ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ out: UnsafeMutablePointer<Double>) {
    out.initialize(repeating: 0, count: m &* m)
    if m == 0 { return }
    let chunk = 256
    let threads = m &* m &* n / 2 >= parallelThreshold ? Swift.max(1, Swift.min(availableThreads, m / 8)) : 1
    // Row r has r + 1 products: boundaries at m·√(t/threads), even.
    let bounds = (0...threads).map { t in
      t == threads ? m : (Int(Double(m) * (Double(t) / Double(threads)).squareRoot()) / 2) * 2
    }
    let x = SendableConstPointer(a), k = SendablePointer(out)
    let body: @Sendable (Int) -> Void = { t in
      let lo = bounds[t], hi = bounds[t &+ 1]
      var c0 = 0
      while c0 < n {
        let len = Swift.min(chunk, n &- c0)
        var i = lo
        while i < hi {
          let hasI1 = i &+ 1 < m
          let i1 = hasI1 ? i &+ 1 : i
          let a0 = x.p + (i &* n &+ c0), a1 = x.p + (i1 &* n &+ c0)
          var j = 0
          while j <= i {  // j even: the block (i, i1) × (j, j + 1) is on or below the diagonal
            let hasJ1 = j &+ 1 < m
            let j1 = hasJ1 ? j &+ 1 : j
            let (d0, d1) = dots2x2(a0, a1, x.p + (j &* n &+ c0), x.p + (j1 &* n &+ c0), len)
            k.p[i &* m &+ j] += d0[0]
            if hasJ1 && j1 <= i { k.p[i &* m &+ j1] += d0[1] }
            if hasI1 {
              k.p[i1 &* m &+ j] += d1[0]
              if hasJ1 { k.p[i1 &* m &+ j1] += d1[1] }
            }
            j &+= 2
          }
          i &+= 2
        }
        c0 &+= chunk
      }
    }
    if threads == 1 {
      body(0)
    } else {
      DispatchQueue.concurrentPerform(iterations: threads) { body($0) }
    }
    for i in 0..<m { for j in (i &+ 1)..<Swift.max(m, i &+ 1) { out[i &* m &+ j] = out[j &* m &+ i] } }
  }

  /// `((⟨a0, b0⟩, ⟨a0, b1⟩), (⟨a1, b0⟩, ⟨a1, b1⟩))`: every load feeds two multiply-adds.
  @inline(__always)
  static func dots2x2(
    _ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b0: UnsafePointer<Double>,
    _ b1: UnsafePointer<Double>, _ n: Int
  ) -> (SIMD2<Double>, SIMD2<Double>) {
    var s00 = SIMD2<Double>(), s01 = SIMD2<Double>(), s10 = SIMD2<Double>(), s11 = SIMD2<Double>()
    var t00 = SIMD2<Double>(), t01 = SIMD2<Double>(), t10 = SIMD2<Double>(), t11 = SIMD2<Double>()
    let x0 = UnsafeRawPointer(a0), x1 = UnsafeRawPointer(a1)
    let y0 = UnsafeRawPointer(b0), y1 = UnsafeRawPointer(b1)
    var f = 0
    while f &+ 4 <= n {
      let o = f &* 8
      let u0 = x0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let u1 = x1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let v0 = y0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let v1 = y1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      s00 += u0 * v0
      s01 += u0 * v1
      s10 += u1 * v0
      s11 += u1 * v1
      let w0 = x0.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD2<Double>.self)
      let w1 = x1.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD2<Double>.self)
      let z0 = y0.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD2<Double>.self)
      let z1 = y1.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD2<Double>.self)
      t00 += w0 * z0
      t01 += w0 * z1
      t10 += w1 * z0
      t11 += w1 * z1
      f &+= 4
    }
    var r0 = SIMD2<Double>((s00 + t00).sum(), (s01 + t01).sum())
    var r1 = SIMD2<Double>((s10 + t10).sum(), (s11 + t11).sum())
    while f < n {
      r0 += a0[f] * SIMD2(b0[f], b1[f])
      r1 += a1[f] * SIMD2(b0[f], b1[f])
      f &+= 1
    }
    return (r0, r1)
  }

  // MARK: Fused row passes

  /// For every row `aᵢ` of row-major `A` (m×n): `dᵢ = ⟨aᵢ, v⟩`, `cᵢ = coefficient(i, dᵢ)`, and
  /// `out = Σᵢ cᵢ aᵢ` (n entries, overwritten); `dᵢ` is stored in `dots[i]` when given.
  ///
  /// One pass over `A`: each row is read once for its dot product and, still in cache, for its
  /// axpy (a gradient `Aᵀℓ'(Av)` or a Hessian product `Aᵀ diag(s) A v` costs one read of `A`,
  /// not two). Four rows go together so that `v` and `out` are loaded once per four rows.
  /// Large passes split their rows over the cores, each accumulating its own partial `out`.
  public static func fusedRowPass(
    _ a: UnsafePointer<Double>, rows m: Int, columns n: Int, _ v: UnsafePointer<Double>,
    dots: UnsafeMutablePointer<Double>?, into out: UnsafeMutablePointer<Double>,
    coefficient: @Sendable (_ row: Int, _ dot: Double) -> Double
  ) {
    let a = SendableConstPointer(a), v = SendableConstPointer(v), dots = dots.map(SendablePointer.init)
    reduceOverRowBlocks(rows: m, work: m &* n, length: n, into: out) { lo, hi, target in
      var i = lo
      while i &+ 4 <= hi {
        let r0 = a.p + i &* n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
        let d = dot4(r0, r1, r2, r3, v.p, n)
        if let dots {
          dots.p[i] = d.0
          dots.p[i &+ 1] = d.1
          dots.p[i &+ 2] = d.2
          dots.p[i &+ 3] = d.3
        }
        let c0 = coefficient(i, d.0), c1 = coefficient(i &+ 1, d.1)
        let c2 = coefficient(i &+ 2, d.2), c3 = coefficient(i &+ 3, d.3)
        axpy4(c0, r0, c1, r1, c2, r2, c3, r3, target, n)
        i &+= 4
      }
      while i < hi {
        let row = a.p + i &* n
        let d = dot(row, v.p, n)
        dots?.p[i] = d
        axpy(coefficient(i, d), row, target, n)
        i &+= 1
      }
    }
  }

  /// The pass of ``fusedRowPass(_:rows:columns:_:dots:into:coefficient:)`` along two vectors at
  /// once (the value and ε parts of a dual vector): `dᵢ = ⟨aᵢ, v⟩`, `eᵢ = ⟨aᵢ, w⟩`,
  /// `(cᵢ, c′ᵢ) = coefficient(i, dᵢ, eᵢ)`, `out[0..<n] = Σ cᵢ aᵢ`, `out[n..<2n] = Σ c′ᵢ aᵢ`,
  /// and, when given, `dots[i] = dᵢ`, `dots[m + i] = eᵢ`. Still one read of `A`.
  public static func fusedRowPass(
    _ a: UnsafePointer<Double>, rows m: Int, columns n: Int, _ v: UnsafePointer<Double>,
    _ w: UnsafePointer<Double>, dots: UnsafeMutablePointer<Double>?, into out: UnsafeMutablePointer<Double>,
    coefficient: @Sendable (_ row: Int, _ dot: Double, _ secondDot: Double) -> (Double, Double)
  ) {
    let a = SendableConstPointer(a), v = SendableConstPointer(v), w = SendableConstPointer(w)
    let dots = dots.map(SendablePointer.init)
    reduceOverRowBlocks(rows: m, work: 2 &* m &* n, length: 2 &* n, into: out) { lo, hi, target in
      var i = lo
      while i < hi {
        let i1 = i &+ 1 < hi ? i &+ 1 : i
        let r0 = a.p + i &* n, r1 = a.p + i1 &* n
        let (d0, d1) = dots2x2(r0, r1, v.p, w.p, n)
        let c0 = coefficient(i, d0[0], d0[1])
        var c1 = (0.0, 0.0)  // a lone last row is paired with itself at coefficient 0
        if let dots {
          dots.p[i] = d0[0]
          dots.p[m &+ i] = d0[1]
        }
        if i1 != i {
          c1 = coefficient(i1, d1[0], d1[1])
          if let dots {
            dots.p[i1] = d1[0]
            dots.p[m &+ i1] = d1[1]
          }
        }
        axpy2x2(c0, c1, r0, r1, target, target + n, n)
        i &+= 2
      }
    }
  }

  /// The pass of ``fusedRowPass(_:rows:columns:_:dots:into:coefficient:)`` along `c` vectors
  /// (the rows of `V`, `c × n`; a linear model with `c` outputs, or its value and ε parts):
  /// `dᵢ = (⟨aᵢ, vⱼ⟩)ⱼ` is stored in `dots[i·c ..< (i+1)·c]`, `coefficient(i, dᵢ, cᵢ)` writes the
  /// `c` coefficients of row `i`, and `out` (`c × n`, overwritten) is `Σᵢ cᵢ ⊗ aᵢ`. One read of `A`:
  /// rows go in pairs, their dot products four vectors at a time.
  public static func fusedRowPass(
    _ a: UnsafePointer<Double>, rows m: Int, columns n: Int, directions v: UnsafePointer<Double>, count c: Int,
    dots: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>,
    coefficient:
      @Sendable (_ row: Int, _ dots: UnsafePointer<Double>, _ coefficients: UnsafeMutablePointer<Double>) ->
      Void
  ) {
    let a = SendableConstPointer(a), v = SendableConstPointer(v), d = SendablePointer(dots)
    reduceOverRowBlocks(rows: m, work: c &* m &* n, length: c &* n, into: out) { lo, hi, target in
      let coefficients = UnsafeMutablePointer<Double>.allocate(capacity: 2 &* c)
      defer { coefficients.deallocate() }
      var i = lo
      while i < hi {
        let i1 = i &+ 1 < hi ? i &+ 1 : i
        let r0 = a.p + i &* n, r1 = a.p + i1 &* n
        let d0 = d.p + i &* c, d1 = d.p + i1 &* c
        var j = 0
        while j &+ 4 <= c {
          let col = v.p + j &* n
          let (s0, s1) = dots2x4(r0, r1, col, col + n, col + 2 &* n, col + 3 &* n, n)
          for l in 0..<4 {
            d0[j &+ l] = s0[l]
            d1[j &+ l] = s1[l]
          }
          j &+= 4
        }
        while j < c {
          let (s0, s1) = dots2x1(r0, r1, v.p + j &* n, n)
          d0[j] = s0
          d1[j] = s1
          j &+= 1
        }
        coefficient(i, d0, coefficients)
        let c1 = coefficients + c
        if i1 != i {
          coefficient(i1, d1, c1)
        } else {
          c1.initialize(repeating: 0, count: c)  // a lone last row is paired with itself at coefficient 0
        }
        j = 0
        while j &+ 2 <= c {
          axpy2x2(
            (coefficients[j], coefficients[j &+ 1]), (c1[j], c1[j &+ 1]), r0, r1, target + j &* n,
            target + (j &+ 1) &* n, n)
          j &+= 2
        }
        if j < c {
          axpy(coefficients[j], r0, target + j &* n, n)
          axpy(c1[j], r1, target + j &* n, n)
        }
        i &+= 2
      }
    }
  }

  /// `(⟨r0, v⟩, ⟨r1, v⟩, ⟨r2, v⟩, ⟨r3, v⟩)`, `v` loaded once for the four rows.
  @inline(__always)
  static func dot4(
    _ r0: UnsafePointer<Double>, _ r1: UnsafePointer<Double>, _ r2: UnsafePointer<Double>,
    _ r3: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ n: Int
  ) -> (Double, Double, Double, Double) {
    var a0 = SIMD4<Double>(), a1 = SIMD4<Double>(), a2 = SIMD4<Double>(), a3 = SIMD4<Double>()
    let q0 = UnsafeRawPointer(r0), q1 = UnsafeRawPointer(r1), q2 = UnsafeRawPointer(r2)
    let q3 = UnsafeRawPointer(r3), qv = UnsafeRawPointer(v)
    var j = 0
    while j &+ 4 <= n {
      let o = j &* 8
      let vj = qv.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      a0 += q0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * vj
      a1 += q1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * vj
      a2 += q2.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * vj
      a3 += q3.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self) * vj
      j &+= 4
    }
    var s0 = a0.sum(), s1 = a1.sum(), s2 = a2.sum(), s3 = a3.sum()
    while j < n {
      let vj = v[j]
      s0 += r0[j] * vj
      s1 += r1[j] * vj
      s2 += r2[j] * vj
      s3 += r3[j] * vj
      j &+= 1
    }
    return (s0, s1, s2, s3)
  }

  /// `out += c0·r0 + c1·r1 + c2·r2 + c3·r3`, `out` loaded and stored once for the four rows.
  @inline(__always)
  static func axpy4(
    _ c0: Double, _ r0: UnsafePointer<Double>, _ c1: Double, _ r1: UnsafePointer<Double>,
    _ c2: Double, _ r2: UnsafePointer<Double>, _ c3: Double, _ r3: UnsafePointer<Double>,
    _ out: UnsafeMutablePointer<Double>, _ n: Int
  ) {
    let q0 = UnsafeRawPointer(r0), q1 = UnsafeRawPointer(r1), q2 = UnsafeRawPointer(r2)
    let q3 = UnsafeRawPointer(r3), qo = UnsafeMutableRawPointer(out)
    let k0 = SIMD4<Double>(repeating: c0), k1 = SIMD4<Double>(repeating: c1)
    let k2 = SIMD4<Double>(repeating: c2), k3 = SIMD4<Double>(repeating: c3)
    var j = 0
    while j &+ 4 <= n {
      let o = j &* 8
      let s01 =
        k0 * q0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
        + k1 * q1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      let s23 =
        k2 * q2.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
        + k3 * q3.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      let current = qo.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      qo.storeBytes(of: current + (s01 + s23), toByteOffset: o, as: SIMD4<Double>.self)
      j &+= 4
    }
    while j < n {
      out[j] += (c0 * r0[j] + c1 * r1[j]) + (c2 * r2[j] + c3 * r3[j])
      j &+= 1
    }
  }

  /// `u += c.0·r0 + d.0·r1`, `w += c.1·r0 + d.1·r1`: two rows into two outputs in one sweep.
  @inline(__always)
  static func axpy2x2(
    _ c: (Double, Double), _ d: (Double, Double), _ r0: UnsafePointer<Double>, _ r1: UnsafePointer<Double>,
    _ u: UnsafeMutablePointer<Double>, _ w: UnsafeMutablePointer<Double>, _ n: Int
  ) {
    let q0 = UnsafeRawPointer(r0), q1 = UnsafeRawPointer(r1)
    let qu = UnsafeMutableRawPointer(u), qw = UnsafeMutableRawPointer(w)
    let cu = SIMD2<Double>(repeating: c.0), du = SIMD2<Double>(repeating: d.0)
    let cw = SIMD2<Double>(repeating: c.1), dw = SIMD2<Double>(repeating: d.1)
    var j = 0
    while j &+ 2 <= n {
      let o = j &* 8
      let x0 = q0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let x1 = q1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      let cu0 = qu.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      qu.storeBytes(of: cu0 + (cu * x0 + du * x1), toByteOffset: o, as: SIMD2<Double>.self)
      let cw0 = qw.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
      qw.storeBytes(of: cw0 + (cw * x0 + dw * x1), toByteOffset: o, as: SIMD2<Double>.self)
      j &+= 2
    }
    while j < n {
      u[j] += c.0 * r0[j] + d.0 * r1[j]
      w[j] += c.1 * r0[j] + d.1 * r1[j]
      j &+= 1
    }
  }

  /// Runs `body(lo, hi)` over row blocks, in parallel when `work` is large.
  static func forEachRowBlock(rows: Int, work: Int, _ body: @Sendable (Int, Int) -> Void) {
    let threads = work >= parallelThreshold ? min(availableThreads, rows) : 1
    if threads <= 1 {
      body(0, rows)
      return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      body(rows * t / threads, rows * (t + 1) / threads)
    }
  }

  /// Runs `body(lo, hi, partial)` over row blocks, each thread accumulating into its own
  /// zeroed buffer of `length`, and sums the partial results into `y`.
  static func reduceOverRowBlocks(
    rows: Int, work: Int, length: Int, into y: UnsafeMutablePointer<Double>,
    _ body: @Sendable (Int, Int, UnsafeMutablePointer<Double>) -> Void
  ) {
    y.initialize(repeating: 0, count: length)
    let threads = work >= parallelThreshold ? min(availableThreads, rows) : 1
    if threads <= 1 {
      body(0, rows, y)
      return
    }
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: (threads - 1) * length)
    scratch.initialize(repeating: 0, count: (threads - 1) * length)
    defer { scratch.deallocate() }
    let out = SendablePointer(y), partials = SendablePointer(scratch)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
      let target = t == 0 ? out.p : partials.p + (t - 1) * length
      body(rows * t / threads, rows * (t + 1) / threads, target)
    }
    for t in 1..<threads { axpy(1, scratch + (t - 1) * length, y, length) }
  }
}

/// A pointer handed to worker threads that write disjoint ranges of it (for the coefficient
/// closures of ``Kernels/fusedRowPass(_:rows:columns:_:dots:into:coefficient:)``).
@frozen public struct SendablePointer: @unchecked Sendable {
  /// The pointer.
  public let p: UnsafeMutablePointer<Double>
  /// Wraps `p`.
  @inlinable public init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
}

/// A read-only pointer shared by worker threads.
@frozen public struct SendableConstPointer: @unchecked Sendable {
  /// The pointer.
  public let p: UnsafePointer<Double>
  /// Wraps `p`.
  @inlinable public init(_ p: UnsafePointer<Double>) { self.p = p }
}

/// `IMPLICIT_THREADS` parsed: a positive integer wins, anything else means the online processors (at most 8).
func _threadCountSetting(environment value: String?) -> Int {
  if let value, let n = Int(value), n > 0 { return n }
  return max(1, min(8, _activeProcessorCount()))
}

/// The value of the environment variable `name`, if set.
func _environmentValue(_ name: String) -> String? {
  #if canImport(Glibc) || canImport(Darwin)
    guard let raw = getenv(name) else { return nil }
    return String(cString: raw)
  #else
    return nil
  #endif
}

/// The number of online processors (1 when the platform does not say).
func _activeProcessorCount() -> Int {
  #if canImport(Glibc)
    return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  #elseif canImport(Darwin)
    return Swift.max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
  #else
    return 1
  #endif
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
