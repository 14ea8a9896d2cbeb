extension LinearSolver {
  /// BiCGSTAB (van der Vorst) with right preconditioning. Its two known breakdowns
  /// (`⟨r̂, r⟩ = 0`, `ω = 0`) end the solve with `.breakdown`, never with a silent iterate.
  func bicgstab<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, preconditioner: Preconditioner<V>?, initialGuess: V?
  ) -> (solution: V, status: LinearSolveStatus, iterations: Int) {
    let target = targetResidual(rightHandSideNorm: b.norm)
    let budget = iterationBudget(dimension: b.dimension)
    var x = initialGuess ?? b.zeroLike
    var r = b
    if initialGuess != nil { r.addScaled(-1, a.apply(x)) }
    let rHat = r
    var rho = 1.0, alpha = 1.0, omega = 1.0
    var v = b.zeroLike, p = b.zeroLike
    var iterations = 0
    while r.norm > target {
      if iterations >= budget { return (x, .maxIterationsReached, iterations) }
      let rhoNext = rHat.innerProduct(with: r)
      guard rhoNext.isFinite else { return (x, .nonFiniteInput, iterations) }
      guard rhoNext != 0 else { return (x, .breakdown("⟨r̂, r⟩ = 0"), iterations) }
      let beta = (rhoNext / rho) * (alpha / omega)
      rho = rhoNext
      var pNext = r  // p = r + β (p − ω v)
      var pv = p
      pv.addScaled(-omega, v)
      pNext.addScaled(beta, pv)
      p = pNext
      let pHat = preconditioner?.apply(p) ?? p
      v = a.apply(pHat)
      let rv = rHat.innerProduct(with: v)
      guard rv != 0, rv.isFinite else { return (x, .breakdown("⟨r̂, A p⟩ = 0"), iterations) }
      alpha = rho / rv
      var s = r
      s.addScaled(-alpha, v)
      x.addScaled(alpha, pHat)
      iterations += 1
      if s.norm <= target {
        r = s
        break
      }
      let sHat = preconditioner?.apply(s) ?? s
      let t = a.apply(sHat)
      let tt = t.innerProduct(with: t)
      guard tt > 0, tt.isFinite else { return (x, .breakdown("‖A s‖ = 0"), iterations) }
      omega = t.innerProduct(with: s) / tt
      guard omega != 0 else { return (x, .breakdown("ω = 0"), iterations) }
      x.addScaled(omega, sHat)
      r = s
      r.addScaled(-omega, t)
    }
    return (x, .converged, iterations)
  }
}
