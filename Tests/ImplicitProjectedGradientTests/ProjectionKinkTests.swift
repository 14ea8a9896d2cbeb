import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitTestSupport
import Testing

/// Projected gradient at a weakly active constraint: `f = ½‖x − θ_f‖²` with `η = 1`, so the prox
/// input is `z = θ_f` and `x* = P(θ_f)`. Built exactly at a kink of the projection, the
/// coordinate is reported (it used to be silent: projections reported no kinks).
@Suite("Projected gradient: kinks of the projections are reported")
struct ProjectionKinkTests {
  func objective() throws -> LeastSquares { try LeastSquares(A: Matrix<Double>.identity(3)) }

  @Test("simplex: a coordinate exactly at the threshold (z₂ = τ = 0)")
  func simplex() throws {
    let c = try ProximalGradientCondition(
      objective: try objective(), projection: SimplexProjection(), objectiveParameterCount: 3, projectionParameter: 1.0)
    let θ = Vector([0.7, 0.3, 0, 1]), x = Vector([0.7, 0.3, 0])
    #expect(c(x, θ).norm() <= 1e-15)
    try TestSupport.checkDegeneracyPolicies(c, at: x, θ, expected: [Degeneracy(.kink, indices: [2])])
    // Strictly below the threshold: not reported.
    #expect(c.degeneracies(at: x, Vector([0.7, 0.3, -0.4, 1]), tolerance: 1e-9).isEmpty)
  }

  @Test("box: a coordinate exactly at its upper bound")
  func box() throws {
    let bounds = BoxBounds(lower: Vector.zeros(3), upper: Vector([1, 1, 1]))
    let c = try ProximalGradientCondition(
      objective: try objective(), projection: BoxProjection(), objectiveParameterCount: 3, projectionParameter: bounds)
    let θ = Vector.concatenate(Vector([2, 0.5, 1]), Vector(bounds.flattened)), x = Vector([1, 0.5, 1])
    #expect(c(x, θ).norm() <= 1e-15)
    try TestSupport.checkDegeneracyPolicies(c, at: x, θ, expected: [Degeneracy(.kink, indices: [2])])
  }

  @Test("the margins of the other polyhedral projections and the l2 ball")
  func margins() throws {
    let z = Vector([0.5, 0, -2])
    #expect(NonNegativeProjection().kinkMargin(at: z, Vector([])) == Vector([0.5, 0, 2]))
    // Row simplices: row 0 is (0.7, 0.3, 0) with τ = 0; row 1 (1, 0, 0) with τ = 0.
    let rows = try #require(
      RowSimplexProjection(columns: 3).kinkMargin(at: Vector([0.7, 0.3, 0, 1, 0, 0]), Vector([])))
    #expect(rows.scalars.map { $0 <= 1e-15 } == [false, false, true, false, true, true])
    // l1 ball of radius 1: outside at (2, 1, 0) the soft threshold is τ = 1 (p = (1, 0, 0)), so
    // coordinate 1 sits on it; the sphere is (3 − 1)/√3 away.
    let l1 = try #require(L1BallProjection().kinkMargin(at: Vector([2, 1, 0]), 1))
    #expect(zip(l1.scalars, [1.0, 0, 1]).allSatisfy { abs($0 - $1) <= 1e-12 }, "\(l1)")
    // Inside, at distance (1 − 0.6)/√3 from the sphere.
    let inside = try #require(L1BallProjection().kinkMargin(at: Vector([0.3, -0.3, 0]), 1))
    #expect(inside.scalars.allSatisfy { abs($0 - 0.4 / 3.0.squareRoot()) <= 1e-15 })
    // Halfspace x₀ + x₁ ≤ 1 at z = (1, 0, 5): on the hyperplane; coordinate 2 is never moved.
    let half = try #require(
      HalfspaceProjection().kinkMargin(at: Vector([1, 0, 5]), Hyperplane(normal: Vector([1, 1, 0]), offset: 1)))
    #expect(half == Vector([0, 0, .infinity]))
    #expect(L2BallProjection().kinkMargin(at: Vector([3, 4]), 5) == Vector([0, 0]))
    #expect(HyperplaneProjection().kinkMargin(at: z, Hyperplane(normal: Vector([1, 1, 0]), offset: 1)) == nil)
  }
}
