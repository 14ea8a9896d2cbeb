/// Products with `K = XXᵀ` restricted to the *active rows* of a projected-gradient point: the
/// rows `i` whose simplex projection has two or more non-zero entries, where the projection's
/// Jacobian `J_i` is not zero. At a vertex (one non-zero entry) `J_i = 0`, so
///
/// - in `Aᵀu = (I − ηH)J u − u` the vector `J u` vanishes off the active rows: `K·Ju` needs
///   only the columns of `K` of active rows;
/// - in `A v = J(v − ηHv) − v` only the active rows of `Hv` are used, and the Krylov vectors of
///   `A w = −B t` stay zero off the active rows (`B t = (η/θ²)t·JG` and `A` map into them):
///   `(K v)_A` needs only the active block of `K`.
///
/// The compacted copies are built once per linearisation point (the active set is fixed there).
struct SVMActiveSetProducts: @unchecked Sendable {
  let op: SVMGramOperator
  /// The active rows, increasing.
  let active: [Int]
  /// Whether row `i` is active.
  let isActive: [Bool]
  /// Kernel route: `K[:, A]` (`n × n_A`) and `K[A, A]` (`n_A × n_A`).
  let kernelColumns: [Double]
  let kernelBlock: [Double]
  /// Route through `X`: `X_Aᵀ` (`P × n_A`) and `X_A` (`n_A × P`).
  let activeTransposedX: [Double]
  let activeX: [Double]

  /// `nil` when nearly every row is active (the full products are as cheap).
  init?(_ op: SVMGramOperator, mapOutput p: [Double]) {
    let n = op.samples, k = op.classes
    var flags = [Bool](repeating: false, count: n)
    var rows = [Int]()
    for i in 0..<n {
      var count = 0
      for c in 0..<k where p[i * k + c] > 0 { count += 1 }
      if count >= 2 {
        flags[i] = true
        rows.append(i)
      }
    }
    guard !rows.isEmpty, rows.count * 10 <= n * 8 else { return nil }
    self.op = op
    active = rows
    isActive = flags
    let m = rows.count
    if let kernel = op.kernel {
      var columns = [Double](repeating: 0, count: n * m)
      for i in 0..<n { for (a, j) in rows.enumerated() { columns[i * m + a] = kernel[i * n + j] } }
      var block = [Double](repeating: 0, count: m * m)
      for (a, i) in rows.enumerated() { for b in 0..<m { block[a * m + b] = columns[i * m + b] } }
      kernelColumns = columns
      kernelBlock = block
      activeTransposedX = []
      activeX = []
    } else {
      let f = op.features
      var xt = [Double](repeating: 0, count: f * m)
      var x = [Double](repeating: 0, count: m * f)
      for (a, i) in rows.enumerated() {
        for j in 0..<f {
          let value = op.X[i * f + j]
          xt[j * m + a] = value
          x[a * f + j] = value
        }
      }
      activeTransposedX = xt
      activeX = x
      kernelColumns = []
      kernelBlock = []
    }
  }

  /// The number of active rows.
  var count: Int { active.count }

  /// Whether `v` (`n × k`) is zero on every inactive row.
  func vanishesOffActive(_ v: [Double]) -> Bool {
    let k = op.classes
    for i in 0..<op.samples where !isActive[i] {
      for c in 0..<k where v[i * k + c] != 0 { return false }
    }
    return true
  }

  /// The active rows of `w`, class-major (`k × n_A`).
  func gatherActive(_ w: [Double]) -> [Double] {
    let k = op.classes, m = active.count
    var out = [Double](repeating: 0, count: k * m)
    for (a, i) in active.enumerated() { for c in 0..<k { out[c * m + a] = w[i * k + c] } }
    return out
  }

  /// `K·w` (`n × k`) for `w` zero off the active rows.
  func timesActive(_ w: [Double]) -> [Double] {
    let n = op.samples, k = op.classes, m = active.count
    let wA = gatherActive(w)
    var out = [Double](repeating: 0, count: n * k)
    if op.kernel != nil {
      let threads = n * m * k >= 1_000_000 ? op.threads : 1
      kernelColumns.withUnsafeBufferPointer { cb in
        wA.withUnsafeBufferPointer { wb in
          out.withUnsafeMutableBufferPointer { ob in
            let c = SVMConstPointer(cb.baseAddress!), wp = SVMConstPointer(wb.baseAddress!),
              o = SVMPointer(ob.baseAddress!)
            SVMKernels.parallel(threads, n / 2) { _, pairs in
              SVMKernels.rowDots(
                c.p, rows: (2 * pairs.lowerBound)..<(pairs.upperBound == n / 2 ? n : 2 * pairs.upperBound), length: m,
                wp.p, k, o.p)
            }
          }
        }
      }
    } else {
      let vT = featureCoefficients(wA)
      op.X.withUnsafeBufferPointer { x in
        vT.withUnsafeBufferPointer { v in
          out.withUnsafeMutableBufferPointer {
            SVMKernels.featureProduct(x.baseAddress!, n, op.features, v.baseAddress!, k, $0.baseAddress!, threads: 1)
          }
        }
      }
    }
    return out
  }

  /// `(K·v)_A` (`n_A × k`, row `a` for row `active[a]`) for `v` zero off the active rows.
  func activeTimesActive(_ v: [Double]) -> [Double] {
    let k = op.classes, m = active.count
    let vA = gatherActive(v)
    var out = [Double](repeating: 0, count: m * k)
    if op.kernel != nil {
      kernelBlock.withUnsafeBufferPointer { b in
        vA.withUnsafeBufferPointer { w in
          out.withUnsafeMutableBufferPointer {
            SVMKernels.rowDots(b.baseAddress!, rows: 0..<m, length: m, w.baseAddress!, k, $0.baseAddress!)
          }
        }
      }
    } else {
      let vT = featureCoefficients(vA)
      activeX.withUnsafeBufferPointer { x in
        vT.withUnsafeBufferPointer { w in
          out.withUnsafeMutableBufferPointer {
            SVMKernels.featureProduct(x.baseAddress!, m, op.features, w.baseAddress!, k, $0.baseAddress!, threads: 1)
          }
        }
      }
    }
    return out
  }

  /// `X_Aᵀ w_A` class-major (`k × P`) from `w_A` class-major (`k × n_A`).
  func featureCoefficients(_ wA: [Double]) -> [Double] {
    let k = op.classes, m = active.count, f = op.features
    var v = [Double](repeating: 0, count: f * k)
    activeTransposedX.withUnsafeBufferPointer { xt in
      wA.withUnsafeBufferPointer { w in
        v.withUnsafeMutableBufferPointer {
          SVMKernels.rowDots(xt.baseAddress!, rows: 0..<f, length: m, w.baseAddress!, k, $0.baseAddress!)
        }
      }
    }
    var vT = [Double](repeating: 0, count: k * f)
    for j in 0..<f { for c in 0..<k { vT[c * f + j] = v[j * k + c] } }
    return vT
  }
}
