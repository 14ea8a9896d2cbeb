import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: projection-l1-ball")
func projectionL1BallExample() throws {
  var rng = SeededGenerator(seed: 11)
  let z = rng.normalVector(6)
  let r = 1.0
  // catalog-example: projection-l1-ball
  let ball = L1BallProjection()
  try ball.validate(z, r)  // r ≥ 0, finite
  let p = ball.project(z, r)  // sign(z) ⊙ max(|z| − τ, 0) with ‖p‖₁ = r (z outside the ball)
  let dpdz = ball.jacobian(at: z, r)  // diag(𝟙_S) − σσᵀ/|S|, 6 × 6
  let dpdr = ball.parameterJacobian(at: z, r)  // σ/|S|, 6 × 1
  let slope = gradient(at: r) { r in ball(z, r).squaredNorm() }  // d‖P(z, r)‖²/dr
  // end-catalog-example
  // Independent check: soft thresholding at the τ found by bisection on ‖p‖₁ = r, then central
  // differences of that reference.
  func reference(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    func shrink(_ τ: Double) -> [Double] { z.scalars.map { ($0 < 0 ? -1 : 1) * max(abs($0) - τ, 0) } }
    var lo = 0.0, hi = z.scalars.map(abs).max()!
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if shrink(mid).map(abs).reduce(0, +) > r { lo = mid } else { hi = mid }
    }
    return Vector(shrink(0.5 * (lo + hi)))
  }
  #expect(z.scalars.map(abs).reduce(0, +) > r)
  #expect(TestSupport.relativeError(p, reference(z, r)) < 1e-12)
  #expect(TestSupport.relativeError(dpdz, TestSupport.finiteDifferenceJacobian(at: z) { reference($0, r) }) < 1e-7)
  let h = 1e-6
  let dr = (reference(z, r + h) - reference(z, r - h)).scaled(by: 1 / (2 * h))
  #expect(TestSupport.relativeError(Vector(dpdr.scalars), dr) < 1e-7)
  #expect(abs(slope - 2 * p.dot(dr)) < 1e-7 * abs(slope))
}
