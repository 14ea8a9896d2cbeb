/// Preconditioned conjugate gradient for symmetric positive-definite `A`.
///
/// A direction with `⟨p, A p⟩ ≤ 0` proves `A` is not SPD and ends the solve with
/// `.notPositiveDefinite` instead of producing a meaningless iterate. A residual that stops
/// falling (no 1% gain over `max(50, n)` iterations — e.g. a singular `A` and a right-hand side
/// outside its range) ends it with `.breakdown("stagnated …")`.
public struct ConjugateGradient: IterativeLinearSolver {
  /// Stopping rule and iteration budget.
  public var tolerance: LinearSolverTolerance

  /// Conjugate gradient with the given stopping rule.
  public init(tolerance: LinearSolverTolerance) { self.tolerance = tolerance }

  public var description: String { "cg" }
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
    let target = tolerance.target(rightHandSideNorm: b.norm)
    let budget = tolerance.budget(dimension: b.dimension)
    var x = initialGuess ?? b.zeroLike
    var r = b
    if initialGuess != nil { r.addScaled(-1, a.apply(x)) }
    var z = preconditioner?.apply(r) ?? r
    var p = z
    var rz = r.innerProduct(with: z)
    var iterations = 0
    var best = r.norm, lastGain = 0
    let window = max(50, b.dimension)
    while r.norm > target {
      if iterations >= budget { return RawLinearSolve(x, .maxIterationsReached, iterations: iterations) }
      if r.norm < 0.99 * best {
        best = r.norm
        lastGain = iterations
      } else if iterations - lastGain >= window {
        return RawLinearSolve(x, .breakdown("stagnated at residual \(r.norm)"), iterations: iterations)
      }
      let ap = a.apply(p)
      let curvature = p.innerProduct(with: ap)
      guard curvature.isFinite, rz.isFinite else { return RawLinearSolve(x, .nonFiniteInput, iterations: iterations) }
      guard curvature > 0 else { return RawLinearSolve(x, .notPositiveDefinite, iterations: iterations) }
      let alpha = rz / curvature
      x.addScaled(alpha, p)
      r.addScaled(-alpha, ap)
      z = preconditioner?.apply(r) ?? r
      let rzNext = r.innerProduct(with: z)
      guard rz != 0 else { return RawLinearSolve(x, .breakdown("⟨r, M⁻¹r⟩ = 0"), iterations: iterations) }
      let beta = rzNext / rz
      rz = rzNext
      var next = z
      next.addScaled(beta, p)
      p = next
      iterations += 1
    }
    return RawLinearSolve(x, .converged, iterations: iterations)
  }
}

/// CG on the normal equations `AᵀA x = Aᵀb` (CGNR). Works for any non-singular `A` at the
/// price of squaring its condition number; needs the transpose's action. A preconditioner
/// `M ≈ A` is applied as `M⁻ᵀ … M⁻¹` on both sides (`(AM⁻¹)ᵀ(AM⁻¹) y = (AM⁻¹)ᵀ b`, `x = M⁻¹y`).
public struct NormalConjugateGradient: IterativeLinearSolver {
  /// Stopping rule and iteration budget.
  public var tolerance: LinearSolverTolerance

  /// Normal-equation CG with the given stopping rule.
  public init(tolerance: LinearSolverTolerance) { self.tolerance = tolerance }

  public var description: String { "normal-cg" }
  /// Both `A v` and `Aᵀ v`.
  public var products: OperatorProducts { [.forward, .transposed] }

  /// No set-up: each solve iterates.
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    iterativePreparation(a, preconditioner, method: description, tolerance: tolerance, iterate)
  }

  func iterate<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, _ preconditioner: Preconditioner<V>?, _ initialGuess: V?
  ) -> RawLinearSolve<V> {
    guard let at = a.transposed?.apply else {
      return RawLinearSolve(b.zeroLike, .unsupported("normal-equation CG needs Aᵀ"), iterations: 0)
    }
    let m = preconditioner
    let applyAM: (V) -> V = { v in a.apply(m?.apply(v) ?? v) }
    let applyAMT: (V) -> V = { v in
      let w = at(v)
      return m?.applyTransposed(w) ?? w
    }
    let target = tolerance.target(rightHandSideNorm: b.norm)
    let budget = tolerance.budget(dimension: b.dimension)
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
      if iterations >= budget { return RawLinearSolve(m?.apply(y) ?? y, .maxIterationsReached, iterations: iterations) }
      let q = applyAM(p)
      let qq = q.innerProduct(with: q)
      guard qq.isFinite, ss.isFinite else {
        return RawLinearSolve(m?.apply(y) ?? y, .nonFiniteInput, iterations: iterations)
      }
      guard qq > 0 else { return RawLinearSolve(m?.apply(y) ?? y, .singular, iterations: iterations) }
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
      if ss == 0 && r.norm > target { return RawLinearSolve(m?.apply(y) ?? y, .singular, iterations: iterations) }
    }
    return RawLinearSolve(m?.apply(y) ?? y, .converged, iterations: iterations)
  }
}
