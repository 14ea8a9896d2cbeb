import ImplicitCore

#if canImport(Glibc)
  import Glibc
#endif

/// The per-sample loss `ℓ(d, y)` of a smooth workload, as a function of the margin `d = ⟨xᵢ, w⟩`.
enum SmoothLossKind: Sendable {
  /// `½(d − y)²` (ridge regression).
  case squared
  /// `log(1 + exp(−y·d))` with `y = ±1` (logistic regression).
  case logistic

  /// `ℓ(d, y)`.
  @inline(__always) func value(_ d: Double, _ y: Double) -> Double {
    switch self {
    case .squared: return 0.5 * (d - y) * (d - y)
    case .logistic:
      let m = y * d  // log(1 + e^{−m}) without overflow for either sign of m
      return m > 0 ? log1p(exp(-m)) : -m + log1p(exp(m))
    }
  }

  /// `∂ℓ/∂d`.
  @inline(__always) func derivative(_ d: Double, _ y: Double) -> Double {
    switch self {
    case .squared: return d - y
    case .logistic: return -y / (1 + exp(y * d))
    }
  }

  /// `∂²ℓ/∂d²`.
  @inline(__always) func curvature(_ d: Double, _ y: Double) -> Double {
    switch self {
    case .squared: return 1
    case .logistic:
      let s = 1 / (1 + exp(-y * d))
      return s * (1 - s)
    }
  }

  /// An upper bound of ``curvature(_:_:)`` (for the Lipschitz constant of the gradient).
  var curvatureBound: Double { self == .squared ? 1 : 0.25 }
}

/// A dense `n × p` data matrix (one row-major allocation) with its targets, and the fused,
/// multithreaded products the workloads are made of.
final class SmoothDataSet: @unchecked Sendable {
  let rows: Int
  let columns: Int
  /// Row-major `X`.
  let x: SmoothBuffer
  /// Targets `y`.
  let y: SmoothBuffer
  /// One zeroed `columns`-long accumulator per row chunk, left zeroed by every product.
  let partials: SmoothBuffer
  let team: SmoothThreadTeam
  /// Row chunks (and column chunks) of a pass: two per thread, so a thread that finishes early
  /// can take over half of a slow thread's share.
  let chunks: Int

  /// Standard normal features; targets from `target(row, ⟨xᵢ, w_true⟩)`.
  init(
    rows: Int, columns: Int, generator: inout SeededGenerator, team: SmoothThreadTeam = .shared,
    target: (_ margin: Double, _ generator: inout SeededGenerator) -> Double, truth: [Double]
  ) {
    self.rows = rows
    self.columns = columns
    self.team = team
    x = SmoothBuffer.zeros(rows * columns)
    y = SmoothBuffer.zeros(rows)
    chunks = min(SmoothThreadTeam.maxChunks, 2 * team.size)
    partials = SmoothBuffer.zeros(chunks * columns)
    for i in 0..<rows {
      var margin = 0.0
      for j in 0..<columns {
        let v = generator.normal()
        x.p[i * columns + j] = v
        margin += v * truth[j]
      }
      y.p[i] = target(margin, &generator)
    }
  }

  /// A zero data set of this shape (to be filled in).
  init(rows: Int, columns: Int, team: SmoothThreadTeam = .shared) {
    self.rows = rows
    self.columns = columns
    self.team = team
    x = SmoothBuffer.zeros(rows * columns)
    y = SmoothBuffer.zeros(rows)
    chunks = min(SmoothThreadTeam.maxChunks, 2 * team.size)
    partials = SmoothBuffer.zeros(chunks * columns)
  }

  /// A data set holding `x` (`rows × columns`, row-major) and `y` as given.
  init(rows: Int, columns: Int, x values: [Double], y targets: [Double], team: SmoothThreadTeam = .shared) {
    self.rows = rows
    self.columns = columns
    self.team = team
    x = SmoothBuffer.copy(values)
    y = SmoothBuffer.copy(targets)
    chunks = min(SmoothThreadTeam.maxChunks, 2 * team.size)
    partials = SmoothBuffer.zeros(chunks * columns)
  }

  deinit {
    x.free()
    y.free()
    partials.free()
  }

  /// Bytes of `X` (what one fused pass reads).
  var matrixBytes: Double { Double(rows * columns * 8) }

  /// `out = Xᵀc + diagonal ∘ v` with `cᵢ = coefficient(i, ⟨xᵢ, v⟩)`: ONE pass over `X` on all the
  /// team's threads (row chunks into per-chunk sums, then the sums combined by column chunks).
  /// Stores `⟨xᵢ, v⟩` in `dots` when given.
  func fusedProduct(
    _ v: SmoothBuffer, diagonal: SmoothBuffer?, dots: SmoothBuffer?, into out: SmoothBuffer,
    coefficient: @escaping @Sendable (_ row: Int, _ dot: Double) -> Double
  ) {
    let (n, p, chunks, x, partials) = (rows, columns, chunks, x, partials)
    team.run(chunks: chunks) { c in
      SmoothKernels.fusedRowPass(
        x.p, columns: p, rows: smoothPartition(n, parts: chunks, c, align: 4), reversed: false, v.p,
        dots: dots?.p, into: partials.p + c * p, coefficient: coefficient)
    }
    team.run(chunks: chunks) { c in
      for j in smoothPartition(p, parts: chunks, c, align: 8) {
        out.p[j] = partials.collect(j, chunks: chunks, stride: p) + (diagonal.map { $0.p[j] * v.p[j] } ?? 0)
      }
    }
  }

  /// `λ_max(XᵀX)` by power iteration from a fixed start (deterministic).
  func largestGramEigenvalue(tolerance: Double = 1e-9, maxIterations: Int = 500) -> Double {
    let p = columns
    let v = SmoothBuffer.zeros(p), w = SmoothBuffer.zeros(p)
    defer {
      v.free()
      w.free()
    }
    for j in 0..<p { v.p[j] = 1 + 0.01 * Double(j % 7) }
    var estimate = 0.0
    for _ in 0..<maxIterations {
      var norm = 0.0
      for j in 0..<p { norm += v.p[j] * v.p[j] }
      norm = norm.squareRoot()
      for j in 0..<p { v.p[j] /= norm }
      fusedProduct(v, diagonal: nil, dots: nil, into: w) { _, d in d }
      var next = 0.0
      for j in 0..<p { next += w.p[j] * v.p[j] }
      v.p.update(from: w.p, count: p)
      if abs(next - estimate) <= tolerance * next { return next }
      estimate = next
    }
    return estimate
  }
}

extension SmoothBuffer {
  /// `Σ_q self[q·stride + j]` over `chunks` per-chunk sums, in a fixed order, zeroing them for the
  /// next pass.
  @inline(__always) func collect(_ j: Int, chunks: Int, stride: Int) -> Double {
    var s = 0.0
    for q in 0..<chunks {
      s += p[q &* stride &+ j]
      p[q &* stride &+ j] = 0
    }
    return s
  }
}

/// The momentum coefficients `β_k = (t_k − 1)/t_{k+1}`, `t_{k+1} = (1 + √(1 + 4t_k²))/2`,
/// `t_0 = 1` of Nesterov's accelerated gradient / FISTA.
func smoothNesterovMomentum(_ iterations: Int) -> [Double] {
  var t = 1.0
  return (0..<iterations).map { _ in
    let next = (1 + (1 + 4 * t * t).squareRoot()) / 2
    defer { t = next }
    return (t - 1) / next
  }
}
