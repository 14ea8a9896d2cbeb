/// The fused data-matrix kernel behind the smooth and lasso workloads.
///
/// Every product these workloads need has the form `Xᵀ(c(Xv))`: gradients (`cᵢ = Xv − y`,
/// or the logistic residual), Hessian-vector products (`cᵢ = sᵢ·⟨xᵢ, v⟩`), their adjoints.
/// ``fusedRowPass(_:columns:rows:reversed:_:dots:into:coefficient:)`` reads each row of `X` ONCE:
/// a dot product with `v`, a scalar per row, then an axpy of the same row (still in L1/L2) into
/// the output. Four rows go together so that `v` and the output are loaded once per four rows,
/// leaving the arithmetic (not the loads) as the limit when `X` sits in cache.
enum SmoothKernels {
  /// For each row `i` of `rows` (visited bottom-up when `reversed`): `dᵢ = ⟨xᵢ, v⟩`,
  /// `cᵢ = coefficient(i, dᵢ)`, `out += cᵢ·xᵢ`; `dᵢ` is stored in `dots[i]` when `dots` is given.
  ///
  /// `reversed` lets consecutive passes alternate direction ("snake" order): the rows read
  /// last by one pass are still in the last-level cache when the next pass starts on them, so a
  /// matrix somewhat larger than L3 is not entirely re-read from memory on every pass.
  @inline(__always)
  static func fusedRowPass(
    _ x: UnsafePointer<Double>, columns p: Int, rows: Range<Int>, reversed: Bool,
    _ v: UnsafePointer<Double>, dots: UnsafeMutablePointer<Double>?,
    into out: UnsafeMutablePointer<Double>,
    coefficient: (_ row: Int, _ dot: Double) -> Double
  ) {
    let count = rows.count
    let blocks = count / 4
    for b in 0..<blocks {
      let i = reversed ? rows.upperBound &- 4 &* (b &+ 1) : rows.lowerBound &+ 4 &* b
      let r0 = x + i &* p, r1 = r0 + p, r2 = r1 + p, r3 = r2 + p
      let d = dot4(r0, r1, r2, r3, v, p)
      if let dots {
        dots[i] = d.0
        dots[i &+ 1] = d.1
        dots[i &+ 2] = d.2
        dots[i &+ 3] = d.3
      }
      let c0 = coefficient(i, d.0), c1 = coefficient(i &+ 1, d.1)
      let c2 = coefficient(i &+ 2, d.2), c3 = coefficient(i &+ 3, d.3)
      axpy4(c0, r0, c1, r1, c2, r2, c3, r3, out, p)
    }
    // Rows left over after the blocks of four: at the bottom going down, at the top going up.
    let rest =
      reversed
      ? rows.lowerBound..<(rows.lowerBound &+ count &- 4 &* blocks)
      : (rows.lowerBound &+ 4 &* blocks)..<rows.upperBound
    for i in rest {
      let row = x + i &* p
      let d = dot1(row, v, p)
      dots?[i] = d
      let c = coefficient(i, d)
      axpy1(c, row, out, p)
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

  /// `⟨r, v⟩`.
  @inline(__always)
  static func dot1(_ r: UnsafePointer<Double>, _ v: UnsafePointer<Double>, _ n: Int) -> Double {
    var a0 = SIMD4<Double>(), a1 = SIMD4<Double>()
    let q = UnsafeRawPointer(r), qv = UnsafeRawPointer(v)
    var j = 0
    while j &+ 8 <= n {
      let o = j &* 8
      a0 +=
        q.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
        * qv.loadUnaligned(fromByteOffset: o, as: SIMD4<Double>.self)
      a1 +=
        q.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
        * qv.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Double>.self)
      j &+= 8
    }
    var s = (a0 + a1).sum()
    while j < n {
      s += r[j] * v[j]
      j &+= 1
    }
    return s
  }

  /// `out += c·r`.
  @inline(__always)
  static func axpy1(_ c: Double, _ r: UnsafePointer<Double>, _ out: UnsafeMutablePointer<Double>, _ n: Int) {
    var j = 0
    while j < n {
      out[j] += c * r[j]
      j &+= 1
    }
  }
}
