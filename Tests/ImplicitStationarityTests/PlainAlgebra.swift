import ImplicitCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reference algebra with plain loops over `[[Double]]` and `[Double]`, independent of the
/// library's kernels, AD and solvers: tests compare the library against these.
enum Plain {
  typealias Rows = [[Double]]

  static func rows(_ m: Matrix<Double>) -> Rows {
    (0..<m.rows).map { i in (0..<m.columns).map { j in m.scalars[i * m.columns + j] } }
  }

  static func matvec(_ a: Rows, _ x: [Double]) -> [Double] {
    a.map { row in
      var s = 0.0
      for j in 0..<x.count { s += row[j] * x[j] }
      return s
    }
  }

  static func transposedMatvec(_ a: Rows, _ y: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: a.first?.count ?? 0)
    for i in 0..<a.count { for j in 0..<out.count { out[j] += a[i][j] * y[i] } }
    return out
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
  }

  static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

  /// Gaussian elimination with partial pivoting; `nil` if singular.
  static func solve(_ a: Rows, _ b: [Double]) -> [Double]? {
    let n = b.count
    var m = a
    var r = b
    for k in 0..<n {
      var p = k
      for i in (k + 1)..<max(n, k + 1) where Swift.abs(m[i][k]) > Swift.abs(m[p][k]) { p = i }
      if m[p][k] == 0 { return nil }
      m.swapAt(k, p)
      r.swapAt(k, p)
      for i in (k + 1)..<max(n, k + 1) {
        let f = m[i][k] / m[k][k]
        for j in k..<n { m[i][j] -= f * m[k][j] }
        r[i] -= f * r[k]
      }
    }
    var x = [Double](repeating: 0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
      var s = r[i]
      for j in (i + 1)..<max(n, i + 1) { s -= m[i][j] * x[j] }
      x[i] = s / m[i][i]
    }
    return x
  }

  /// `max |a − b| / max |b|`.
  static func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let diff = zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0
    let scale = b.map { Swift.abs($0) }.max() ?? 0
    return scale > 0 ? diff / scale : diff
  }

  static func sigmoid(_ x: Double) -> Double { 1 / (1 + Glibc.exp(-x)) }
  static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  static func log(_ x: Double) -> Double { Glibc.log(x) }
  static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }

  /// Central-difference gradient of `f` at `x`, step `h·max(1, |xᵢ|)` per coordinate.
  static func gradient(at x: [Double], step h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    (0..<x.count).map { i in
      let step = h * max(1, Swift.abs(x[i]))
      var plus = x, minus = x
      plus[i] += step
      minus[i] -= step
      return (f(plus) - f(minus)) / (2 * step)
    }
  }

  /// Central difference of a vector map along `d`: `(f(x + h d) − f(x − h d)) / 2h`.
  static func directional(at x: [Double], along d: [Double], step h: Double = 1e-6, _ f: ([Double]) -> [Double]) -> [Double] {
    let plus = zip(x, d).map { $0 + h * $1 }
    let minus = zip(x, d).map { $0 - h * $1 }
    return zip(f(plus), f(minus)).map { ($0 - $1) / (2 * h) }
  }
}
