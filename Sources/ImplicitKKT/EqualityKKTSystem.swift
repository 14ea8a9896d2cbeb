import ImplicitCore

/// The KKT system of `min ½xᵀQx + cᵀx s.t. Ax = b` (the equality-constrained QP that both the
/// equality-QP solver and the active-set polish reduce to):
///
///     [ Q  Aᵀ ] [x]   [−c]
///     [ A  0  ] [y] = [ b]
///
/// solved by dense LU with partial pivoting and two steps of iterative refinement, so that `x`
/// and `y` are accurate to near machine precision when the matrix is well conditioned.
/// The multipliers `y` follow the Lagrangian `½xᵀQx + cᵀx + yᵀ(Ax − b)`.
struct EqualityKKTSystem {
  /// `Q` (`n × n`, row-major; symmetric).
  let q: [Double]
  let n: Int
  /// The rows of `A`.
  let rows: [[Double]]

  /// `(x, y)`, or `nil` when the KKT matrix is numerically singular.
  func solve(c: [Double], b: [Double]) -> (x: [Double], y: [Double])? { factorized()?.solve(c: c, b: b) }

  /// The LU factorisation of the KKT matrix, or `nil` when it is numerically singular.
  func factorized() -> Factorized? {
    let k = rows.count, size = n + k
    var kkt = [Double](repeating: 0, count: size * size)
    for i in 0..<n { for j in 0..<n { kkt[i * size + j] = q[i * n + j] } }
    for (r, row) in rows.enumerated() {
      for j in 0..<n {
        kkt[(n + r) * size + j] = row[j]
        kkt[j * size + n + r] = row[j]
      }
    }
    let matrix = Matrix(rows: size, columns: size, scalars: kkt)
    guard let lu = LUFactorization(matrix), !lu.isSingular else { return nil }
    return Factorized(system: self, kkt: kkt, lu: lu)
  }

  /// The factorised KKT matrix, for as many solves as needed: the active-set polish keeps it in
  /// its solution, and the QP layer's backward pass solves with it again (the same matrix).
  struct Factorized {
    /// The system that was factorised.
    let system: EqualityKKTSystem
    /// The KKT matrix, row-major (for the residuals of iterative refinement).
    let kkt: [Double]
    let lu: LUFactorization

    /// `(x, y)` with `[Q Aᵀ; A 0](x, y) = (−c, b)`, or `nil` when the result is not finite.
    func solve(c: [Double], b: [Double]) -> (x: [Double], y: [Double])? {
      let n = system.n, size = n + system.rows.count
      let rhs = c.map { -$0 } + b
      var solution = lu.solve(rhs)
      for _ in 0..<2 {
        let residual = (0..<size).map { i -> Double in
          var s = rhs[i]
          for j in 0..<size { s -= kkt[i * size + j] * solution[j] }
          return s
        }
        let correction = lu.solve(residual)
        for i in 0..<size { solution[i] += correction[i] }
      }
      guard solution.allSatisfy(\.isFinite) else { return nil }
      return (Array(solution[0..<n]), Array(solution[n...]))
    }
  }
}

/// Dense helpers shared by the solvers.
enum DenseQP {
  /// Row `i` of a row-major matrix.
  static func rows(of a: Matrix<Double>) -> [[Double]] {
    (0..<a.rows).map { Array(a.scalars[($0 * a.columns)..<(($0 + 1) * a.columns)]) }
  }

  static func dot(_ a: [Double], _ b: [Double]) -> Double {
    var s = 0.0
    for i in 0..<a.count { s += a[i] * b[i] }
    return s
  }

  static func norm(_ a: [Double]) -> Double { dot(a, a).squareRoot() }

  /// `√(a² + b²)` without overflow.
  static func hypot(_ a: Double, _ b: Double) -> Double {
    let x = abs(a), y = abs(b)
    let big = max(x, y), small = min(x, y)
    if big == 0 { return 0 }
    let r = small / big
    return big * (1 + r * r).squareRoot()
  }

  /// An orthonormal basis of the null space of the matrix with the given rows (`n` columns), by
  /// modified Gram–Schmidt with reorthogonalisation; also the rank of the rows.
  static func nullSpace(of rows: [[Double]], columns n: Int) -> (basis: [[Double]], rank: Int) {
    var range = [[Double]]()
    func orthogonalized(_ v: [Double]) -> [Double] {
      var w = v
      for _ in 0..<2 {
        for u in range {
          let projection = dot(u, w)
          for i in 0..<n { w[i] -= projection * u[i] }
        }
      }
      return w
    }
    for row in rows {
      let scale = norm(row)
      guard scale > 0 else { continue }
      let w = orthogonalized(row)
      let remaining = norm(w)
      if remaining > 1e-10 * scale { range.append(w.map { $0 / remaining }) }
    }
    let rank = range.count
    var basis = [[Double]]()
    for j in 0..<n where range.count < n {
      var e = [Double](repeating: 0, count: n)
      e[j] = 1
      let w = orthogonalized(e)
      let remaining = norm(w)
      if remaining > 1e-6 {
        let u = w.map { $0 / remaining }
        range.append(u)
        basis.append(u)
      }
    }
    return (basis, rank)
  }

  /// Whether the symmetric `q` (row-major `n × n`) is positive definite on the span of the
  /// orthonormal `basis`, by Cholesky of `Zᵀ q Z` (see ``positiveDefiniteCholesky(_:n:)``).
  static func isPositiveDefinite(_ q: [Double], n: Int, on basis: [[Double]]) -> Bool {
    let k = basis.count
    if k == 0 { return true }
    let qz = basis.map { z in (0..<n).map { i in (0..<n).reduce(0.0) { $0 + q[i * n + $1] * z[$1] } } }
    var reduced = [Double](repeating: 0, count: k * k)
    for a in 0..<k { for b in 0..<k { reduced[a * k + b] = dot(basis[a], qz[b]) } }
    return positiveDefiniteCholesky(reduced, n: k) != nil
  }

  /// The Cholesky factorisation of the symmetric `q` (row-major `n × n`) if it is positive
  /// definite with every squared pivot above `10⁻¹³` of the largest diagonal entry, so that a
  /// numerically singular matrix counts as not positive definite.
  static func positiveDefiniteCholesky(_ q: [Double], n: Int) -> CholeskyFactorization? {
    let scale = (0..<n).map { abs(q[$0 * n + $0]) }.max() ?? 0
    guard scale > 0, let cholesky = CholeskyFactorization(Matrix(rows: n, columns: n, scalars: q)) else { return nil }
    let pivotsLarge = (0..<n).allSatisfy {
      let pivot = cholesky.lower.scalars[$0 * n + $0]
      return pivot * pivot > 1e-13 * scale
    }
    return pivotsLarge ? cholesky : nil
  }

  /// The indices of a maximal linearly independent subset of `candidates`, taken greedily in
  /// order, of rows independent of `fixed` as well.
  static func independentRows(_ candidates: [[Double]], after fixed: [[Double]], columns n: Int) -> [Int] {
    var basis = [[Double]]()
    func reduce(_ v: [Double]) -> Double {
      var w = v
      for _ in 0..<2 {
        for u in basis {
          let projection = dot(u, w)
          for i in 0..<n { w[i] -= projection * u[i] }
        }
      }
      let remaining = norm(w), scale = norm(v)
      guard scale > 0, remaining > 1e-10 * scale else { return 0 }
      basis.append(w.map { $0 / remaining })
      return remaining
    }
    for row in fixed { _ = reduce(row) }
    return candidates.indices.filter { reduce(candidates[$0]) > 0 }
  }
}
