/// An exact reformulation of the linear systems of a condition, `A w = r` and `Aᵀ q = r`, as one
/// symmetric positive-definite system `S y = c` (offered by
/// ``OptimalityCondition/symmetricReformulation(at:_:)``).
///
/// A non-symmetric `A` otherwise needs GMRES or normal-equation CG, which squares its condition
/// number; CG or a dense Cholesky factorisation of `S` does not. The core knows nothing about
/// where `S` comes from: only that
///
///     A w = r   ⇔   S y = system.rightHandSide(r),            w = system.lift(r, y)
///     Aᵀ q = r  ⇔   S y = transposedSystem.rightHandSide(r),  q = transposedSystem.lift(r, y)
///
/// hold exactly. The differentiator solves `S` with the solver resolved for an SPD operator (CG or
/// dense Cholesky under ``AutomaticLinearSolver``), recomputes the true residual of the original
/// system, and refines on `S` until that residual meets the tolerance; turn it off with
/// ``ImplicitOptions/reformulation``. Gradient-step conditions build it from the prox Jacobian
/// `D` and its pseudo-inverse: `A = D G − I` with `G` symmetric gives `S = D⁺ − PGP + (I − P)`,
/// `P = DD⁺`.
public struct SymmetricReformulation<Solution: InnerProductSpace> {
  /// How one system maps to `S y = c` and back.
  public struct Correspondence {
    /// `r ↦ c`, the right-hand side of `S y = c`.
    public var rightHandSide: (Solution) -> Solution
    /// `(r, y) ↦` the solution of the original system.
    public var lift: (Solution, Solution) -> Solution

    /// A correspondence from its two maps.
    public init(rightHandSide: @escaping (Solution) -> Solution, lift: @escaping (Solution, Solution) -> Solution) {
      self.rightHandSide = rightHandSide
      self.lift = lift
    }
  }

  /// `S`, symmetric positive definite (its structure is forced to ``LinearStructure/symmetricPositiveDefinite``).
  public var symmetricOperator: LinearOperator<Solution>
  /// `A w = r`.
  public var system: Correspondence
  /// `Aᵀ q = r`.
  public var transposedSystem: Correspondence

  /// A reformulation with `S` and the correspondences of `A` and `Aᵀ`.
  public init(
    _ symmetricOperator: LinearOperator<Solution>, system: Correspondence, transposedSystem: Correspondence
  ) {
    var s = symmetricOperator
    s.structure = .symmetricPositiveDefinite
    s.applyTransposed = nil
    self.symmetricOperator = s
    self.system = system
    self.transposedSystem = transposedSystem
  }

  /// A solver for `A` (and `Aᵀ`) that solves `S` with `inner` and lifts the result.
  ///
  /// `.converged` means the true residual of the original system meets `tolerance`: after the
  /// first solve the residual is recomputed, and while it is above the target the error on `S` is
  /// corrected by further solves (iterative refinement, at most ``maximumRefinements``), because
  /// a residual `e` on `S` becomes `D e` or `G D e` on `A`, which may be larger than `e`.
  func prepared(
    for a: LinearOperator<Solution>, inner: PreparedLinearSolver<Solution>, tolerance: LinearSolverTolerance
  ) -> PreparedLinearSolver<Solution> {
    let s = symmetricOperator
    let solve = { (c: Correspondence, r: Solution, apply: (Solution) -> Solution) -> RawLinearSolve<Solution> in
      let target = tolerance.target(rightHandSideNorm: r.norm)
      let rhs = c.rightHandSide(r)
      let first = inner.solve(rhs)
      var iterations = first.iterations
      var y = first.solution
      guard first.isConverged else { return RawLinearSolve(c.lift(r, y), first.status, iterations: iterations) }
      var refinements = 0
      while true {
        let w = c.lift(r, y)
        var residual = r
        residual.addScaled(-1, apply(w))
        let norm = residual.norm
        if norm <= target { return RawLinearSolve(w, .converged, iterations: iterations) }
        guard refinements < Self.maximumRefinements, norm.isFinite else {
          return RawLinearSolve(
            w, .breakdown("true residual \(norm) above \(target) after \(refinements) refinement(s) on S"),
            iterations: iterations)
        }
        var e = rhs
        e.addScaled(-1, s.apply(y))
        let correction = inner.solve(e)
        iterations += correction.iterations
        guard correction.isConverged else { return RawLinearSolve(w, correction.status, iterations: iterations) }
        y.addScaled(1, correction.solution)
        refinements += 1
      }
    }
    let at = a.transposed?.apply
    return PreparedLinearSolver(
      linearOperator: a, method: "\(inner.method) on the symmetric reformulation", tolerance: tolerance,
      isDirect: inner.isDirect,
      solve: { r, _ in solve(system, r, a.apply) },
      solveTransposed: { r, _ in
        guard let at else { return RawLinearSolve(r.zeroLike, .unsupported("Aᵀ is not available"), iterations: 0) }
        return solve(transposedSystem, r, at)
      })
  }

  /// The most corrections on `S` after the first solve (each costs one more solve).
  static var maximumRefinements: Int { 3 }
}

/// Whether the differentiator may solve a condition's systems through its
/// ``SymmetricReformulation`` (``ImplicitOptions/reformulation``).
public enum ReformulationChoice: Sendable, Hashable {
  /// Use the condition's symmetric reformulation when it offers one, no ``ImplicitOptions/ridge``
  /// is set, no preconditioner (which is one for `A`, not for `S`) is given, and the solver does
  /// not pick a particular solution of singular systems (``DenseQR``'s minimum norm is meant for `A`).
  case automatic
  /// Always solve with `A` itself.
  case none
}
