public import ImplicitCore

/// The outcome of ``ProximalGradientCondition/refined(_:_:maxSteps:maxDimension:)``.
public struct NewtonRefinement: Sendable {
  /// The refined point (the input itself when no step helped).
  public var solution: Vector<Double>
  /// `‖F(x, θ)‖` at the input.
  public var initialResidualNorm: Double
  /// `‖F(x, θ)‖` at ``solution``.
  public var residualNorm: Double
  /// Newton steps accepted.
  public var steps: Int
}

extension ProximalGradientCondition {
  /// Polishes an approximate root (say FISTA's) by semismooth Newton steps
  /// `x ← x − A⁻¹F(x, θ)`, with `A = D(I − ηH) − I` the condition's generalised Jacobian,
  /// materialised from its exact products and factorised densely.
  ///
  /// For a piecewise-affine `F` — a quadratic `f` with the lasso, elastic-net, non-negative or box
  /// prox — one step from a point whose prox input has the solution's active set lands on the
  /// root to rounding error: the direct solve on the detected support. A step is kept only if it
  /// lowers `‖F‖`, so the result is never worse than the input; the residual is reported either
  /// way for the caller to verify. Skipped (zero steps) above `maxDimension` or when `A` is
  /// singular.
  public func refined(
    _ x: Vector<Double>, _ θ: Vector<Double>, maxSteps: Int = 3, maxDimension: Int = 1000
  ) -> NewtonRefinement {
    var current = x
    var residual = self(x, θ)
    var residualNorm = residual.isFinite ? residual.norm : .infinity
    let initial = residualNorm
    var steps = 0
    let n = x.count
    while steps < maxSteps, residualNorm > 0, n <= maxDimension {
      var a = Matrix<Double>.zeros(rows: n, columns: n)
      for j in 0..<n {
        let column = solutionJacobianProduct(.basis(j, count: n), at: current, θ) ?? Vector.zeros(n)
        for i in 0..<n { a[i, j] = column[i] }
      }
      guard a.isFinite, let lu = LUFactorization(a), !lu.isSingular else { break }
      let candidate = current - Vector(lu.solve(residual.scalars))
      let candidateResidual = self(candidate, θ)
      let candidateNorm = candidateResidual.norm
      guard candidateResidual.isFinite, candidateNorm < residualNorm else { break }
      current = candidate
      residual = candidateResidual
      residualNorm = candidateNorm
      steps += 1
    }
    return NewtonRefinement(solution: current, initialResidualNorm: initial, residualNorm: residualNorm, steps: steps)
  }
}
