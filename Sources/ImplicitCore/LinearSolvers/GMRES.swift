/// Restarted GMRES(m) with right preconditioning (`A M⁻¹ y = b`, `x = M⁻¹ y`), so the
/// minimised residual is the true one. Givens rotations keep the least-squares problem
/// triangular. A zero Krylov vector ("happy breakdown") means the solution is exact in the
/// current space; it is taken, and the true residual decides the status, so a restart length
/// at or above the dimension cannot end the solve with an unflagged wrong answer.
public struct GMRES: LinearSolver {
  /// Krylov dimension before a restart (clamped to the system's dimension).
  public var restart: Int
  /// Stopping rule and iteration budget.
  public var tolerance: LinearSolverTolerance

  /// GMRES stopping at `‖b − A x‖ ≤ max(relativeTolerance·‖b‖, absoluteTolerance)`.
  public init(
    restart: Int = 50, relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0, maxIterations: Int? = nil
  ) {
    self.restart = restart
    tolerance = LinearSolverTolerance(
      relative: relativeTolerance, absolute: absoluteTolerance, maxIterations: maxIterations)
  }

  /// GMRES with the given stopping rule.
  public init(restart: Int = 50, tolerance: LinearSolverTolerance) {
    self.restart = restart
    self.tolerance = tolerance
  }
  public var description: String { "gmres(\(restart))" }
  /// `A v` only (for the transposed system, `Aᵀ v`).
  public var products: OperatorProducts { .forward }

  /// No set-up: each solve iterates.
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    iterativePreparation(a, preconditioner, method: description, tolerance: tolerance, iterate)
  }

  func iterate<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, _ preconditioner: Preconditioner<V>?, _ initialGuess: V?
  ) -> RawLinearSolve<V> {
    let n = b.dimension
    let m = max(1, min(restart, n))
    let target = tolerance.target(rightHandSideNorm: b.norm)
    let budget = tolerance.budget(dimension: n)
    var x = initialGuess ?? b.zeroLike
    var iterations = 0
    var stagnantCycles = 0
    while true {
      var r = b
      r.addScaled(-1, a.apply(x))
      let beta = r.norm
      guard beta.isFinite else { return RawLinearSolve(x, .nonFiniteInput, iterations: iterations) }
      if beta <= target { return RawLinearSolve(x, .converged, iterations: iterations) }
      if iterations >= budget { return RawLinearSolve(x, .maxIterationsReached, iterations: iterations) }

      var basis = [r.scaled(by: 1 / beta)]
      var h = [[Double]]()  // h[j] is column j of the Hessenberg matrix (j + 2 entries)
      var cs = [Double](), sn = [Double]()
      var g = [beta]
      var k = 0
      var preconditioned = [V]()
      while k < m && iterations < budget {
        let zk = preconditioner?.apply(basis[k]) ?? basis[k]
        preconditioned.append(zk)
        var w = a.apply(zk)
        var column = [Double](repeating: 0, count: k + 2)
        for i in 0...k {  // modified Gram–Schmidt
          column[i] = w.innerProduct(with: basis[i])
          w.addScaled(-column[i], basis[i])
        }
        column[k + 1] = w.norm
        guard column.allSatisfy(\.isFinite) else { return RawLinearSolve(x, .nonFiniteInput, iterations: iterations) }
        for i in 0..<k {  // apply earlier rotations
          let t = cs[i] * column[i] + sn[i] * column[i + 1]
          column[i + 1] = -sn[i] * column[i] + cs[i] * column[i + 1]
          column[i] = t
        }
        let rho = (column[k] * column[k] + column[k + 1] * column[k + 1]).squareRoot()
        let c = rho == 0 ? 1 : column[k] / rho, s = rho == 0 ? 0 : column[k + 1] / rho
        let hNext = column[k + 1]
        cs.append(c)
        sn.append(s)
        column[k] = rho
        column[k + 1] = 0
        g.append(-s * g[k])
        g[k] = c * g[k]
        h.append(column)
        iterations += 1
        k += 1
        if abs(g[k]) <= target || hNext == 0 { break }
        basis.append(w.scaled(by: 1 / hNext))
      }
      // Back-substitution for the k coefficients.
      var yCoefficients = [Double](repeating: 0, count: k)
      for i in stride(from: k - 1, through: 0, by: -1) {
        var s = g[i]
        for j in (i + 1)..<k { s -= h[j][i] * yCoefficients[j] }
        guard h[i][i] != 0 else {
          return RawLinearSolve(x, .breakdown("singular Hessenberg matrix"), iterations: iterations)
        }
        yCoefficients[i] = s / h[i][i]
      }
      let before = beta
      for i in 0..<k { x.addScaled(yCoefficients[i], preconditioned[i]) }
      var rNew = b
      rNew.addScaled(-1, a.apply(x))
      let after = rNew.norm
      // A restart cycle that gains nothing will gain nothing next time either.
      stagnantCycles = after >= before * (1 - 1e-12) ? stagnantCycles + 1 : 0
      if stagnantCycles >= 2 {
        return RawLinearSolve(x, .breakdown("stagnated at residual \(after)"), iterations: iterations)
      }
    }
  }
}
