import ImplicitCore
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitTestSupport
import Testing

/// A KL mirror-descent solution with a coordinate at 0 whose reduced gradient is 0 too (no strict
/// complementarity): the derivative is one-sided there, and it used to go unreported.
@Suite("Mirror descent: boundary coordinates with a zero-width margin")
struct MirrorDescentBoundaryTests {
  /// `f = ½‖p − θ‖²` on the simplex at `θ = (0.7, 0.3, θ₂)`: `p* = (0.7, 0.3, 0)` for `θ₂ ≤ 0`,
  /// with reduced gradient `−θ₂` on coordinate 2.
  func condition() throws -> MirrorDescentCondition<SquaredDistance, KLSimplexMirrorMap> {
    try MirrorDescentCondition(objective: SquaredDistance(), mirrorMap: KLSimplexMirrorMap())
  }

  @Test("θ₂ = 0: coordinate 2 reported on both APIs, under every policy")
  func zeroWidthMargin() throws {
    let c = try condition()
    let x = Vector([0.7, 0.3, 0]), θ = Vector([0.7, 0.3, 0])
    #expect(c(x, θ).norm() <= 1e-15)
    try TestSupport.checkDegeneracyPolicies(c, at: x, θ, expected: [Degeneracy(.boundary, indices: [2])])
  }

  @Test("θ₂ = −0.5 (strict complementarity) or a point inside the simplex: nothing reported")
  func strictComplementarity() throws {
    let c = try condition()
    #expect(c.degeneracies(at: Vector([0.7, 0.3, 0]), Vector([0.7, 0.3, -0.5]), tolerance: 1e-9).isEmpty)
    #expect(c.degeneracies(at: Vector([0.5, 0.3, 0.2]), Vector([0.5, 0.3, 0.2]), tolerance: 1e-9).isEmpty)
  }

  @Test("row simplices: the coordinate is named in the flattened point")
  func rows() throws {
    let c = try MirrorDescentCondition(objective: SquaredDistance(), mirrorMap: KLRowSimplexMirrorMap(columns: 3))
    let x = Vector([0.2, 0.3, 0.5, 0.7, 0.3, 0]), θ = Vector([0.2, 0.3, 0.5, 0.7, 0.3, 0])
    #expect(c.degeneracies(at: x, θ, tolerance: 1e-9) == [Degeneracy(.boundary, indices: [5])])
  }
}
