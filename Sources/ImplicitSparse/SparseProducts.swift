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
    let threads = nonzeroCount >= Kernels.parallelThreshold ? Swift.min(Kernels.threadCount, rows) : 1
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
                for i in lo..<hi {
                  var sum = 0.0
                  for k in s.p[i]..<s.p[i &+ 1] { sum += a.p[k] * xp.p[c.p[k]] }
                  o.p[i] = sum
                }
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
    return fusedPass(u.scalars, weights: nil, shift: nil, transposedOnly: true).product
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
    let r = fusedPass(v.scalars, weights: w?.scalars, shift: t?.scalars, transposedOnly: false)
    return (r.product, Vector(r.image))
  }

  /// The one pass behind the transposed and normal products: per row `i`, `dᵢ = ⟨aᵢ, v⟩` (or
  /// `dᵢ = vᵢ` when `transposedOnly`), then `out += wᵢ(dᵢ − tᵢ)·aᵢ`.
  func fusedPass(
    _ v: [Double], weights: [Double]?, shift: [Double]?, transposedOnly: Bool
  ) -> (product: Vector<Double>, image: [Double]) {
    var image = [Double](repeating: 0, count: transposedOnly ? 0 : rows)
    var product = [Double](repeating: 0, count: columns)
    let bounds = rowBlocks()
    let blocks = bounds.count - 1
    // Partial sums of the threads after the first (which writes `product` itself).
    var partials = [Double](repeating: 0, count: (blocks - 1) * columns)
    let ones = [Double](repeating: 1, count: weights == nil ? 1 : 0)
    let zeros = [Double](repeating: 0, count: shift == nil ? 1 : 0)
    let ws = weights ?? ones, ts = shift ?? zeros
    let hasWeights = weights != nil, hasShift = shift != nil
    rowStarts.withUnsafeBufferPointer { starts in
      columnIndices.withUnsafeBufferPointer { cols in
        values.withUnsafeBufferPointer { vals in
          v.withUnsafeBufferPointer { x in
            ws.withUnsafeBufferPointer { wp in
              ts.withUnsafeBufferPointer { tp in
                image.withUnsafeMutableBufferPointer { imagePointer in
                  product.withUnsafeMutableBufferPointer { productPointer in
                    partials.withUnsafeMutableBufferPointer { partialPointer in
                      let s = SendableIndexPointer(p: starts.baseAddress!)
                      let c = SendableIndexPointer(p: cols.baseAddress ?? starts.baseAddress!)
                      let a = SendableConstPointer(vals.baseAddress ?? wp.baseAddress!)
                      let xp = SendableConstPointer(x.baseAddress ?? wp.baseAddress!)
                      let weight = SendableConstPointer(wp.baseAddress!), target = SendableConstPointer(tp.baseAddress!)
                      let images = SendablePointer(imagePointer.baseAddress ?? productPointer.baseAddress!)
                      let first = SendablePointer(productPointer.baseAddress!)
                      let rest = SendablePointer(partialPointer.baseAddress ?? productPointer.baseAddress!)
                      let p = columns
                      forEachBlock(bounds) { t, lo, hi in
                        let out = t == 0 ? first.p : rest.p + (t - 1) * p
                        for i in lo..<hi {
                          let rowStart = s.p[i], rowEnd = s.p[i &+ 1]
                          var coefficient: Double
                          if transposedOnly {
                            coefficient = xp.p[i]
                          } else {
                            var dot = 0.0
                            for k in rowStart..<rowEnd { dot += a.p[k] * xp.p[c.p[k]] }
                            images.p[i] = dot
                            coefficient = dot
                            if hasShift { coefficient -= target.p[i] }
                            if hasWeights { coefficient *= weight.p[i] }
                          }
                          if coefficient == 0 { continue }
                          for k in rowStart..<rowEnd { out[c.p[k]] += coefficient * a.p[k] }
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
    for t in 0..<(blocks - 1) {
      for j in 0..<columns { product[j] += partials[t * columns + j] }
    }
    return (Vector(product), image)
  }
}
