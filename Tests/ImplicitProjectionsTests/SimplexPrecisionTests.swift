import ImplicitCore
import ImplicitProjections
import Testing

/// `Σp = s` to a few ulps of `s` for the simplex, l1-sphere, l1-ball and sparse-simplex
/// projections, also when `s` is tiny next to `|z|` (issue 10, item 5). Before the threshold was
/// computed relative to `max z`, `s = 1e-12` with `z ~ N(0, 1)` gave `Σp = s` only to ~1e-4
/// relative, and to nothing at all with `z ~ 1e6·N(0, 1)` (`pᵢ = zᵢ − τ` rounded to a multiple
/// of `ulp(1e6) ≈ 1e-10`).
@Suite("Simplex threshold precision")
struct SimplexPrecisionTests {
  static let radii = [1e-12, 1e-8, 1.0, 1e6]
  static let scales = [1.0, 1e6]

  /// `Σv` with a compensated sum, so that the check measures the projection, not the check.
  static func accurateSum(_ v: [Double]) -> Double {
    var sum = 0.0, compensation = 0.0
    for x in v {
      let t = sum + x
      compensation += abs(sum) >= abs(x) ? (sum - t) + x : (x - t) + sum
      sum = t
    }
    return sum + compensation
  }

  static func points() -> [Vector<Double>] {
    var rng = SeededGenerator(seed: 101)
    return scales.flatMap { scale in (0..<4).map { _ in rng.normalVector(40, scale: scale) } }
  }

  @Test(arguments: radii) func simplexSumsToTheValue(_ s: Double) {
    for z in Self.points() {
      let p = SimplexProjection().project(z, s)
      #expect(p.scalars.allSatisfy { $0 >= 0 })
      let error = abs(Self.accurateSum(p.scalars) - s) / s
      #expect(error <= 1e-14, "s = \(s), max|z| = \(z.scalars.map(abs).max()!): relative error \(error)")
    }
  }

  @Test(arguments: radii) func l1SphereAndBallHaveTheRadius(_ r: Double) {
    for z in Self.points() {
      let inside = z.scalars.reduce(0) { $0 + abs($1) } <= r
      #expect(!inside || L1BallProjection().project(z, r) == z)
      let onSphere = [L1SphereProjection().project(z, r)] + (inside ? [] : [L1BallProjection().project(z, r)])
      for p in onSphere {
        let error = abs(Self.accurateSum(p.scalars.map(abs)) - r) / r
        #expect(error <= 1e-14, "r = \(r): relative error \(error)")
        // Signs are kept.
        #expect((0..<z.count).allSatisfy { p[$0] == 0 || (p[$0] > 0) == (z[$0] > 0) })
      }
    }
  }

  @Test(arguments: radii) func sparseSimplexSumsToTheValue(_ s: Double) {
    for z in Self.points() {
      let p = SparseSimplexProjection(maxNonzeros: 3).project(z, s)
      #expect(p.scalars.filter { $0 != 0 }.count <= 3)
      #expect(abs(Self.accurateSum(p.scalars) - s) / s <= 1e-14)
    }
  }

  /// The Jacobians at tiny and huge radii: `∂P/∂z` is the closed form on the support of the
  /// computed `p`, and `∂P/∂s = 𝟙_S/|S|` matches central differences in `s` with a relative step
  /// (the support does not move over `s(1 ± 1e-4)` at these points).
  @Test(arguments: radii) func jacobiansAgreeWithClosedFormAndFiniteDifferences(_ s: Double) {
    for z in Self.points() {
      let projection = SimplexProjection()
      let p = projection.project(z, s)
      let support = p.scalars.map { $0 > 0 ? 1.0 : 0.0 }
      let size = support.reduce(0, +)
      let j = projection.jacobian(at: z, s)
      for i in 0..<z.count {
        for k in 0..<z.count {
          let expected = (i == k ? support[i] : 0) - support[i] * support[k] / size
          #expect(abs(j[i, k] - expected) <= 1e-15)
        }
      }
      let h = 1e-4 * s
      let fd = (projection.project(z, s + h) - projection.project(z, s - h)).scalars.map { $0 / (2 * h) }
      let ds = projection.parameterJacobian(at: z, s)
      for i in 0..<z.count {
        #expect(abs(ds[i, 0] - support[i] / size) <= 1e-15)
        #expect(abs(fd[i] - support[i] / size) <= 1e-9, "∂p/∂s at s = \(s): \(fd[i]) vs \(support[i] / size)")
      }
      // The l1 sphere's ∂P/∂r = σ_S/|S| by the same differences.
      let sphere = L1SphereProjection()
      let fdSphere = (sphere.project(z, s + h) - sphere.project(z, s - h)).scalars.map { $0 / (2 * h) }
      let dr = sphere.parameterJacobian(at: z, s)
      for i in 0..<z.count { #expect(abs(fdSphere[i] - dr[i, 0]) <= 1e-9) }
    }
  }
}
