public import ImplicitCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reference algebra written with plain loops over `[[Double]]` and `[Double]`, independent of
/// the library's kernels, AD, solvers and factorisations: the tests compare the library against
/// these.
public enum Reference {
  /// A dense matrix as rows.
  public typealias Rows = [[Double]]

  /// The rows of `m`.
  public static func rows(_ m: Matrix<Double>) -> Rows {
    (0..<m.rows).map { i in (0..<m.columns).map { j in m.scalars[i * m.columns + j] } }
  }

  /// The library matrix with rows `r`.
  public static func matrix(_ r: Rows) -> Matrix<Double> {
    Matrix(rows: r.count, columns: r.first?.count ?? 0, scalars: r.flatMap { $0 })
  }

  /// The `n × n` identity.
  public static func identity(_ n: Int) -> Rows {
    (0..<n).map { i in (0..<n).map { j in i == j ? 1 : 0 } }
  }

  /// `aᵀ`.
  public static func transpose(_ a: Rows) -> Rows {
    guard let c = a.first?.count else { return [] }
    return (0..<c).map { j in a.map { $0[j] } }
  }

  /// `a x`.
  public static func matvec(_ a: Rows, _ x: [Double]) -> [Double] {
    a.map { row in
      var s = 0.0
      for j in 0..<x.count { s += row[j] * x[j] }
      return s
    }
  }

  /// `aᵀ y`.
  public static func transposedMatvec(_ a: Rows, _ y: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: a.first?.count ?? 0)
    for i in 0..<a.count { for j in 0..<out.count { out[j] += a[i][j] * y[i] } }
    return out
  }

  /// `a b`.
  public static func matmul(_ a: Rows, _ b: Rows) -> Rows {
    let k = b.count, n = b.first?.count ?? 0
    return a.map { row in
      (0..<n).map { j in
        var s = 0.0
        for p in 0..<k { s += row[p] * b[p][j] }
        return s
      }
    }
  }

  /// `a + scale·b`.
  public static func add(_ a: Rows, _ b: Rows, scale: Double = 1) -> Rows {
    zip(a, b).map { zip($0, $1).map { $0 + scale * $1 } }
  }

  /// `⟨a, b⟩`.
  public static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
  }

  /// `‖a‖₂`.
  public static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

  /// `a − b`.
  public static func subtract(_ a: [Double], _ b: [Double]) -> [Double] { zip(a, b).map { $0 - $1 } }

  /// Solves `a x = b` by Gaussian elimination with partial pivoting (`nil` if singular).
  public static func solve(_ a: Rows, _ b: [Double]) -> [Double]? {
    let n = a.count
    var m = a
    var x = b
    for k in 0..<n {
      var p = k
      for i in k..<n where Swift.abs(m[i][k]) > Swift.abs(m[p][k]) { p = i }
      if m[p][k] == 0 { return nil }
      m.swapAt(k, p)
      x.swapAt(k, p)
      for i in (k + 1)..<max(k + 1, n) {
        let l = m[i][k] / m[k][k]
        for j in k..<n { m[i][j] -= l * m[k][j] }
        x[i] -= l * x[k]
      }
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in (i + 1)..<max(i + 1, n) { x[i] -= m[i][j] * x[j] }
      x[i] /= m[i][i]
    }
    return x
  }

  /// `a⁻¹` column by column (`nil` if singular).
  public static func inverse(_ a: Rows) -> Rows? {
    let n = a.count
    var columns = Rows()
    for j in 0..<n {
      guard let c = solve(a, identity(n)[j]) else { return nil }
      columns.append(c)
    }
    return transpose(columns)
  }

  /// `max |a − b| / max |b|` (`∞` when a difference is NaN; the sizes must agree).
  public static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count, "relativeError: sizes \(a.count) and \(b.count)")
    var diff = 0.0, scale = 0.0
    for i in 0..<a.count {
      let d = Swift.abs(a[i] - b[i])
      diff = d.isNaN ? .infinity : max(diff, d)
      scale = max(scale, Swift.abs(b[i]))
    }
    return scale > 0 ? diff / scale : diff
  }

  /// The relative error over all entries of two matrices.
  public static func relativeError(_ a: Rows, _ b: Rows) -> Double {
    relativeError(a.flatMap { $0 }, b.flatMap { $0 })
  }

  /// A random matrix from a reproducible stream (`scale·N(0, 1)` entries).
  public static func randomRows(_ rows: Int, _ columns: Int, seed: UInt64, scale: Double = 1) -> Rows {
    var g = SeededGenerator(seed: seed)
    return (0..<rows).map { _ in (0..<columns).map { _ in scale * g.normal() } }
  }

  /// A random vector from a reproducible stream (`scale·N(0, 1)` entries).
  public static func randomVector(_ n: Int, seed: UInt64, scale: Double = 1) -> [Double] {
    var g = SeededGenerator(seed: seed)
    return (0..<n).map { _ in scale * g.normal() }
  }

  /// A well-conditioned non-symmetric matrix: `shift·I + scale·G/√n`.
  public static func nonSymmetric(_ n: Int, seed: UInt64, shift: Double = 4, scale: Double = 1) -> Rows {
    let g = randomRows(n, n, seed: seed, scale: scale / Double(n).squareRoot())
    return add(g, identity(n), scale: shift)
  }

  /// A symmetric positive-definite matrix `GᵀG/n + shift·I`.
  public static func spd(_ n: Int, seed: UInt64, shift: Double = 1) -> Rows {
    let g = randomRows(n, n, seed: seed)
    let gtg = matmul(transpose(g), g).map { $0.map { $0 / Double(n) } }
    return add(gtg, identity(n), scale: shift)
  }

  // The C library's scalar functions, not the library's differentiable ones.

  /// `eˣ`.
  public static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  /// `log x`.
  public static func log(_ x: Double) -> Double { Glibc.log(x) }
  /// `log(1 + x)`.
  public static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
  /// `∛x`.
  public static func cbrt(_ x: Double) -> Double { Glibc.cbrt(x) }
  /// `1 / (1 + e⁻ˣ)`.
  public static func sigmoid(_ x: Double) -> Double { 1 / (1 + Glibc.exp(-x)) }
}
