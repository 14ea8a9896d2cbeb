public import ImplicitCore

/// Solves a strictly convex quadratic program `min ½xᵀQx + cᵀx s.t. Ex = d, Gx ≤ h` exactly
/// (up to rounding) with the dual active-set method of Goldfarb and Idnani (1983), the method of
/// `quadprog`, followed by an active-set polish.
///
/// The method starts from the unconstrained minimiser `−Q⁻¹c`, adds the equality constraints,
/// then repeatedly adds the most violated inequality, dropping constraints whose multiplier
/// would turn negative. Every iterate is dual feasible (`λ ≥ 0`), so it ends at the optimum in
/// finitely many steps, with the multipliers; a violated constraint that can be neither
/// satisfied nor traded for an active one proves the problem **infeasible**
/// (``QuadraticProgramError/infeasible(solver:evidence:)``). It keeps `J = L⁻ᵀQ_R`
/// (`Q = LLᵀ`, `L⁻¹N = Q_R R`) updated by Givens rotations, so each step costs `O(n²)`.
///
/// The final active set is then polished (the equality-constrained KKT system of the active
/// constraints solved by LU with iterative refinement), unless ``polish`` is `false`. The result's `residual` is the worst
/// relative KKT residual (``KKTResiduals/worst``); the status is `.converged` only if it is
/// within ``tolerance``, `.maxIterationsReached` when the active-set budget runs out.
///
/// Requirements: `½(Q + Qᵀ)` positive definite (else ``QuadraticProgramError/notConvex(_:)``;
/// use ``ADMMQPSolver`` for a semidefinite `Q`), and linearly independent equality constraints.
public struct ActiveSetQPSolver: QuadraticProgramSolver, Sendable {
  /// The largest relative KKT residual accepted (see ``KKTResiduals``).
  public var tolerance: Double
  /// The most active-set changes allowed (default `10·(n + p + m) + 50`).
  public var maxIterations: Int?
  /// Whether to polish the final active set (default `true`). Without, the method's own iterate is
  /// returned (still verified against ``tolerance``), with its factors `J`, `R`, which
  /// ``QuadraticProgramLayer``'s backward pass uses for an `O(n²)` solve — no LU at all.
  public var polish: Bool

  /// A solver accepting relative KKT residuals up to `tolerance`.
  public init(tolerance: Double = 1e-10, maxIterations: Int? = nil, polish: Bool = true) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.polish = polish
  }

  static let name = "active-set (Goldfarb–Idnani)"

  /// Solves `program`; see the type's documentation for what it throws and reports.
  public func solve(_ program: QuadraticProgram) throws -> SolverResult<QuadraticProgramSolution> {
    try program.validate()
    let n = program.variableCount, p = program.equalityCount, m = program.inequalityCount
    let q = program.symmetrizedQ
    guard let cholesky = DenseQP.positiveDefiniteCholesky(q, n: n) else {
      throw QuadraticProgramError.notConvex(
        "the active-set method needs ½(Q + Qᵀ) positive definite (use the ADMM solver for a semidefinite Q)")
    }
    var state = GoldfarbIdnani(cholesky: cholesky, c: program.c.scalars)
    let budget = maxIterations ?? 10 * (n + p + m) + 50
    let eRows = DenseQP.rows(of: program.E), gRows = DenseQP.rows(of: program.G)
    let gNorms = gRows.map(DenseQP.norm)
    var iterations = 0

    // Equality constraints first (they are never dropped), then the most violated inequality.
    var nextEquality = 0
    var exhausted = false
    while true {
      let normal: [Double], bound: Double, index: Int
      if nextEquality < p {
        index = nextEquality
        normal = eRows[index]
        bound = program.d[index]
        nextEquality += 1
      } else {
        var best: (index: Int, score: Double)?
        for k in 0..<m where !state.active.contains(p + k) {
          let gx = DenseQP.dot(gRows[k], state.x)
          let violation = gx - program.h[k]
          let scale = max(
            1, abs(program.h[k]), gRows[k].enumerated().reduce(0) { $0 + abs($1.element * state.x[$1.offset]) })
          guard violation > 1e-12 * scale, gNorms[k] > 0 else { continue }
          let score = violation / gNorms[k]
          if best == nil || score > best!.score { best = (k, score) }
        }
        guard let chosen = best else { break }
        index = p + chosen.index
        // Gx ≤ h in the method's form nᵀx ≥ b: n = −G_k, b = −h_k.
        normal = gRows[chosen.index].map { -$0 }
        bound = -program.h[chosen.index]
      }
      guard
        try state.add(
          constraint: index, normal: normal, bound: bound, isEquality: index < p, equalityCount: p,
          iterations: &iterations, budget: budget)
      else {
        exhausted = true
        break
      }
    }

    // Multipliers in the sign convention L = f + νᵀ(Ex − d) + λᵀ(Gx − h).
    var ν = [Double](repeating: 0, count: p), λ = [Double](repeating: 0, count: m)
    for (position, index) in state.active.enumerated() {
      if index < p { ν[index] = -state.signs[position] * state.u[position] } else { λ[index - p] = state.u[position] }
    }
    let active = state.active.filter { $0 >= p }.map { $0 - p }.sorted()
    func result(_ solution: QuadraticProgramSolution, _ status: SolverStatus) -> SolverResult<QuadraticProgramSolution>
    {
      SolverResult(
        solution: solution, status: status, iterations: iterations, residual: solution.residuals.worst,
        tolerance: tolerance, solver: Self.name)
    }
    // The method's own iterate, verified like a polished one.
    let iterate = QuadraticProgramSolution(
      program: program, point: KKTSolution(primal: Vector(state.x), equality: Vector(ν), inequality: Vector(λ)),
      activeSet: active)
    if exhausted { return result(iterate, .maxIterationsReached) }
    if !polish {
      var solution = iterate
      solution.activeSetFactors = .goldfarbIdnani(
        GoldfarbIdnaniFactors(state: state, symmetrizedQ: q, equalityRows: eRows, inequalityRows: gRows))
      return result(solution, qpStatus(iterate.residuals.worst, tolerance: tolerance))
    }
    switch ActiveSetPolish.polish(program, symmetrizedQ: q, active: active, tolerance: tolerance) {
    case .solved(let solution): return result(solution, .converged)
    case .singular, .rejected: return result(iterate, qpStatus(iterate.residuals.worst, tolerance: tolerance))
    }
  }
}

/// The factors of the Goldfarb–Idnani method at its final active set, which solve the equality-QP
/// KKT system of that set, `[Q C_ᵀ; C 0](u, y) = (v, 0)` with `C = [E; G_active]` (active rows
/// ascending), in `O(n²)`: with `Q = J⁻ᵀJ⁻¹`, `J₁ᵀN = R` and `J₂ᵀN = 0` for the active normals `N`,
/// `u = J₂J₂ᵀv` and `N μ = Cᵀy` with `μ = R⁻¹J₁ᵀv`.
struct GoldfarbIdnaniFactors {
  let n: Int
  let j: [Double]
  let r: [Double]
  /// Active constraints in the method's order, and `σ` with `nₜ = σₜ·(row of C)`.
  let active: [Int]
  let orientation: [Double]
  let equalityCount: Int
  /// What the factors were computed for (compared exactly before they are used for a program).
  let symmetrizedQ: [Double]
  let rows: [[Double]]

  init(state: GoldfarbIdnani, symmetrizedQ: [Double], equalityRows: [[Double]], inequalityRows: [[Double]]) {
    let p = equalityRows.count
    (n, j, r, active, equalityCount) = (state.n, state.j, state.r, state.active, p)
    // Equalities were added as ±E_i (their sign), inequalities as −G_k.
    orientation = zip(state.active, state.signs).map { index, sign in index < p ? sign : -1 }
    self.symmetrizedQ = symmetrizedQ
    rows = equalityRows + state.active.filter { $0 >= p }.sorted().map { inequalityRows[$0 - p] }
  }

  /// `(u, y)`, `y` ordered like ``rows``; `nil` when `R` has a zero pivot.
  func solve(_ v: [Double]) -> (x: [Double], y: [Double])? {
    let q = active.count
    var a = [Double](repeating: 0, count: n), u = [Double](repeating: 0, count: n)
    var μ = [Double](repeating: 0, count: q)
    j.withUnsafeBufferPointer { j in
      for i in 0..<n {
        let vi = v[i]
        for col in 0..<n { a[col] += j[i * n + col] * vi }
      }
      for i in 0..<n {
        var s = 0.0
        for col in q..<n { s += j[i * n + col] * a[col] }
        u[i] = s
      }
    }
    for i in stride(from: q - 1, through: 0, by: -1) {
      var s = a[i]
      for k in (i + 1)..<q { s -= r[i * n + k] * μ[k] }
      μ[i] = s / r[i * n + i]
    }
    // y in the order of `rows`: the equalities by index, then the active inequalities ascending.
    let inequalities = active.filter { $0 >= equalityCount }.sorted()
    var y = [Double](repeating: 0, count: equalityCount + inequalities.count)
    for (t, index) in active.enumerated() {
      let position =
        index < equalityCount ? index : equalityCount + inequalities.firstIndex(of: index)!
      y[position] = orientation[t] * μ[t]
    }
    guard u.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else { return nil }
    return (u, y)
  }
}

/// The state of the Goldfarb–Idnani method, in its own constraint form `nᵢᵀx ≥ bᵢ` (equalities
/// `nᵢᵀx = bᵢ`) with `Qx + c = Σ uᵢ nᵢ` over the active set.
struct GoldfarbIdnani {
  let n: Int
  /// `J`, row-major `n × n`: `JᵀQJ = I`, and its first `q` columns span the active normals.
  var j: [Double]
  /// `R`, row-major `n × n`, upper triangular in its leading `q × q` block: `J₁ᵀN = R`.
  var r: [Double]
  var x: [Double]
  /// Active constraints (indices as given to ``add``), their multipliers `u ≥ 0` (free for
  /// equalities) and the orientation `±1` an equality was added with.
  var active: [Int] = []
  var u: [Double] = []
  var signs: [Double] = []
  var equalities: [Bool] = []

  var q: Int { active.count }

  init(cholesky: CholeskyFactorization, c: [Double]) {
    let n = c.count
    self.n = n
    let l = cholesky.lower.scalars
    // J = L⁻ᵀ, column by column from Lᵀ J = I (back substitution). J is upper triangular: column
    // `column` is zero below its diagonal, so the substitution starts there.
    var j = [Double](repeating: 0, count: n * n)
    l.withUnsafeBufferPointer { l in
      j.withUnsafeMutableBufferPointer { j in
        for column in 0..<n {
          for i in stride(from: column, through: 0, by: -1) {
            var s = i == column ? 1.0 : 0.0
            for k in (i + 1)..<max(i + 1, column + 1) { s -= l[k * n + i] * j[k * n + column] }
            j[i * n + column] = s / l[i * n + i]
          }
        }
      }
    }
    self.j = j
    r = [Double](repeating: 0, count: n * n)
    // x = −Q⁻¹c = −J Jᵀ c.
    let jtc = (0..<n).map { col in (0..<n).reduce(0.0) { $0 + j[$1 * n + col] * c[$1] } }
    x = (0..<n).map { i in -(0..<n).reduce(0.0) { $0 + j[i * n + $1] * jtc[$1] } }
  }

  /// Adds constraint `index` (`normalᵀx ≥ bound`, or `=` for an equality), dropping active
  /// inequalities as needed; throws if the problem is infeasible. Returns `false` (leaving the
  /// state as it is) when `iterations` would exceed `budget`.
  mutating func add(
    constraint index: Int, normal: [Double], bound: Double, isEquality: Bool, equalityCount: Int,
    iterations: inout Int, budget: Int
  ) throws -> Bool {
    var normal = normal, bound = bound, sign = 1.0
    if isEquality && DenseQP.dot(normal, x) - bound > 0 {
      // Approach an equality from its violated side: use −nᵀx ≥ −b.
      normal = normal.map { -$0 }
      bound = -bound
      sign = -1
    }
    var uPlus = u + [0]
    while true {
      guard iterations < budget else {
        // Keep the multipliers in step with the constraints dropped so far.
        u = Array(uPlus.dropLast())
        return false
      }
      iterations += 1
      let q = self.q
      // d = Jᵀn⁺; primal step z = J₂d₂; dual step −r with R r = d₁.
      var d = [Double](repeating: 0, count: n)
      var z = [Double](repeating: 0, count: n)
      // The hot loops of the method (about a quarter of a QP layer's time): row by row over `J`
      // without bounds checks; each sum runs over the same index order as a column-wise loop.
      j.withUnsafeBufferPointer { j in
        normal.withUnsafeBufferPointer { normal in
          d.withUnsafeMutableBufferPointer { d in
            for i in 0..<n {
              let a = normal[i]
              for col in 0..<n { d[col] += j[i * n + col] * a }
            }
          }
        }
        d.withUnsafeBufferPointer { d in
          z.withUnsafeMutableBufferPointer { z in
            for i in 0..<n { for col in q..<n { z[i] += j[i * n + col] * d[col] } }
          }
        }
      }
      var step = [Double](repeating: 0, count: q)
      for i in stride(from: q - 1, through: 0, by: -1) {
        var s = d[i]
        for k in (i + 1)..<q { s -= r[i * n + k] * step[k] }
        step[i] = s / r[i * n + i]
      }
      // Partial step: the first active inequality whose multiplier reaches zero.
      var partial = Double.infinity, blocking = -1
      for k in 0..<q where !equalities[k] && step[k] > 0 {
        let t = uPlus[k] / step[k]
        if t < partial {
          partial = t
          blocking = k
        }
      }
      // Full step: the one that makes the new constraint hold with equality.
      let tail = (q..<n).reduce(0.0) { $0 + d[$1] * d[$1] }, total = d.reduce(0.0) { $0 + $1 * $1 }
      let slack = DenseQP.dot(normal, x) - bound
      let full = tail > 1e-22 * total ? -slack / tail : Double.infinity

      if partial.isInfinite && full.isInfinite {
        if isEquality {
          throw abs(slack) <= 1e-12 * max(1, abs(bound))
            ? QuadraticProgramError.linearlyDependentConstraints(
              "equality constraint \(index) is a combination of the preceding ones")
            : QuadraticProgramError.infeasible(
              solver: ActiveSetQPSolver.name,
              evidence: "equality constraint \(index) contradicts the preceding ones")
        }
        throw QuadraticProgramError.infeasible(
          solver: ActiveSetQPSolver.name,
          evidence: "inequality \(index - equalityCount) cannot be satisfied together with the active constraints")
      }
      if full.isInfinite {
        // Step in the dual only, then drop the blocking constraint.
        for k in 0..<q { uPlus[k] -= partial * step[k] }
        uPlus[q] += partial
        drop(at: blocking, multipliers: &uPlus)
        continue
      }
      let t = min(partial, full)
      for i in 0..<n { x[i] += t * z[i] }
      for k in 0..<q { uPlus[k] -= t * step[k] }
      uPlus[q] += t
      if full <= partial {
        append(index: index, d: d, isEquality: isEquality, sign: sign)
        u = uPlus
        return true
      }
      drop(at: blocking, multipliers: &uPlus)
    }
  }

  /// Appends a constraint with `d = Jᵀn`: rotates `d₂` onto its first entry (and `J` alike),
  /// and makes `d₁` the new column of `R`.
  mutating func append(index: Int, d: [Double], isEquality: Bool, sign: Double) {
    var d = d
    let q = self.q
    for col in stride(from: n - 1, to: q, by: -1) where d[col] != 0 {
      let (c, s, norm) = Self.rotation(d[col - 1], d[col])
      d[col - 1] = norm
      d[col] = 0
      rotateColumnsOfJ(col - 1, col, c, s)
    }
    for i in 0...q { r[i * n + q] = d[i] }
    active.append(index)
    signs.append(sign)
    equalities.append(isEquality)
  }

  /// Removes the active constraint at `position`: deletes its column of `R` and restores the
  /// triangular form with Givens rotations of rows (and of the matching columns of `J`).
  mutating func drop(at position: Int, multipliers: inout [Double]) {
    let q = self.q
    for col in position..<(q - 1) { for i in 0..<q { r[i * n + col] = r[i * n + col + 1] } }
    for i in 0..<q { r[i * n + q - 1] = 0 }
    for l in position..<max(position, q - 1) where r[(l + 1) * n + l] != 0 {
      let (c, s, norm) = Self.rotation(r[l * n + l], r[(l + 1) * n + l])
      r[l * n + l] = norm
      r[(l + 1) * n + l] = 0
      for col in (l + 1)..<max(l + 1, q - 1) {
        let a = r[l * n + col], b = r[(l + 1) * n + col]
        r[l * n + col] = c * a + s * b
        r[(l + 1) * n + col] = -s * a + c * b
      }
      rotateColumnsOfJ(l, l + 1, c, s)
    }
    active.remove(at: position)
    signs.remove(at: position)
    equalities.remove(at: position)
    multipliers.remove(at: position)
  }

  mutating func rotateColumnsOfJ(_ a: Int, _ b: Int, _ c: Double, _ s: Double) {
    let n = self.n
    j.withUnsafeMutableBufferPointer { j in
      for i in 0..<n {
        let ja = j[i * n + a], jb = j[i * n + b]
        j[i * n + a] = c * ja + s * jb
        j[i * n + b] = -s * ja + c * jb
      }
    }
  }

  /// `(c, s, ρ)` with `[c s; −s c]·(a, b) = (ρ, 0)`.
  static func rotation(_ a: Double, _ b: Double) -> (Double, Double, Double) {
    let norm = DenseQP.hypot(a, b)
    return norm == 0 ? (1, 0, 0) : (a / norm, b / norm, norm)
  }
}
