extension LinearSolver {
  /// Preconditioned conjugate gradient for symmetric positive-definite `A`.
  ///
  /// A direction with `⟨p, A p⟩ ≤ 0` proves `A` is not SPD and ends the solve with
  /// `.notPositiveDefinite` instead of producing a meaningless iterate.
  func conjugateGradient<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, preconditioner: Preconditioner<V>?, initialGuess: V?
  ) -> (solution: V, status: LinearSolveStatus, iterations: Int) {
    let target = targetResidual(rightHandSideNorm: b.norm)
    let budget = iterationBudget(dimension: b.dimension)
    var x = initialGuess ?? b.zeroLike
    var r = b
    if initialGuess != nil { r.addScaled(-1, a.apply(x)) }
    var z = preconditioner?.apply(r) ?? r
    var p = z
    var rz = r.innerProduct(with: z)
    var iterations = 0
    while r.norm > target {
      if iterations >= budget { return (x, .maxIterationsReached, iterations) }
      let ap = a.apply(p)
      let curvature = p.innerProduct(with: ap)
      guard curvature.isFinite, rz.isFinite else { return (x, .nonFiniteInput, iterations) }
      guard curvature > 0 else { return (x, .notPositiveDefinite, iterations) }
      let alpha = rz / curvature
      x.addScaled(alpha, p)
      r.addScaled(-alpha, ap)
      z = preconditioner?.apply(r) ?? r
      let rzNext = r.innerProduct(with: z)
      guard rz != 0 else { return (x, .breakdown("⟨r, M⁻¹r⟩ = 0"), iterations) }
      let beta = rzNext / rz
      rz = rzNext
      var next = z
      next.addScaled(beta, p)
      p = next
      iterations += 1
    }
    return (x, .converged, iterations)
  }

  /// CG on the normal equations `AᵀA x = Aᵀb` (CGNR). Works for any non-singular `A` at the
  /// price of squaring its condition number; needs the transpose's action. A preconditioner
  /// `M ≈ A` is applied as `M⁻ᵀ … M⁻¹` on both sides (`(AM⁻¹)ᵀ(AM⁻¹) y = (AM⁻¹)ᵀ b`, `x = M⁻¹y`).
  func normalConjugateGradient<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, preconditioner: Preconditioner<V>?, initialGuess: V?
  ) -> (solution: V, status: LinearSolveStatus, iterations: Int) {
    guard let at = a.transposed?.apply else {
      return (b.zeroLike, .unsupported("normal-equation CG needs Aᵀ"), 0)
    }
    let m = preconditioner
    let applyAM: (V) -> V = { v in a.apply(m?.apply(v) ?? v) }
    let applyAMT: (V) -> V = { v in
      let w = at(v)
      return m?.applyTransposed(w) ?? w
    }
    let target = targetResidual(rightHandSideNorm: b.norm)
    let budget = iterationBudget(dimension: b.dimension)
    // Iterate on y with x = M⁻¹ y; the stopping test uses the true residual b − A x.
    var y = b.zeroLike
    var r = b  // b − A M⁻¹ y
    if let x0 = initialGuess, m == nil {
      y = x0
      r.addScaled(-1, a.apply(x0))
    }
    var s = applyAMT(r)
    var p = s
    var ss = s.innerProduct(with: s)
    var iterations = 0
    while r.norm > target {
      if iterations >= budget { return (m?.apply(y) ?? y, .maxIterationsReached, iterations) }
      let q = applyAM(p)
      let qq = q.innerProduct(with: q)
      guard qq.isFinite, ss.isFinite else { return (m?.apply(y) ?? y, .nonFiniteInput, iterations) }
      guard qq > 0 else { return (m?.apply(y) ?? y, .singular, iterations) }
      let alpha = ss / qq
      y.addScaled(alpha, p)
      r.addScaled(-alpha, q)
      s = applyAMT(r)
      let ssNext = s.innerProduct(with: s)
      let beta = ssNext / ss
      ss = ssNext
      var next = s
      next.addScaled(beta, p)
      p = next
      iterations += 1
      if ss == 0 && r.norm > target { return (m?.apply(y) ?? y, .singular, iterations) }
    }
    return (m?.apply(y) ?? y, .converged, iterations)
  }
}
