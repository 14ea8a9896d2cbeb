/// LU factorisation with partial pivoting, `P A = L U`, of a square matrix.
///
/// Factorise once, then solve `A x = b` and `Aᵀ y = c` for as many right-hand sides as needed:
/// full Jacobians and VJP/JVP pairs reuse one factorisation.
public struct LUFactorization: Sendable {
  /// `L` (unit lower, below the diagonal) and `U` (on and above), row-major.
  public let factors: Matrix<Double>
  /// Row `i` of `P A` is row `pivots[i]` of `A`.
  public let pivots: [Int]
  /// Whether a pivot was zero (or negligible against the matrix's scale).
  public let isSingular: Bool
  /// A cheap estimate of the reciprocal condition number: `min |Uᵢᵢ| / max |Uᵢᵢ|`.
  public let reciprocalPivotRatio: Double

  /// Factorises `a`; `nil` if it is not square.
  public init?(_ a: Matrix<Double>) {
    guard a.rows == a.columns else { return nil }
    let n = a.rows
    var m = a.scalars
    var perm = Array(0..<n)
    let scale = m.reduce(0) { max($0, abs($1)) }
    var singular = false
    for k in 0..<n {
      var p = k
      var best = abs(m[k * n + k])
      for i in (k + 1)..<max(k + 1, n) where abs(m[i * n + k]) > best {
        best = abs(m[i * n + k])
        p = i
      }
      if best <= Double(n) * Double.ulpOfOne * scale || !best.isFinite {
        singular = true
        continue
      }
      if p != k {
        for j in 0..<n { m.swapAt(k * n + j, p * n + j) }
        perm.swapAt(k, p)
      }
      let pivot = m[k * n + k]
      for i in (k + 1)..<max(k + 1, n) {
        let l = m[i * n + k] / pivot
        m[i * n + k] = l
        if l != 0 { for j in (k + 1)..<n { m[i * n + j] -= l * m[k * n + j] } }
      }
    }
    let diagonal = (0..<n).map { abs(m[$0 * n + $0]) }
    factors = Matrix(rows: n, columns: n, scalars: m)
    pivots = perm
    isSingular = singular
    reciprocalPivotRatio = (diagonal.min() ?? 0) / max(diagonal.max() ?? 1, .leastNormalMagnitude)
  }

  /// Solves `A x = b`.
  public func solve(_ b: [Double]) -> [Double] {
    let n = pivots.count, m = factors.scalars
    var x = pivots.map { b[$0] }
    for i in 0..<n { for j in 0..<i { x[i] -= m[i * n + j] * x[j] } }
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in (i + 1)..<max(i + 1, n) { x[i] -= m[i * n + j] * x[j] }
      x[i] /= m[i * n + i]
    }
    return x
  }

  /// Solves `Aᵀ y = c` with the same factors (`Aᵀ = Uᵀ Lᵀ P`).
  public func solveTransposed(_ c: [Double]) -> [Double] {
    let n = pivots.count, m = factors.scalars
    var z = c
    for i in 0..<n {  // Uᵀ z = c
      for j in 0..<i { z[i] -= m[j * n + i] * z[j] }
      z[i] /= m[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {  // Lᵀ w = z
      for j in (i + 1)..<max(i + 1, n) { z[i] -= m[j * n + i] * z[j] }
    }
    var y = [Double](repeating: 0, count: n)
    for i in 0..<n { y[pivots[i]] = z[i] }
    return y
  }
}

/// Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite matrix.
public struct CholeskyFactorization: Sendable {
  /// `L`, row-major (upper part zero).
  public let lower: Matrix<Double>

  /// Factorises `a`; `nil` if it is not square or not (numerically) positive definite.
  public init?(_ a: Matrix<Double>) {
    guard a.rows == a.columns else { return nil }
    let n = a.rows
    var l = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
      var d = a.scalars[j * n + j]
      for k in 0..<j { d -= l[j * n + k] * l[j * n + k] }
      guard d > 0, d.isFinite else { return nil }
      let ljj = d.squareRoot()
      l[j * n + j] = ljj
      for i in (j + 1)..<max(j + 1, n) {
        var s = a.scalars[i * n + j]
        for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
        l[i * n + j] = s / ljj
      }
    }
    lower = Matrix(rows: n, columns: n, scalars: l)
  }

  /// Solves `A x = b` (`A` is symmetric, so this also solves `Aᵀ x = b`).
  public func solve(_ b: [Double]) -> [Double] {
    let n = lower.rows, l = lower.scalars
    var x = b
    for i in 0..<n {
      for k in 0..<i { x[i] -= l[i * n + k] * x[k] }
      x[i] /= l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
      for k in (i + 1)..<max(i + 1, n) { x[i] -= l[k * n + i] * x[k] }
      x[i] /= l[i * n + i]
    }
    return x
  }
}

/// Householder QR factorisation `A = Q R` of a square matrix.
public struct QRFactorization: Sendable {
  /// Householder vectors below the diagonal and `R` on and above it, row-major.
  let packed: [Double]
  let householderScales: [Double]
  /// The dimension.
  public let dimension: Int
  /// Whether some `|Rᵢᵢ|` is negligible against the largest.
  public let isRankDeficient: Bool

  /// Factorises `a`; `nil` if it is not square.
  public init?(_ a: Matrix<Double>) {
    guard a.rows == a.columns else { return nil }
    let n = a.rows
    var m = a.scalars
    var taus = [Double](repeating: 0, count: n)
    for k in 0..<n {
      var norm = 0.0
      for i in k..<n { norm += m[i * n + k] * m[i * n + k] }
      norm = norm.squareRoot()
      if norm == 0 { continue }
      let alpha = m[k * n + k] > 0 ? -norm : norm
      let v0 = m[k * n + k] - alpha
      // v = (1, m[k+1..n, k] / v0), tau = −v0 / alpha
      for i in (k + 1)..<max(k + 1, n) { m[i * n + k] /= v0 }
      let tau = -v0 / alpha
      taus[k] = tau
      m[k * n + k] = alpha
      for j in (k + 1)..<max(k + 1, n) {
        var s = m[k * n + j]
        for i in (k + 1)..<n { s += m[i * n + k] * m[i * n + j] }
        s *= tau
        m[k * n + j] -= s
        for i in (k + 1)..<n { m[i * n + j] -= s * m[i * n + k] }
      }
    }
    let diagonal = (0..<n).map { abs(m[$0 * n + $0]) }
    let largest = diagonal.max() ?? 0
    packed = m
    householderScales = taus
    dimension = n
    isRankDeficient = diagonal.contains { $0 <= Double(n) * Double.ulpOfOne * largest || !$0.isFinite }
  }

  /// `Qᵀ b`.
  func applyQTransposed(_ b: [Double]) -> [Double] {
    let n = dimension
    var y = b
    for k in 0..<n where householderScales[k] != 0 {
      var s = y[k]
      for i in (k + 1)..<n { s += packed[i * n + k] * y[i] }
      s *= householderScales[k]
      y[k] -= s
      for i in (k + 1)..<n { y[i] -= s * packed[i * n + k] }
    }
    return y
  }

  /// `Q b`.
  func applyQ(_ b: [Double]) -> [Double] {
    let n = dimension
    var y = b
    for k in stride(from: n - 1, through: 0, by: -1) where householderScales[k] != 0 {
      var s = y[k]
      for i in (k + 1)..<n { s += packed[i * n + k] * y[i] }
      s *= householderScales[k]
      y[k] -= s
      for i in (k + 1)..<n { y[i] -= s * packed[i * n + k] }
    }
    return y
  }

  /// Solves `A x = b` (`R x = Qᵀ b`).
  public func solve(_ b: [Double]) -> [Double] {
    let n = dimension
    var x = applyQTransposed(b)
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in (i + 1)..<max(i + 1, n) { x[i] -= packed[i * n + j] * x[j] }
      x[i] /= packed[i * n + i]
    }
    return x
  }

  /// Solves `Aᵀ y = c` (`Rᵀ z = c`, `y = Q z`).
  public func solveTransposed(_ c: [Double]) -> [Double] {
    let n = dimension
    var z = c
    for i in 0..<n {
      for j in 0..<i { z[i] -= packed[j * n + i] * z[j] }
      z[i] /= packed[i * n + i]
    }
    return applyQ(z)
  }
}

/// A dense factorisation of any of the three kinds, solving plain and transposed systems.
public enum DenseFactorization: Sendable {
  case lu(LUFactorization)
  case cholesky(CholeskyFactorization)
  case qr(QRFactorization)

  /// Factorises `a` with `method` (`.denseLU`, `.denseCholesky` or `.denseQR`).
  /// Returns the failure status when the matrix is singular or (for Cholesky) not SPD.
  public static func factorize(
    _ a: Matrix<Double>, method: LinearSolverMethod
  ) -> Result<DenseFactorization, DenseFactorizationError> {
    switch method {
    case .denseCholesky:
      guard let c = CholeskyFactorization(a) else { return .failure(.init(status: .notPositiveDefinite)) }
      return .success(.cholesky(c))
    case .denseQR:
      guard let q = QRFactorization(a), !q.isRankDeficient else { return .failure(.init(status: .singular)) }
      return .success(.qr(q))
    default:
      guard let lu = LUFactorization(a), !lu.isSingular else { return .failure(.init(status: .singular)) }
      return .success(.lu(lu))
    }
  }

  /// Solves `A x = b`.
  public func solve(_ b: [Double]) -> [Double] {
    switch self {
    case .lu(let f): f.solve(b)
    case .cholesky(let f): f.solve(b)
    case .qr(let f): f.solve(b)
    }
  }

  /// Solves `Aᵀ y = c`.
  public func solveTransposed(_ c: [Double]) -> [Double] {
    switch self {
    case .lu(let f): f.solveTransposed(c)
    case .cholesky(let f): f.solve(c)
    case .qr(let f): f.solveTransposed(c)
    }
  }
}

/// Why a dense factorisation failed.
public struct DenseFactorizationError: Error, Sendable {
  public var status: LinearSolveStatus
}

extension LinearSolver {
  /// Materialises the operator, factorises it and solves once.
  func denseSolve<V: InnerProductSpace>(
    _ method: LinearSolverMethod, _ a: LinearOperator<V>, _ b: V
  ) -> (solution: V, status: LinearSolveStatus, iterations: Int) {
    let matrix = a.materialized()
    guard matrix.isFinite else { return (b.zeroLike, .nonFiniteInput, 1) }
    switch DenseFactorization.factorize(matrix, method: method) {
    case .failure(let error): return (b.zeroLike, error.status, 1)
    case .success(let f): return (b.unflattened(f.solve(b.flattened)), .converged, 1)
    }
  }
}
