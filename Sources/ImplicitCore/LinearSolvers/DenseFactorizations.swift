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

  /// Solves `A x = b`. A `b` of the wrong length gives NaNs (never a trap, never a plausible vector).
  public func solve(_ b: [Double]) -> [Double] {
    let n = pivots.count, m = factors.scalars
    guard b.count == n else { return [Double](repeating: .nan, count: n) }
    var x = pivots.map { b[$0] }
    for i in 0..<n { for j in 0..<i { x[i] -= m[i * n + j] * x[j] } }
    for i in stride(from: n - 1, through: 0, by: -1) {
      for j in (i + 1)..<max(i + 1, n) { x[i] -= m[i * n + j] * x[j] }
      x[i] /= m[i * n + i]
    }
    return x
  }

  /// Solves `Aᵀ y = c` with the same factors (`Aᵀ = Uᵀ Lᵀ P`). A `c` of the wrong length gives NaNs.
  public func solveTransposed(_ c: [Double]) -> [Double] {
    let n = pivots.count, m = factors.scalars
    guard c.count == n else { return [Double](repeating: .nan, count: n) }
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

  /// Solves `A x = b` (`A` is symmetric, so this also solves `Aᵀ x = b`). A `b` of the wrong
  /// length gives NaNs (never a trap, never a plausible vector).
  public func solve(_ b: [Double]) -> [Double] {
    let n = lower.rows, l = lower.scalars
    guard b.count == n else { return [Double](repeating: .nan, count: n) }
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

/// Householder QR with column pivoting, completed to an orthogonal decomposition
/// `A P = Q [T 0; 0 0] Zᵀ` (`T` lower triangular, `r × r`, `r` the numerical rank).
///
/// For a non-singular `A` this is an ordinary QR solve. For a rank-deficient `A` it returns the
/// minimum-norm least-squares solution `A⁺b` (LAPACK's `gelsy`): the exact solution of minimum
/// norm when `b` is in the range, else the minimiser of `‖b − A x‖` of minimum norm.
public struct QRFactorization: Sendable {
  /// The dimension.
  public let dimension: Int
  /// The numerical rank: pivots `|Rᵢᵢ| > 10·n·ε·|R₁₁|`.
  public let rank: Int
  /// `rank < dimension`.
  public var isRankDeficient: Bool { rank < dimension }
  let q: HouseholderReflections  // A P = Q R
  let z: HouseholderReflections  // [R₁₁ R₁₂]ᵀ = Z [Tᵀ-factor]
  let t: [Double]  // r × r upper triangular U, row-major, with [R₁₁ R₁₂] = Uᵀ Zᵀ[0..<r]
  let permutation: [Int]  // column j of A P is column permutation[j] of A

  /// Factorises `a`; `nil` if it is not square or not finite.
  public init?(_ a: Matrix<Double>) {
    guard a.rows == a.columns, a.isFinite else { return nil }
    let n = a.rows
    // Column-major copy of A.
    var columns = (0..<n).map { j in (0..<n).map { i in a.scalars[i * n + j] } }
    let (q, r, permutation) = HouseholderReflections.factorize(&columns, rows: n, pivoting: true)
    let largest = r > 0 ? abs(columns[0][0]) : 0
    var rank = 0
    while rank < r && abs(columns[rank][rank]) > 10 * Double(n) * Double.ulpOfOne * largest { rank += 1 }
    // W = [R₁₁ R₁₂]ᵀ (n × rank), column-major: column i of W is row i of R.
    var w = (0..<rank).map { i in (0..<n).map { j in j >= i ? columns[j][i] : 0 } }
    let (z, _, _) = HouseholderReflections.factorize(&w, rows: n, pivoting: false)
    var t = [Double](repeating: 0, count: rank * rank)
    for j in 0..<rank { for i in 0...j { t[i * rank + j] = w[j][i] } }
    self.dimension = n
    self.rank = rank
    self.q = q
    self.z = z
    self.t = t
    self.permutation = permutation
  }

  /// Minimum-norm least-squares solution of `A x = b`: `x = P Z [U⁻ᵀ (Qᵀb)₁..r; 0]`. A `b` of
  /// the wrong length gives NaNs.
  public func solve(_ b: [Double]) -> [Double] {
    guard b.count == dimension else { return [Double](repeating: .nan, count: dimension) }
    let c = q.applyTransposed(b)
    var y = [Double](repeating: 0, count: dimension)
    for i in 0..<rank {  // Uᵀ y = c (forward substitution)
      var s = c[i]
      for k in 0..<i { s -= t[k * rank + i] * y[k] }
      y[i] = s / t[i * rank + i]
    }
    let v = z.apply(y)
    var x = [Double](repeating: 0, count: dimension)
    for j in 0..<dimension { x[permutation[j]] = v[j] }
    return x
  }

  /// Minimum-norm least-squares solution of `Aᵀ y = c`: `y = Q [U⁻¹ (Zᵀ Pᵀ c)₁..r; 0]`. A `c`
  /// of the wrong length gives NaNs.
  public func solveTransposed(_ c: [Double]) -> [Double] {
    guard c.count == dimension else { return [Double](repeating: .nan, count: dimension) }
    let d = z.applyTransposed(permutation.map { c[$0] })
    var w = [Double](repeating: 0, count: dimension)
    for i in stride(from: rank - 1, through: 0, by: -1) {  // U w = d (back substitution)
      var s = d[i]
      for k in (i + 1)..<rank { s -= t[i * rank + k] * w[k] }
      w[i] = s / t[i * rank + i]
    }
    return q.apply(w)
  }
}

/// A product of Householder reflections `H₀ H₁ ⋯` (`Hₖ = I − τₖ vₖ vₖᵀ`, `vₖ` zero above `k`).
struct HouseholderReflections: Sendable {
  var vectors: [[Double]]
  var scales: [Double]

  /// QR of the column-major `columns` (`rows × columns.count`), in place: on return the upper
  /// triangle of the first `min(rows, columns.count)` rows holds `R`. With `pivoting`, the
  /// column of largest remaining norm goes first (`A P = Q R`). Returns the reflections, the
  /// number of them and the column order.
  static func factorize(
    _ columns: inout [[Double]], rows m: Int, pivoting: Bool
  ) -> (HouseholderReflections, Int, [Int]) {
    let k = columns.count
    var order = Array(0..<k)
    var reflections = HouseholderReflections(vectors: [], scales: [])
    let steps = min(m, k)
    for step in 0..<steps {
      if pivoting {
        var best = step, bestNorm = -1.0
        for j in step..<k {
          var s = 0.0
          for i in step..<m { s += columns[j][i] * columns[j][i] }
          if s > bestNorm { (best, bestNorm) = (j, s) }
        }
        columns.swapAt(step, best)
        order.swapAt(step, best)
      }
      var norm = 0.0
      for i in step..<m { norm += columns[step][i] * columns[step][i] }
      norm = norm.squareRoot()
      var v = [Double](repeating: 0, count: m)
      var tau = 0.0
      if norm > 0 {
        let alpha = columns[step][step] > 0 ? -norm : norm
        v[step] = columns[step][step] - alpha
        for i in (step + 1)..<max(step + 1, m) { v[i] = columns[step][i] }
        let vv = v.reduce(0) { $0 + $1 * $1 }
        tau = vv > 0 ? 2 / vv : 0
        for j in step..<k {
          var s = 0.0
          for i in step..<m { s += v[i] * columns[j][i] }
          s *= tau
          for i in step..<m { columns[j][i] -= s * v[i] }
        }
      }
      reflections.vectors.append(v)
      reflections.scales.append(tau)
    }
    return (reflections, steps, order)
  }

  /// `Hₖ x`.
  func reflect(_ k: Int, _ x: inout [Double]) {
    let v = vectors[k], tau = scales[k]
    guard tau != 0 else { return }
    var s = 0.0
    for i in 0..<x.count { s += v[i] * x[i] }
    s *= tau
    for i in 0..<x.count { x[i] -= s * v[i] }
  }

  /// `(H₀ H₁ ⋯) x`.
  func apply(_ x: [Double]) -> [Double] {
    var y = x
    for k in stride(from: vectors.count - 1, through: 0, by: -1) { reflect(k, &y) }
    return y
  }

  /// `(H₀ H₁ ⋯)ᵀ x`.
  func applyTransposed(_ x: [Double]) -> [Double] {
    var y = x
    for k in 0..<vectors.count { reflect(k, &y) }
    return y
  }
}

/// Shared preparation of the dense solvers: materialise (``LinearOperator/matrix`` if given),
/// factorise once, and solve every right-hand side with the factors. A failed factorisation
/// yields NaN solutions — never a plausible vector — with its status.
func densePreparation<V: InnerProductSpace>(
  _ a: LinearOperator<V>, method: String, tolerance: LinearSolverTolerance,
  factorize: (Matrix<Double>) -> Result<DenseSolves, DenseSolveFailure>
) -> PreparedLinearSolver<V> {
  let matrix = a.materialized()
  // Residuals (of both systems) come from the matrix that was factorised.
  let op = LinearOperator(
    template: a.template, structure: a.structure, matrix: matrix,
    apply: { v in v.unflattened(matrix._matvec(Vector(v.flattened)).scalars) },
    applyTransposed: { v in v.unflattened(matrix._matvecTransposed(Vector(v.flattened)).scalars) })
  let outcome = matrix.isFinite ? factorize(matrix) : .failure(DenseSolveFailure(status: .nonFiniteInput))
  func run(_ b: V, _ solve: (DenseSolves) -> ([Double]) -> [Double]) -> RawLinearSolve<V> {
    switch outcome {
    case .success(let f): RawLinearSolve(b.unflattened(solve(f)(b.flattened)), .converged, iterations: 1)
    case .failure(let e):
      RawLinearSolve(b.unflattened(.init(repeating: .nan, count: b.dimension)), e.status, iterations: 1)
    }
  }
  return PreparedLinearSolver(
    linearOperator: op, method: method, tolerance: tolerance, isDirect: true,
    solve: { b, _ in run(b) { $0.solve } }, solveTransposed: { c, _ in run(c) { $0.solveTransposed } })
}

/// The two solves of a factorisation.
typealias DenseSolves = (solve: ([Double]) -> [Double], solveTransposed: ([Double]) -> [Double])

/// Why a dense factorisation failed.
struct DenseSolveFailure: Error {
  var status: LinearSolveStatus
}

/// Dense LU with partial pivoting of the materialised operator: any non-singular `A`.
public struct DenseLU: LinearSolver {
  /// What the true residual of each solve is judged against (`maxIterations` is unused).
  public var tolerance: LinearSolverTolerance

  /// Dense LU accepting a solve whose true residual is within 10× the tolerance.
  public init(relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0) {
    tolerance = LinearSolverTolerance(relative: relativeTolerance, absolute: absoluteTolerance)
  }

  /// Dense LU with the given acceptance rule.
  public init(tolerance: LinearSolverTolerance) { self.tolerance = tolerance }

  public var description: String { "dense-lu" }
  /// The dense matrix.
  public var products: OperatorProducts { .matrix }

  /// Materialises and factorises `A` once (the preconditioner is not needed).
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    densePreparation(a, method: description, tolerance: tolerance) { m in
      guard let lu = LUFactorization(m), !lu.isSingular else { return .failure(DenseSolveFailure(status: .singular)) }
      return .success((lu.solve, lu.solveTransposed))
    }
  }
}

/// Dense Cholesky of the materialised operator: `A` symmetric positive definite. A matrix that
/// is not symmetric is refused (Cholesky reads one triangle only).
public struct DenseCholesky: LinearSolver {
  /// What the true residual of each solve is judged against (`maxIterations` is unused).
  public var tolerance: LinearSolverTolerance

  /// Dense Cholesky accepting a solve whose true residual is within 10× the tolerance.
  public init(relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0) {
    tolerance = LinearSolverTolerance(relative: relativeTolerance, absolute: absoluteTolerance)
  }

  /// Dense Cholesky with the given acceptance rule.
  public init(tolerance: LinearSolverTolerance) { self.tolerance = tolerance }

  public var description: String { "dense-cholesky" }
  /// The dense matrix.
  public var products: OperatorProducts { .matrix }

  /// Materialises, checks symmetry and factorises `A` once.
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    densePreparation(a, method: description, tolerance: tolerance) { m in
      let asymmetry = (m - m.transposed()).flattenedVector().scalars.map { Swift.abs($0) }.max() ?? 0
      let scale = m.scalars.map { Swift.abs($0) }.max() ?? 0
      if asymmetry > 1e-10 * scale {
        return .failure(DenseSolveFailure(status: .breakdown("Cholesky needs a symmetric matrix")))
      }
      guard let c = CholeskyFactorization(m) else { return .failure(DenseSolveFailure(status: .notPositiveDefinite)) }
      return .success((c.solve, c.solve))
    }
  }
}

/// Dense QR with column pivoting of the materialised operator: robust for ill-conditioned `A`,
/// and the minimum-norm least-squares solution when `A` is rank-deficient (reported
/// `.converged` only when that solution meets the tolerance, i.e. the system is consistent).
public struct DenseQR: LinearSolver {
  /// What the true residual of each solve is judged against (`maxIterations` is unused).
  public var tolerance: LinearSolverTolerance

  /// Dense QR accepting a solve whose true residual is within 10× the tolerance.
  public init(relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0) {
    tolerance = LinearSolverTolerance(relative: relativeTolerance, absolute: absoluteTolerance)
  }

  /// Dense QR with the given acceptance rule.
  public init(tolerance: LinearSolverTolerance) { self.tolerance = tolerance }

  public var description: String { "dense-qr" }
  /// Yes: a rank-deficient `A` gets the minimum-norm least-squares solution, by request.
  public var acceptsSingularSystems: Bool { true }
  /// The dense matrix.
  public var products: OperatorProducts { .matrix }

  /// Materialises and factorises `A` once.
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    densePreparation(a, method: description, tolerance: tolerance) { m in
      guard let qr = QRFactorization(m) else { return .failure(DenseSolveFailure(status: .nonFiniteInput)) }
      return .success((qr.solve, qr.solveTransposed))
    }
  }
}
