import ImplicitCore

/// An accepted step of a line search.
struct LineSearchStep {
  var x: Vector<Double>
  var value: Double
  var gradient: Vector<Double>
  var step: Double
}

/// Backtracking (Armijo) line search along a descent `direction`: halves the step from
/// `initialStep` until `f(x + αd) ≤ f(x) + 10⁻⁴·α·⟨∇f, d⟩`.
///
/// Near a minimiser the decrease a step achieves falls below the rounding error of `f` itself,
/// and the Armijo test fails for every step although the step is good. So a step is also
/// accepted when `f` stays within rounding (`10ε·max(1, |f|)`) and `‖∇f‖` decreases: that is what
/// lets Newton and L-BFGS reach gradients near machine precision. Returns `nil` when no step is
/// accepted (or `d` is not a descent direction).
func backtrackingLineSearch<Objective: ParametricObjective>(
  _ objective: Objective, _ θ: Vector<Double>, from x: Vector<Double>, value: Double, gradient: Vector<Double>,
  along direction: Vector<Double>, initialStep: Double = 1, maxHalvings: Int = 60
) -> LineSearchStep? {
  let slope = gradient.innerProduct(with: direction)
  guard slope < 0, slope.isFinite else { return nil }
  let gradientNorm = gradient.norm
  let rounding = 10 * Double.ulpOfOne * max(1, Swift.abs(value))
  var alpha = initialStep
  for _ in 0..<maxHalvings {
    var candidate = x
    candidate.addScaled(alpha, direction)
    let (v, g) = objective.valueWithSolutionGradient(at: candidate, θ)
    if v.isFinite && g.isFinite {
      if v <= value + 1e-4 * alpha * slope || (v <= value + rounding && g.norm < gradientNorm) {
        return LineSearchStep(x: candidate, value: v, gradient: g, step: alpha)
      }
    }
    alpha *= 0.5
  }
  return nil
}
