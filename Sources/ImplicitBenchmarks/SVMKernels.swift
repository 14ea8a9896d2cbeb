import Dispatch
import ImplicitCore

/// Dense `Double` kernels of the multiclass-SVM workloads: the Gram matrix `XXᵀ`, products
/// `K·M` with `n × k` matrices, and the row-wise simplex projection.
///
/// Written on raw pointers with unchecked index arithmetic (`&+`) and explicit SIMD
/// accumulators, for the reasons the core's ``Kernels`` gives (reductions do not vectorise by
/// themselves; `addingProduct` becomes a libm call on the portable target).
enum SVMKernels {
  /// Splits `0..<count` into `parts` contiguous ranges and runs them concurrently (inline when
  /// `parts == 1`).
  static func parallel(_ parts: Int, _ count: Int, _ body: @Sendable (Int, Range<Int>) -> Void) {
    let parts = max(1, min(parts, count))
    if parts == 1 {
      body(0, 0..<count)
      return
    }
    DispatchQueue.concurrentPerform(iterations: parts) { t in
      body(t, (count * t / parts)..<(count * (t + 1) / parts))
    }
  }

  /// The four dot products of rows `a0, a1` with rows `b0, b1` (length `length`) in one pass:
  /// every load feeds two multiply-adds.
  @inline(__always)
  static func dot2x2(
    _ a0: UnsafePointer<Double>, _ a1: UnsafePointer<Double>, _ b0: UnsafePointer<Double>,
    _ b1: UnsafePointer<Double>, _ length: Int
  ) -> SIMD4<Double> {
    var s00 = SIMD4<Double>(), s01 = SIMD4<Double>(), s10 = SIMD4<Double>(), s11 = SIMD4<Double>()
    let ra0 = UnsafeRawPointer(a0), ra1 = UnsafeRawPointer(a1)
    let rb0 = UnsafeRawPointer(b0), rb1 = UnsafeRawPointer(b1)
    var f = 0
    while f &+ 4 <= length {
      let o = f &* 8
      let x0 = ra0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      let x1 = ra1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      let y0 = rb0.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      let y1 = rb1.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      s00 += x0 * y0
      s01 += x0 * y1
      s10 += x1 * y0
      s11 += x1 * y1
      f &+= 4
    }
    var r = SIMD4<Double>(s00.sum(), s01.sum(), s10.sum(), s11.sum())
    while f < length {
      r += SIMD4(a0[f] * b0[f], a0[f] * b1[f], a1[f] * b0[f], a1[f] * b1[f])
      f &+= 1
    }
    return r
  }

  /// The Gram matrix `K = XXᵀ` (`n × n`, row-major) of the rows of `X` (`n × p`, row-major).
  ///
  /// Only the lower triangle is computed (then mirrored), in 2×2 register blocks, over column
  /// chunks that keep the rows being reused in L2. Threads take row ranges of equal
  /// triangular work.
  static func gram(_ x: [Double], rows n: Int, columns p: Int, threads: Int) -> [Double] {
    var k = [Double](repeating: 0, count: n * n)
    let chunk = 128
    x.withUnsafeBufferPointer { xb in
      k.withUnsafeMutableBufferPointer { kb in
        let xp = SVMConstPointer(xb.baseAddress!), kp = SVMPointer(kb.baseAddress!)
        let parts = max(1, min(threads, n / 8))
        // Row boundaries with equal triangular work: row r has r + 1 products.
        let bounds = (0...parts).map { t in
          t == parts ? n : (Int(Double(n) * (Double(t) / Double(parts)).squareRoot()) / 2) * 2
        }
        let body: @Sendable (Int) -> Void = { t in
          let lo = bounds[t], hi = bounds[t + 1]
          var c0 = 0
          while c0 < p {
            let len = min(chunk, p - c0)
            var i = lo
            while i < hi {
              let hasI1 = i &+ 1 < n
              let i1 = hasI1 ? i &+ 1 : i
              let a0 = xp.p + (i &* p &+ c0), a1 = xp.p + (i1 &* p &+ c0)
              var j = 0
              while j <= i {  // j even: the block (i, i1) × (j, j + 1) is on or below the diagonal
                let hasJ1 = j &+ 1 < n
                let j1 = hasJ1 ? j &+ 1 : j
                let d = dot2x2(a0, a1, xp.p + (j &* p &+ c0), xp.p + (j1 &* p &+ c0), len)
                kp.p[i &* n &+ j] += d[0]
                if hasJ1 && j1 <= i { kp.p[i &* n &+ j1] += d[1] }
                if hasI1 {
                  kp.p[i1 &* n &+ j] += d[2]
                  if hasJ1 { kp.p[i1 &* n &+ j1] += d[3] }
                }
                j &+= 2
              }
              i &+= 2
            }
            c0 &+= chunk
          }
        }
        if parts == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: parts) { body($0) } }
        for i in 0..<n { for j in (i + 1)..<n { kp.p[i &* n &+ j] = kp.p[j &* n &+ i] } }
      }
    }
    return k
  }

  /// `out[r·k + c] = ⟨A_r, B_c⟩` for the rows `A_r` of `A` (`rows × length`, row-major) and
  /// the rows `B_c` of `B` (`k × length`): a matrix times `k` vectors in one pass over `A`.
  /// For `k = 5` (the workloads' class count) two rows of `A` are done at once with ten
  /// `SIMD2` accumulators, so each load of `B` feeds two multiply-adds and each load of `A`
  /// five; other `k` fall back to separate dot products.
  static func rowDots(
    _ a: UnsafePointer<Double>, rows: Range<Int>, length: Int, _ b: UnsafePointer<Double>, _ k: Int,
    _ out: UnsafeMutablePointer<Double>
  ) {
    guard k == 5 else {
      for r in rows { for c in 0..<k { out[r &* k &+ c] = Kernels.dot(a + r &* length, b + c &* length, length) } }
      return
    }
    let rb = UnsafeRawPointer(b)
    let s1 = length &* 8, s2 = 2 &* length &* 8, s3 = 3 &* length &* 8, s4 = 4 &* length &* 8
    var r = rows.lowerBound
    while r < rows.upperBound {
      let pair = r &+ 1 < rows.upperBound
      let ra0 = UnsafeRawPointer(a + r &* length), ra1 = UnsafeRawPointer(a + (pair ? r &+ 1 : r) &* length)
      var p0 = SIMD2<Double>(), p1 = SIMD2<Double>(), p2 = SIMD2<Double>(), p3 = SIMD2<Double>(), p4 = SIMD2<Double>()
      var q0 = SIMD2<Double>(), q1 = SIMD2<Double>(), q2 = SIMD2<Double>(), q3 = SIMD2<Double>(), q4 = SIMD2<Double>()
      var f = 0
      while f &+ 2 <= length {
        let o = f &* 8
        let x = ra0.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
        let y = ra1.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
        let b0 = rb.loadUnaligned(fromByteOffset: o, as: SIMD2<Double>.self)
        p0 += x * b0
        q0 += y * b0
        let b1 = rb.loadUnaligned(fromByteOffset: o &+ s1, as: SIMD2<Double>.self)
        p1 += x * b1
        q1 += y * b1
        let b2 = rb.loadUnaligned(fromByteOffset: o &+ s2, as: SIMD2<Double>.self)
        p2 += x * b2
        q2 += y * b2
        let b3 = rb.loadUnaligned(fromByteOffset: o &+ s3, as: SIMD2<Double>.self)
        p3 += x * b3
        q3 += y * b3
        let b4 = rb.loadUnaligned(fromByteOffset: o &+ s4, as: SIMD2<Double>.self)
        p4 += x * b4
        q4 += y * b4
        f &+= 2
      }
      var u = SIMD8<Double>(p0.sum(), p1.sum(), p2.sum(), p3.sum(), p4.sum(), q0.sum(), q1.sum(), q2.sum())
      var v4 = q3.sum(), v5 = q4.sum()
      if f < length {
        let x = a[r &* length &+ f], y = a[(pair ? r &+ 1 : r) &* length &+ f]
        u += SIMD8(
          x * b[f], x * b[length &+ f], x * b[2 &* length &+ f], x * b[3 &* length &+ f], x * b[4 &* length &+ f],
          y * b[f], y * b[length &+ f], y * b[2 &* length &+ f])
        v4 += y * b[3 &* length &+ f]
        v5 += y * b[4 &* length &+ f]
      }
      let o0 = out + r &* 5
      o0[0] = u[0]
      o0[1] = u[1]
      o0[2] = u[2]
      o0[3] = u[3]
      o0[4] = u[4]
      if pair {
        o0[5] = u[5]
        o0[6] = u[6]
        o0[7] = u[7]
        o0[8] = v4
        o0[9] = v5
      }
      r &+= 2
    }
  }

  /// `out = K·M` for `K` (`n × n`) and `M`, `Mᵀ` given class-major (`k × n`); `out` is `n × k`
  /// row-major. Rows are split over `threads`.
  static func kernelProduct(
    _ kernel: UnsafePointer<Double>, _ n: Int, _ mT: UnsafePointer<Double>, _ k: Int,
    _ out: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let kp = SVMConstPointer(kernel), mp = SVMConstPointer(mT), op = SVMPointer(out)
    parallel(threads, n / 2) { _, pairs in
      rowDots(
        kp.p, rows: (2 &* pairs.lowerBound)..<(pairs.upperBound == n / 2 ? n : 2 &* pairs.upperBound), length: n, mp.p,
        k, op.p)
    }
  }

  /// `V = XᵀM` class-major (`k × p`): `V_c = Σᵢ M_ic xᵢ`, for `X` (`n × p`) and `M` (`n × k`)
  /// row-major. Partial sums per thread are added at the end.
  static func featureTransposedProduct(
    _ x: UnsafePointer<Double>, _ n: Int, _ p: Int, _ m: UnsafePointer<Double>, _ k: Int,
    _ v: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let parts = max(1, min(threads, n / 16))
    v.initialize(repeating: 0, count: k * p)
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: max(1, (parts - 1) * k * p))
    defer { scratch.deallocate() }
    if parts > 1 { scratch.initialize(repeating: 0, count: (parts - 1) * k * p) }
    let xp = SVMConstPointer(x), mp = SVMConstPointer(m), vp = SVMPointer(v), sp = SVMPointer(scratch)
    parallel(parts, n) { t, rows in
      let target = t == 0 ? vp.p : sp.p + (t - 1) * k * p
      for i in rows {
        let row = xp.p + i &* p
        for c in 0..<k {
          let coefficient = mp.p[i &* k &+ c]
          if coefficient != 0 { Kernels.axpy(coefficient, row, target + c &* p, p) }
        }
      }
    }
    for t in 1..<parts { Kernels.axpy(1, scratch + (t - 1) * k * p, v, k * p) }
  }

  /// `out = X·V` (`n × k` row-major) for `X` (`n × p`) and `V` class-major (`k × p`).
  static func featureProduct(
    _ x: UnsafePointer<Double>, _ n: Int, _ p: Int, _ v: UnsafePointer<Double>, _ k: Int,
    _ out: UnsafeMutablePointer<Double>, threads: Int
  ) {
    let xp = SVMConstPointer(x), vp = SVMConstPointer(v), op = SVMPointer(out)
    parallel(max(1, min(threads, n / 16)), n / 2) { _, pairs in
      rowDots(
        xp.p, rows: (2 &* pairs.lowerBound)..<(pairs.upperBound == n / 2 ? n : 2 &* pairs.upperBound), length: p, vp.p,
        k, op.p)
    }
  }

  /// Projects `z` (`k` entries) onto the probability simplex into `out`; `scratch` holds `k`
  /// entries. The same threshold rule as ``SimplexProjection``: sort decreasing, keep the
  /// largest prefix with `z₍ⱼ₎ > (Σ_{i≤j} z₍ᵢ₎ − 1)/j`.
  @inline(__always)
  static func projectRow(
    _ z: UnsafePointer<Double>, _ k: Int, _ out: UnsafeMutablePointer<Double>,
    _ scratch: UnsafeMutablePointer<Double>
  ) {
    for a in 0..<k {  // insertion sort, decreasing (k is small)
      let value = z[a]
      var b = a
      while b > 0 && scratch[b &- 1] < value {
        scratch[b] = scratch[b &- 1]
        b &-= 1
      }
      scratch[b] = value
    }
    var cumulative = 0.0
    var tau = scratch[0] - 1
    for r in 0..<k {
      cumulative += scratch[r]
      let candidate = (cumulative - 1) / Double(r &+ 1)
      if scratch[r] - candidate > 0 { tau = candidate } else { break }
    }
    for a in 0..<k { out[a] = Swift.max(z[a] - tau, 0) }
  }

  /// `out_i = J_i u_i` for every row: the Jacobian of the simplex projection whose output row
  /// is `p_i`, `J = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|` with `S = {p > 0}` (symmetric, so also `Jᵀ`).
  /// Returns whether any row is non-zero.
  @discardableResult
  static func simplexJacobianRows(
    _ p: UnsafePointer<Double>, _ u: UnsafePointer<Double>, _ n: Int, _ k: Int,
    _ out: UnsafeMutablePointer<Double>
  ) -> Bool {
    var any = false
    for i in 0..<n {
      let base = i &* k
      var count = 0
      var sum = 0.0
      for c in 0..<k where p[base &+ c] > 0 {
        count &+= 1
        sum += u[base &+ c]
      }
      if count <= 1 {  // a vertex: the projection is locally constant
        for c in 0..<k { out[base &+ c] = 0 }
        continue
      }
      any = true
      let mean = sum / Double(count)
      for c in 0..<k { out[base &+ c] = p[base &+ c] > 0 ? u[base &+ c] - mean : 0 }
    }
    return any
  }

  /// `out_i = (diag(p_i) − p_i p_iᵀ) u_i` for every row (the softmax Jacobian at output `p`,
  /// symmetric). Entries with `p = 0` contribute nothing.
  static func softmaxJacobianRows(
    _ p: UnsafePointer<Double>, _ u: UnsafePointer<Double>, _ n: Int, _ k: Int,
    _ out: UnsafeMutablePointer<Double>
  ) {
    for i in 0..<n {
      let base = i &* k
      var mean = 0.0
      for c in 0..<k where p[base &+ c] != 0 { mean += p[base &+ c] * u[base &+ c] }
      for c in 0..<k { out[base &+ c] = p[base &+ c] != 0 ? p[base &+ c] * (u[base &+ c] - mean) : 0 }
    }
  }
}

/// A mutable pointer handed to worker threads that write disjoint ranges of it.
struct SVMPointer: @unchecked Sendable {
  let p: UnsafeMutablePointer<Double>
  init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
}

/// A read-only pointer shared by worker threads.
struct SVMConstPointer: @unchecked Sendable {
  let p: UnsafePointer<Double>
  init(_ p: UnsafePointer<Double>) { self.p = p }
}
