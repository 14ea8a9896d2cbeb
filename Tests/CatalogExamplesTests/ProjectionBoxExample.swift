import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Test("catalogue example: projection-box")
func projectionBoxExample() throws {
  var rng = SeededGenerator(seed: 9)
  let z = rng.normalVector(6)
  let dz = rng.normalVector(6), dl = rng.normalVector(6), du = rng.normalVector(6)
  // catalog-example: projection-box
  let box = BoxProjection()
  let bounds = BoxBounds(lower: Vector(repeating: -0.5, count: 6), upper: Vector(repeating: 0.5, count: 6))
  try box.validate(z, bounds)  // sizes, lower ≤ upper
  let p = box.project(z, bounds)  // clip(z, lower, upper)
  let dp = box.jvp(at: z, bounds, dz, BoxBounds(lower: dl, upper: du))  // ∂P/∂z·dz + ∂P/∂(l, u)·(dl, du)
  let (zBar, boundsBar) = box.vjp(at: z, bounds, p)  // ∇ of ½‖P‖² w.r.t. z and the bounds
  // end-catalog-example
  // Independent check: central differences of the clip along (dz, dl, du), and of ½‖P‖².
  func clip(_ t: Double) -> Vector<Double> {
    Vector((0..<6).map { i in min(max(z[i] + t * dz[i], -0.5 + t * dl[i]), 0.5 + t * du[i]) })
  }
  let h = 1e-6
  #expect(TestSupport.relativeError(dp, (clip(h) - clip(-h)).scaled(by: 1 / (2 * h))) < 1e-8)
  #expect(TestSupport.relativeError(p, clip(0)) == 0)
  func energy(_ w: Vector<Double>) -> Double {
    let zw = w.slice(from: 0, count: 6), l = w.slice(from: 6, count: 6), u = w.slice(from: 12, count: 6)
    return 0.5 * Vector((0..<6).map { min(max(zw[$0], l[$0]), u[$0]) }).squaredNorm()
  }
  let w = Vector(z.scalars + bounds.lower.scalars + bounds.upper.scalars)
  let fd = FiniteDifferences.gradient(at: w, energy)
  #expect(TestSupport.relativeError(zBar.scalars + boundsBar.lower.scalars + boundsBar.upper.scalars, fd) < 1e-8)
}
