import ImplicitCore

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
    let w = objective.gradientJVP(at: x, θ, along: v, Vector.zeros(θ.count))
    let norm = w.norm
    guard norm > 0, norm.isFinite else { break }
    estimate = norm
    v = w.scaled(by: 1 / norm)
  }
  return estimate > 0 && estimate.isFinite ? estimate : nil
}

func isZero(_ v: Vector<Double>) -> Bool { v.scalars.allSatisfy { $0 == 0 } }
