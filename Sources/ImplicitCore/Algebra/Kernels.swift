import Dispatch

/// Dense `Double` kernels behind ``Vector`` and ``Matrix``.
///
/// Reductions use explicit SIMD accumulators (the compiler does not reorder floating-point
/// sums by itself), index arithmetic is unchecked (`&+`) so loops vectorise, and
/// `a += b * c` is written out instead of `addingProduct`, which becomes a libm `fma` call on
/// the portable x86-64 target. Large products split their rows over the available cores.
public enum Kernels {
  /// Work (in multiply-adds) above which a product is split across threads.
  public static let parallelThreshold = 1 << 18
  /// Threads used for large products.
  public static let threadCount = max(1, min(8, _activeProcessorCount()))

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

  /// `y = Aᵀ·x` for row-major `A` (m×n): a sum of scaled rows, so it reads `A` row by row.
  public static func matvecTransposed(
    _ a: UnsafePointer<Double>, _ m: Int, _ n: Int, _ x: UnsafePointer<Double>,
    _ y: UnsafeMutablePointer<Double>
  ) {
    let a = SendableConstPointer(a), x = SendableConstPointer(x)
    reduceOverRowBlocks(rows: m, work: m &* n, length: n, into: y) { lo, hi, out in
      for i in lo..<hi { axpy(x.p[i], a.p + i &* n, out, n) }
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

  /// `C = A·B` for row-major `A` (m×k) and `B` (k×n): rows of `C` are sums of scaled rows of
  /// `B`, which vectorises without transposing anything.
  public static func matmul(
    _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ m: Int, _ k: Int, _ n: Int,
    _ c: UnsafeMutablePointer<Double>
  ) {
    let a = SendableConstPointer(a), b = SendableConstPointer(b), c = SendablePointer(c)
    forEachRowBlock(rows: m, work: m &* k &* n) { lo, hi in
      for i in lo..<hi {
        let ci = c.p + i &* n
        ci.initialize(repeating: 0, count: n)
        for p in 0..<k { axpy(a.p[i &* k &+ p], b.p + p &* n, ci, n) }
      }
    }
  }

  /// Runs `body(lo, hi)` over row blocks, in parallel when `work` is large.
  static func forEachRowBlock(rows: Int, work: Int, _ body: @Sendable (Int, Int) -> Void) {
    let threads = work >= parallelThreshold ? min(threadCount, rows) : 1
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
    let threads = work >= parallelThreshold ? min(threadCount, rows) : 1
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

/// A pointer handed to worker threads that write disjoint ranges of it.
struct SendablePointer: @unchecked Sendable {
  let p: UnsafeMutablePointer<Double>
  init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
}

/// A read-only pointer shared by worker threads.
struct SendableConstPointer: @unchecked Sendable {
  let p: UnsafePointer<Double>
  init(_ p: UnsafePointer<Double>) { self.p = p }
}

func _activeProcessorCount() -> Int {
  #if canImport(Glibc)
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  #else
    return 1
  #endif
}

#if canImport(Glibc)
  import Glibc
#endif
