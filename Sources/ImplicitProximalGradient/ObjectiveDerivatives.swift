import ImplicitCore
import _Differentiation

// First and second derivatives of a `ParametricObjective` in `x` alone. Each differentiates a
// closure of its single argument that calls the protocol method — the safe form (a closure
// differentiated with respect to a subset of several arguments is not).

/// `f(x, θ)` and `∇ₓf(x, θ)`.
func objectiveValueAndGradient<Objective: ParametricObjective>(
  _ objective: Objective, _ x: Vector<Double>, _ θ: Vector<Double>
) -> (value: Double, gradient: Vector<Double>) {
  let (value, g) = valueWithGradient(at: x) { x in objective(x, θ) }
  return (value, g.isEmpty ? Vector.zeros(x.count) : g)
}

/// `∇ₓf(x, θ)`.
func objectiveGradient<Objective: ParametricObjective>(
  _ objective: Objective, _ x: Vector<Double>, _ θ: Vector<Double>
) -> Vector<Double> {
  let g = gradient(at: x) { x in objective(x, θ) }
  return g.isEmpty ? Vector.zeros(x.count) : g
}

/// `∇²ₓₓf(x, θ)·v`, exact: reverse mode in `x` over dual numbers.
func objectiveHessianProduct<Objective: ParametricObjective>(
  _ objective: Objective, _ x: Vector<Double>, _ θ: Vector<Double>, _ v: Vector<Double>
) -> Vector<Double> {
  if isZero(v) { return Vector.zeros(x.count) }
  let lx = Vector<Dual>(values: x, derivatives: v)
  let lθ = Vector<Dual>(converting: θ.scalars)
  let g = pullback(at: lx) { x in objective(x, lθ) }(Dual(1))
  return g.isEmpty ? Vector.zeros(x.count) : g.derivatives
}

/// An estimate of the largest eigenvalue of `∇²ₓₓf(x, θ)` by a few power iterations (a lower
/// bound on the Lipschitz constant of `∇ₓf` near `x`); `nil` if it is not positive and finite.
func estimatedCurvature<Objective: ParametricObjective>(
  _ objective: Objective, _ x: Vector<Double>, _ θ: Vector<Double>, iterations: Int = 20
) -> Double? {
  let n = x.count
  guard n > 0 else { return nil }
  var v = Vector((0..<n).map { 1 + 0.01 * Double($0 % 7) })
  v = v.scaled(by: 1 / v.norm)
  var estimate = 0.0
  for _ in 0..<iterations {
    let w = objectiveHessianProduct(objective, x, θ, v)
    let norm = w.norm
    guard norm > 0, norm.isFinite else { break }
    estimate = norm
    v = w.scaled(by: 1 / norm)
  }
  return estimate > 0 && estimate.isFinite ? estimate : nil
}

func isZero(_ v: Vector<Double>) -> Bool { v.scalars.allSatisfy { $0 == 0 } }
