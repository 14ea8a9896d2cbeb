import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: projection-l2-ball")
func projectionL2BallExample() throws {
  var rng = SeededGenerator(seed: 10)
  let z = rng.normalVector(5)
  let r = 0.5 * z.norm()  // z lies outside the ball
  // catalog-example: projection-l2-ball
  let ball = L2BallProjection()
  try ball.validate(z, r)  // r ≥ 0, finite
  let p = ball.project(z, r)  // z·min(1, r/‖z‖)
  let dpdz = ball.jacobian(at: z, r)  // (r/‖z‖)(I − ẑẑᵀ) outside the ball, 5 × 5
  let dpdr = ball.parameterJacobian(at: z, r)  // ẑ, 5 × 1
  let slope = gradient(at: r) { r in ball(z, r).dot(z) }  // d⟨P(z, r), z⟩/dr, through the hand-written VJP
  // end-catalog-example
  // Independent check: the closed form P(z, r) = r·z/‖z‖, differentiated by central differences.
  func closedForm(_ z: Vector<Double>, _ r: Double) -> Vector<Double> { z.scaled(by: r / z.norm()) }
  #expect(TestSupport.relativeError(p, closedForm(z, r)) < 1e-15)
  #expect(TestSupport.relativeError(dpdz, TestSupport.finiteDifferenceJacobian(at: z) { closedForm($0, r) }) < 1e-8)
  let h = 1e-6
  let dr = (closedForm(z, r + h) - closedForm(z, r - h)).scaled(by: 1 / (2 * h))
  #expect(TestSupport.relativeError(Vector(dpdr.scalars), dr) < 1e-8)
  #expect(abs(slope - z.norm()) < 1e-12 * z.norm())
}
