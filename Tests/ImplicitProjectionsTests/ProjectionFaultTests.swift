import ImplicitCore
import ImplicitProjections
import Testing

/// Issue 10: user data that trapped, or gave a plausible wrong vector, before `validate` caught
/// it (or the projection handled it). Traps cannot be run inside the test process; each comment
/// says what the old code did, checked by hand on the old build where cheap.
@Suite("Projection faults")
struct ProjectionFaultTests {
  /// Old code: `validate` computed `rows * columns` unchecked, so `Int.max × 2` trapped with an
  /// arithmetic overflow before any typed error.
  @Test func transportShapeOverflowIsATypedError() {
    let marginals = TransportMarginals(a: Vector([1]), b: Vector([1]))
    #expect(throws: ImplicitError.self) {
      try TransportProjection(rows: Int.max, columns: 2).validate(Vector([1, 2]), marginals)
    }
    // A NaN or zero tolerance used to run the full 100 000-iteration budget first.
    #expect(throws: ImplicitError.self) {
      try TransportProjection(rows: 1, columns: 1, tolerance: .nan).validate(Vector([1]), marginals)
    }
    #expect(throws: ImplicitError.self) {
      try TransportProjection(rows: 1, columns: 1, maxIterations: 0).validate(dimension: 1, marginals)
    }
  }

  /// Old code: `‖a‖² = ∞` passed `validate` and `project` returned `z` itself (step `c = x/∞ = 0`),
  /// a plausible wrong vector (the true projection of (1, 1) onto {x₁ = 0} is (0, 1)).
  @Test func hyperplaneWithOverflowingNormalIsATypedError() {
    let plane = Hyperplane(normal: Vector([1e200, 0]), offset: 0)
    #expect(throws: ImplicitError.self) { try HyperplaneProjection().validate(Vector([1, 1]), plane) }
    #expect(throws: ImplicitError.self) { try HalfspaceProjection().validate(dimension: 2, plane) }
    // aᵀz overflowing is reported too.
    let big = Hyperplane(normal: Vector([1e155, 1e155]), offset: 0)
    #expect(throws: ImplicitError.self) { try HyperplaneProjection().validate(Vector([1e300, 1e300]), big) }
  }

  /// Old code: `lower = upper = +∞` passed `validate` and the projection was `+∞`.
  @Test func boxWithoutFinitePointsIsATypedError() {
    let bounds = BoxBounds(lower: Vector([0, .infinity]), upper: Vector([1, .infinity]))
    #expect(throws: ImplicitError.self) { try BoxProjection().validate(Vector([0.5, 0.5]), bounds) }
    let below = BoxBounds(lower: Vector([-.infinity]), upper: Vector([-.infinity]))
    #expect(throws: ImplicitError.self) { try BoxProjection().validate(dimension: 1, below) }
  }

  /// Old code: with `‖z‖² = ∞` the l2 ball returned `(r/∞)·z = 0`, and the sphere at a tiny `z`
  /// whose squares underflow said "not unique at z = 0" and returned `r·e₁`.
  @Test func l2NormsNeitherOverflowNorUnderflow() throws {
    let huge = Vector([3e200, 4e200])
    let p = L2BallProjection().project(huge, 1)
    #expect(abs(p[0] - 0.6) <= 1e-15 && abs(p[1] - 0.8) <= 1e-15)
    let tiny = Vector([0, 1e-200])
    try L2SphereProjection().validate(tiny, 2)
    #expect(L2SphereProjection().project(tiny, 2) == Vector([0, 2]))
  }

  /// Old code: `τ = max z − s` rounded to `max z`, so `p = 0` and `Σp = 0 ≠ s`.
  @Test func simplexAtTheEdgeOfTheRange() throws {
    let z = Vector([1.7e308, -1.7e308])
    try SimplexProjection().validate(z, 1)
    #expect(SimplexProjection().project(z, 1) == Vector([1, 0]))
  }

  /// Old code: `multiplier` assumed `g` constant beyond the extreme breakpoints, so a section with
  /// an unbounded coordinate was reported empty (NaN projection, `validate` threw). Exact: with
  /// `z = 0`, `p = (−τ, clip(−τ, 0, 1))` and `Σp = 5` give `τ = −4`, `p = (4, 1)`.
  @Test func boxSectionWithInfiniteBounds() throws {
    let section = BoxSection(
      lower: Vector([-.infinity, 0]), upper: Vector([.infinity, 1]), weights: Vector([1, 1]), value: 5)
    let z = Vector([0, 0])
    try BoxSectionProjection().validate(z, section)
    #expect(BoxSectionProjection().project(z, section) == Vector([4, 1]))
    // No finite breakpoint at all: the hyperplane x₁ + x₂ = 2 (unbounded box).
    let open = BoxSection(
      lower: Vector([-.infinity, -.infinity]), upper: Vector([.infinity, .infinity]), weights: Vector([1, 1]),
      value: 2)
    let p = BoxSectionProjection().project(Vector([3, 1]), open)
    #expect(abs(p[0] - 2) <= 1e-15 && abs(p[1]) <= 1e-15)
    // p₂ sits at its upper bound and p₁ = 5 − p₂ is pinned by the constraint: ∂P/∂z = 0.
    let j = BoxSectionProjection().jacobian(at: z, section)
    #expect(j == Matrix([[0, 0], [0, 0]]))
  }

  /// Every projection of the catalogue checks `θ` against a dimension without a point (what a
  /// prox built on it needs), and rejects a negative dimension.
  @Test func parameterChecksWithoutAPoint() {
    #expect(throws: ImplicitError.self) { try SimplexProjection().validate(dimension: 0, 1) }
    #expect(throws: ImplicitError.self) { try L2SphereProjection().validate(dimension: 0, 1) }
    #expect(throws: ImplicitError.self) { try L1BallProjection().validate(dimension: -1, 1) }
    #expect(throws: ImplicitError.self) { try SparseSimplexProjection(maxNonzeros: 0).validate(dimension: 3, 1) }
    #expect(throws: ImplicitError.self) { try RowSimplexProjection(columns: 2).validate(dimension: 3, Vector([])) }
    #expect(throws: ImplicitError.self) {
      try AffineSetProjection().validate(dimension: 2, AffineSet(A: Matrix([[1, 2, 3]]), b: Vector([1])))
    }
    #expect(throws: ImplicitError.self) {
      // Empty: x ≤ −1 and x ≥ 1.
      try PolyhedronProjection().validate(
        dimension: 1, Polyhedron(E: .zero, d: .zero, G: Matrix([[1], [-1]]), h: Vector([-1, -1])))
    }
    #expect(throws: ImplicitError.self) {
      try BoxSectionProjection().validate(
        dimension: 2,
        BoxSection(lower: Vector([0, 0]), upper: Vector([1, 1]), weights: Vector([1, 1]), value: 3))
    }
    #expect(throws: Never.self) {
      try PolyhedronProjection().validate(
        dimension: 1, Polyhedron(E: .zero, d: .zero, G: Matrix([[1], [-1]]), h: Vector([1, 1])))
    }
  }

  @Test func simplexThresholdInputs() {
    #expect(throws: ImplicitError.self) { try SimplexThresholdCondition().validate(.nan, Vector([1, 2])) }
    #expect(throws: ImplicitError.self) {
      try SimplexThresholdBisection.solve(Vector([1, 2]), tolerance: -1)
    }
  }
}
