extension LinearSolver {
  /// Restarted GMRES(m) with right preconditioning (`A M⁻¹ y = b`, `x = M⁻¹ y`), so the
  /// minimised residual is the true one. Givens rotations keep the least-squares problem
  /// triangular. A zero Krylov vector ("happy breakdown") means the solution is exact in the
  /// current space; it is taken, and the true residual decides the status, so a restart length
  /// at or above the dimension cannot end the solve with an unflagged wrong answer.
  func gmres<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, restart: Int, preconditioner: Preconditioner<V>?, initialGuess: V?
  ) -> (solution: V, status: LinearSolveStatus, iterations: Int) {
    let n = b.dimension
    let m = max(1, min(restart, n))
    let target = targetResidual(rightHandSideNorm: b.norm)
    let budget = iterationBudget(dimension: n)
    var x = initialGuess ?? b.zeroLike
    var iterations = 0
    var stagnantCycles = 0
    while true {
      var r = b
      r.addScaled(-1, a.apply(x))
      let beta = r.norm
      guard beta.isFinite else { return (x, .nonFiniteInput, iterations) }
      if beta <= target { return (x, .converged, iterations) }
      if iterations >= budget { return (x, .maxIterationsReached, iterations) }

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
        guard column.allSatisfy(\.isFinite) else { return (x, .nonFiniteInput, iterations) }
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
        guard h[i][i] != 0 else { return (x, .breakdown("singular Hessenberg matrix"), iterations) }
        yCoefficients[i] = s / h[i][i]
      }
      let before = beta
      for i in 0..<k { x.addScaled(yCoefficients[i], preconditioned[i]) }
      var rNew = b
      rNew.addScaled(-1, a.apply(x))
      let after = rNew.norm
      // A restart cycle that gains nothing will gain nothing next time either.
      stagnantCycles = after >= before * (1 - 1e-12) ? stagnantCycles + 1 : 0
      if stagnantCycles >= 2 { return (x, .breakdown("stagnated at residual \(after)"), iterations) }
    }
  }
}
