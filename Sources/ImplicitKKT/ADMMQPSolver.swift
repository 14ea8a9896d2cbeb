public import ImplicitCore

/// Solves a convex quadratic program `min ½xᵀQx + cᵀx s.t. Ex = d, Gx ≤ h` (`Q` positive
/// *semi*definite) with the ADMM iteration of OSQP (Stellato et al. 2020) on
/// `l ≤ Ax ≤ u`, `A = [E; G]`, followed by an active-set polish.
///
/// ADMM (step `ρ`, adapted to balance the primal and dual residuals; `ρ·10³` on equality rows;
/// `σ = 10⁻⁶`, over-relaxation `α = 1.6`; one Cholesky of `Q + σI + AᵀρA` per `ρ`) converges
/// slowly to high accuracy, so it is only asked for a moderate accuracy. Its iterate names an
/// active set (`λᵢ > h_i − (Ax)ᵢ`), on which the equality-constrained KKT system is solved
/// exactly; the result is accepted only if it is primal feasible, dual feasible and
/// complementary to within ``tolerance`` (see ``KKTResiduals``). If not, ADMM continues to a
/// tighter accuracy and polishes again.
///
/// Failures are typed: ``QuadraticProgramError/infeasible(solver:evidence:)`` and
/// ``QuadraticProgramError/unbounded(solver:evidence:)`` from OSQP's certificates (the
/// differences of successive iterates), ``QuadraticProgramError/notConvex(_:)`` when `Q` is
/// indefinite. The result's `residual` is the worst relative KKT residual
/// (``KKTResiduals/worst``) of the returned point: the polished solution when it converged,
/// otherwise the last rejected polish (or the raw ADMM iterate) with status
/// `.maxIterationsReached` or `.nonFinite`.
public struct ADMMQPSolver: QuadraticProgramSolver, Sendable {
  /// The largest relative KKT residual accepted (see ``KKTResiduals``).
  public var tolerance: Double
  /// The most ADMM iterations.
  public var maxIterations: Int
  /// The initial ADMM step `ρ` (adapted during the run).
  public var rho: Double

  /// A solver accepting relative KKT residuals up to `tolerance` after at most `maxIterations`
  /// ADMM iterations started with step `rho`.
  public init(tolerance: Double = 1e-10, maxIterations: Int = 100_000, rho: Double = 0.1) {
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.rho = rho
  }

  static let name = "ADMM (OSQP-style) + active-set polish"
  static let sigma = 1e-6, relaxation = 1.6, equalityRhoScale = 1e3
  static let checkInterval = 10, infeasibilityTolerance = 1e-5

  /// Solves `program`; see the type's documentation for what it throws and reports.
  public func solve(_ program: QuadraticProgram) throws -> SolverResult<QuadraticProgramSolution> {
    try program.validate()
    guard maxIterations > 0, rho > 0, tolerance > 0 else {
      throw ImplicitError.invalidArgument("ADMMQPSolver needs maxIterations > 0, rho > 0 and tolerance > 0")
    }
    let n = program.variableCount, p = program.equalityCount, m = program.inequalityCount, k = p + m
    let q = program.symmetrizedQ
    let qScale = max(1, q.map(abs).max() ?? 0)
    var shifted = q
    for i in 0..<n { shifted[i * n + i] += 1e-12 * qScale }
    guard CholeskyFactorization(Matrix(rows: n, columns: n, scalars: shifted)) != nil else {
      throw QuadraticProgramError.notConvex("½(Q + Qᵀ) is not positive semidefinite")
    }
    let rows = DenseQP.rows(of: program.E) + DenseQP.rows(of: program.G)
    let upper = program.d.scalars + program.h.scalars
    let lower = program.d.scalars + [Double](repeating: -.infinity, count: m)
    let c = program.c.scalars

    func times(_ v: [Double]) -> [Double] { rows.map { DenseQP.dot($0, v) } }
    func transposedTimes(_ w: [Double]) -> [Double] {
      var out = [Double](repeating: 0, count: n)
      for (i, row) in rows.enumerated() where w[i] != 0 { for j in 0..<n { out[j] += w[i] * row[j] } }
      return out
    }
    func qTimes(_ v: [Double]) -> [Double] { (0..<n).map { i in (0..<n).reduce(0.0) { $0 + q[i * n + $1] * v[$1] } } }
    func maxAbs(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }

    var rho = self.rho
    var rhos = [Double](), factor: CholeskyFactorization?
    func refactor() throws {
      rhos = (0..<k).map { $0 < p ? rho * Self.equalityRhoScale : rho }
      var kkt = q
      for i in 0..<n { kkt[i * n + i] += Self.sigma }
      for (r, row) in rows.enumerated() {
        for i in 0..<n where row[i] != 0 { for j in 0..<n { kkt[i * n + j] += rhos[r] * row[i] * row[j] } }
      }
      guard let f = CholeskyFactorization(Matrix(rows: n, columns: n, scalars: kkt)) else {
        throw QuadraticProgramError.notConvex("Q + σI + AᵀρA is not positive definite")
      }
      factor = f
    }
    try refactor()

    var x = [Double](repeating: 0, count: n), z = [Double](repeating: 0, count: k), y = z
    var admmTolerance = 1e-6
    var lastPolish: QuadraticProgramSolution?
    func result(
      _ solution: QuadraticProgramSolution, _ status: SolverStatus, _ iterations: Int
    ) -> SolverResult<QuadraticProgramSolution> {
      SolverResult(
        solution: solution, status: status, iterations: iterations, residual: solution.residuals.worst,
        tolerance: tolerance, solver: Self.name)
    }
    // The raw ADMM iterate (multipliers y split into ν and λ), for a run that stops short.
    func iterate() -> QuadraticProgramSolution {
      let point = KKTSolution(
        primal: Vector(x), equality: Vector(Array(y[0..<p])), inequality: Vector(Array(y[p..<k])))
      return QuadraticProgramSolution(
        program: program, point: point, activeSet: (0..<m).filter { y[p + $0] > upper[p + $0] - z[p + $0] })
    }
    var certificateStreak = (infeasible: 0, unbounded: 0)
    for iteration in 1...maxIterations {
      let previousX = x, previousY = y
      var rhs = transposedTimes((0..<k).map { rhos[$0] * z[$0] - y[$0] })
      for i in 0..<n { rhs[i] += Self.sigma * x[i] - c[i] }
      let xTilde = factor!.solve(rhs)
      let zTilde = times(xTilde)
      let alpha = Self.relaxation
      for i in 0..<n { x[i] = alpha * xTilde[i] + (1 - alpha) * x[i] }
      for i in 0..<k {
        let relaxed = alpha * zTilde[i] + (1 - alpha) * z[i]
        let projected = min(max(relaxed + y[i] / rhos[i], lower[i]), upper[i])
        y[i] += rhos[i] * (relaxed - projected)
        z[i] = projected
      }
      guard iteration % Self.checkInterval == 0 else { continue }
      guard x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else {
        return result(iterate(), .nonFinite, iteration)
      }

      let ax = times(x), qx = qTimes(x), aty = transposedTimes(y)
      let primalResidual = maxAbs(zip(ax, z).map { $0 - $1 })
      let dualResidual = maxAbs((0..<n).map { qx[$0] + c[$0] + aty[$0] })
      let primalScale = max(maxAbs(ax), maxAbs(z)), dualScale = max(maxAbs(qx), maxAbs(aty), maxAbs(c))
      if primalResidual <= admmTolerance * (1 + primalScale) && dualResidual <= admmTolerance * (1 + dualScale) {
        let active = (0..<m).filter { y[p + $0] > upper[p + $0] - z[p + $0] }
        switch ActiveSetPolish.polish(program, symmetrizedQ: q, active: active, tolerance: tolerance) {
        case .solved(let solution): return result(solution, .converged, iteration)
        case .rejected(let solution): lastPolish = solution
        case .singular:
          // At full accuracy the active set is right: its KKT matrix itself is singular.
          if admmTolerance <= 1e-13 { throw QuadraticProgramError.singularKKTSystem(activeInequalities: active) }
        }
        admmTolerance = max(admmTolerance * 1e-2, 1e-14)
      }

      // Infeasibility certificates (OSQP §3.4), required on two consecutive checks.
      let dy = (0..<k).map { $0 < p ? y[$0] - previousY[$0] : max(y[$0] - previousY[$0], 0) }
      let dyNorm = maxAbs(dy)
      if dyNorm > 1e-8 * max(1, maxAbs(y)), maxAbs(transposedTimes(dy)) <= Self.infeasibilityTolerance * dyNorm,
        DenseQP.dot(upper, dy) <= -Self.infeasibilityTolerance * dyNorm
      {
        certificateStreak.infeasible += 1
        if certificateStreak.infeasible >= 2 {
          throw QuadraticProgramError.infeasible(
            solver: Self.name, evidence: "certificate y with Aᵀy ≈ 0, y_G ≥ 0, dᵀy_E + hᵀy_G < 0")
        }
      } else {
        certificateStreak.infeasible = 0
      }
      let dx = (0..<n).map { x[$0] - previousX[$0] }
      let dxNorm = maxAbs(dx)
      let adx = times(dx)
      if dxNorm > 1e-8 * max(1, maxAbs(x)), maxAbs(qTimes(dx)) <= Self.infeasibilityTolerance * dxNorm,
        DenseQP.dot(c, dx) <= -Self.infeasibilityTolerance * dxNorm,
        (0..<k).allSatisfy({
          $0 < p
            ? abs(adx[$0]) <= Self.infeasibilityTolerance * dxNorm : adx[$0] <= Self.infeasibilityTolerance * dxNorm
        })
      {
        certificateStreak.unbounded += 1
        if certificateStreak.unbounded >= 2 {
          throw QuadraticProgramError.unbounded(
            solver: Self.name, evidence: "direction δx with Qδx ≈ 0, cᵀδx < 0, Eδx ≈ 0, Gδx ≤ 0")
        }
      } else {
        certificateStreak.unbounded = 0
      }

      // Adapt ρ to balance the relative residuals (OSQP §5.2).
      if iteration % (5 * Self.checkInterval) == 0 {
        let ratio = ((primalResidual / max(primalScale, 1e-30)) / max(dualResidual / max(dualScale, 1e-30), 1e-30))
          .squareRoot()
        if ratio > 5 || ratio < 0.2 {
          rho = min(max(rho * ratio, 1e-6), 1e6)
          try refactor()
        }
      }
    }
    return result(lastPolish ?? iterate(), .maxIterationsReached, maxIterations)
  }
}
