import Dispatch
public import ImplicitCore

// The products of a CSR matrix on doubles. Rows are split into blocks of about equal nonzero
// counts, one per thread when the matrix is large: `A·v` writes disjoint rows; `Aᵀ·u` and the
// fused normal product scatter into one `columns`-long partial sum per thread (the first thread
// writes the result directly), summed at the end.

/// A read-only pointer to indices shared by worker threads.
struct SendableIndexPointer: @unchecked Sendable {
  let p: UnsafePointer<Int>
}

extension SparseMatrix {
  /// The row blocks of about equal nonzero counts: `threads + 1` boundaries.
  func rowBlocks() -> [Int] {
    let threads = nonzeroCount >= Kernels.parallelThreshold ? Swift.min(Kernels.availableThreads, rows) : 1
    guard threads > 1 else { return [0, rows] }
    var bounds = [0]
    var row = 0
    for t in 1..<threads {
      let target = nonzeroCount * t / threads
      while row < rows, rowStarts[row] < target { row += 1 }
      bounds.append(Swift.max(row, bounds.last!))
    }
    bounds.append(rows)
    return bounds
  }

  /// Runs `body(t, lo, hi)` over the row blocks, in parallel when there are several.
  func forEachBlock(_ bounds: [Int], _ body: @Sendable (Int, Int, Int) -> Void) {
    let blocks = bounds.count - 1
    if blocks == 1 {
      body(0, bounds[0], bounds[1])
      return
    }
    DispatchQueue.concurrentPerform(iterations: blocks) { t in body(t, bounds[t], bounds[t + 1]) }
  }

  /// `A·v`.
  public func times(_ v: Vector<Double>) -> Vector<Double> {
    precondition(v.count == columns, "SparseMatrix.times: \(rows)×\(columns) times \(v.count)")
    var y = [Double](repeating: 0, count: rows)
    let bounds = rowBlocks()
    rowStarts.withUnsafeBufferPointer { starts in
      columnIndices.withUnsafeBufferPointer { cols in
        values.withUnsafeBufferPointer { vals in
          v.scalars.withUnsafeBufferPointer { x in
            y.withUnsafeMutableBufferPointer { out in
              let s = SendableIndexPointer(p: starts.baseAddress!)
              let c = SendableIndexPointer(p: cols.baseAddress ?? starts.baseAddress!)
              let a = SendableConstPointer(vals.baseAddress ?? x.baseAddress!)
              let xp = SendableConstPointer(x.baseAddress!), o = SendablePointer(out.baseAddress!)
              forEachBlock(bounds) { _, lo, hi in
                for i in lo..<hi { o.p[i] = sparseDot(a.p, c.p, xp.p, s.p[i], s.p[i &+ 1]) }
              }
            }
          }
        }
      }
    }
    return Vector(y)
  }

  /// `Aᵀ·u`.
  public func transposedTimes(_ u: Vector<Double>) -> Vector<Double> {
    precondition(u.count == rows, "SparseMatrix.transposedTimes: \(rows)×\(columns) transposed times \(u.count)")
    return rowPass(u.scalars, transposedOnly: true) { _, d in d }.product
  }

  /// `Aᵀ·diag(w)·(A·v − t)` and the image `A·v` (`w` defaults to ones, `t` to zeros), in one pass
  /// over the rows: a gradient `Aᵀ(Ax − b)` or a Hessian product `AᵀWAv` of a loss of the scores.
  public func normalProduct(
    _ v: Vector<Double>, weights w: Vector<Double>? = nil, minus t: Vector<Double>? = nil
  ) -> (product: Vector<Double>, image: Vector<Double>) {
    precondition(
      v.count == columns && (w?.count ?? rows) == rows && (t?.count ?? rows) == rows,
      "SparseMatrix.normalProduct: \(rows)×\(columns), v \(v.count), weights \(w?.count ?? rows), "
        + "shift \(t?.count ?? rows)")
    let ws = w?.scalars ?? [], ts = t?.scalars ?? []
    let r = ws.withUnsafeBufferPointer { wp in
      ts.withUnsafeBufferPointer { tp in
        // An empty array may still have a base address: test the optionals themselves.
        let weight = w == nil ? nil : wp.baseAddress.map(SendableConstPointer.init)
        let shift = t == nil ? nil : tp.baseAddress.map(SendableConstPointer.init)
        return rowPass(v.scalars, transposedOnly: false) { i, dot in
          var c = dot
          if let shift { c -= shift.p[i] }
          if let weight { c *= weight.p[i] }
          return c
        }
      }
    }
    return (r.product, Vector(r.image))
  }

  /// `(1/m) Σᵢ softplus(⟨aᵢ, x⟩)` and its gradient `Aᵀσ(Ax)/m`, in one pass over the rows.
  public func meanSoftplusValueAndGradient(_ x: Vector<Double>) -> (value: Double, gradient: Vector<Double>) {
    precondition(x.count == columns, "meanSoftplusOfProduct: \(rows)×\(columns) times \(x.count)")
    let scale = 1 / Double(rows)
    let r = rowPass(x.scalars, transposedOnly: false) { _, z in stableSigmoid(z) * scale }
    var value = 0.0
    for z in r.image { value += stableSoftplus(z) }
    return (value * scale, r.product)
  }

  /// The one pass behind the transposed and fused products: per row `i`, `dᵢ = ⟨aᵢ, v⟩` (or
  /// `dᵢ = vᵢ` when `transposedOnly`), then `out += coefficient(i, dᵢ)·aᵢ`. Returns `out` and the
  /// `dᵢ` (none when `transposedOnly`).
  func rowPass(
    _ v: [Double], transposedOnly: Bool, coefficient: @Sendable (Int, Double) -> Double
  ) -> (product: Vector<Double>, image: [Double]) {
    var image = [Double](repeating: 0, count: transposedOnly ? 0 : rows)
    // Each thread zeroes its own output inside the parallel region (first touch on its core, no
    // serial memset), and the partial sums are added column block by column block in parallel.
    var product = [Double](unsafeUninitializedCapacity: columns) { _, count in count = columns }
    let bounds = rowBlocks()
    let blocks = bounds.count - 1
    let columnBounds = (0...blocks).map { columns * $0 / blocks }
    // Partial sums of the threads after the first (which writes `product` itself).
    var partials = [Double](unsafeUninitializedCapacity: (blocks - 1) * columns) { _, count in
      count = (blocks - 1) * columns
    }
    let scratch = [0.0]
    rowStarts.withUnsafeBufferPointer { starts in
      columnIndices.withUnsafeBufferPointer { cols in
        values.withUnsafeBufferPointer { vals in
          v.withUnsafeBufferPointer { x in
            scratch.withUnsafeBufferPointer { wp in
              do {
                image.withUnsafeMutableBufferPointer { imagePointer in
                  product.withUnsafeMutableBufferPointer { productPointer in
                    partials.withUnsafeMutableBufferPointer { partialPointer in
                      let s = SendableIndexPointer(p: starts.baseAddress!)
                      let c = SendableIndexPointer(p: cols.baseAddress ?? starts.baseAddress!)
                      let a = SendableConstPointer(vals.baseAddress ?? wp.baseAddress!)
                      let xp = SendableConstPointer(x.baseAddress ?? wp.baseAddress!)
                      let images = SendablePointer(imagePointer.baseAddress ?? productPointer.baseAddress!)
                      let first = SendablePointer(productPointer.baseAddress!)
                      let rest = SendablePointer(partialPointer.baseAddress ?? productPointer.baseAddress!)
                      let p = columns
                      forEachBlock(bounds) { t, lo, hi in
                        let out = t == 0 ? first.p : rest.p + (t - 1) * p
                        out.initialize(repeating: 0, count: p)
                        for i in lo..<hi {
                          let rowStart = s.p[i], rowEnd = s.p[i &+ 1]
                          var dot = xp.p[i]
                          if !transposedOnly {
                            dot = sparseDot(a.p, c.p, xp.p, rowStart, rowEnd)
                            images.p[i] = dot
                          }
                          let scale = coefficient(i, dot)
                          if scale == 0 { continue }
                          sparseScatter(scale, a.p, c.p, out, rowStart, rowEnd)
                        }
                      }
                      if blocks > 1 {
                        forEachBlock(columnBounds) { _, lo, hi in
                          for u in 0..<(blocks - 1) {
                            let partial = rest.p + u * p
                            for j in lo..<hi { first.p[j] += partial[j] }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (Vector(product), image)
  }
}

/// `Σₖ a[k]·x[c[k]]` over `lo..<hi`, in four independent partial sums: one chain of additions
/// would wait on the adder's latency at every entry (the gathers of `x` then overlap instead).
@inline(__always)
func sparseDot(
  _ a: UnsafePointer<Double>, _ c: UnsafePointer<Int>, _ x: UnsafePointer<Double>, _ lo: Int, _ hi: Int
) -> Double {
  var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
  var k = lo
  while k &+ 4 <= hi {
    s0 += a[k] * x[c[k]]
    s1 += a[k &+ 1] * x[c[k &+ 1]]
    s2 += a[k &+ 2] * x[c[k &+ 2]]
    s3 += a[k &+ 3] * x[c[k &+ 3]]
    k &+= 4
  }
  while k < hi {
    s0 += a[k] * x[c[k]]
    k &+= 1
  }
  return (s0 + s1) + (s2 + s3)
}

/// `out[c[k]] += scale·a[k]` over `lo..<hi` (the columns of one row are distinct), four at a time
/// so that the loads of `out` are issued before the stores.
@inline(__always)
func sparseScatter(
  _ scale: Double, _ a: UnsafePointer<Double>, _ c: UnsafePointer<Int>, _ out: UnsafeMutablePointer<Double>,
  _ lo: Int, _ hi: Int
) {
  var k = lo
  while k &+ 4 <= hi {
    let (j0, j1, j2, j3) = (c[k], c[k &+ 1], c[k &+ 2], c[k &+ 3])
    let (o0, o1, o2, o3) = (out[j0], out[j1], out[j2], out[j3])
    out[j0] = o0 + scale * a[k]
    out[j1] = o1 + scale * a[k &+ 1]
    out[j2] = o2 + scale * a[k &+ 2]
    out[j3] = o3 + scale * a[k &+ 3]
    k &+= 4
  }
  while k < hi {
    out[c[k]] += scale * a[k]
    k &+= 1
  }
}
