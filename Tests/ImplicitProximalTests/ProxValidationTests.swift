import ImplicitCore
import ImplicitProjections
import ImplicitProximal
import Testing

/// Bad parameters are typed errors, not traps.
@Suite("Prox parameter validation")
struct ProxValidationTests {
  @Test func strengthCountMustBeOneOrTheDimension() {
    #expect(throws: ImplicitError.self) { try LassoProximal().validate(dimension: 4, Vector([1, 2])) }
    #expect(throws: Never.self) { try LassoProximal().validate(dimension: 4, Vector([1])) }
    #expect(throws: Never.self) { try LassoProximal().validate(dimension: 2, Vector([1, 2])) }
  }

  @Test func strengthsMustBeNonNegativeAndFinite() {
    #expect(throws: ImplicitError.self) { try RidgeProximal().validate(dimension: 2, Vector([-1])) }
    #expect(throws: ImplicitError.self) { try LassoProximal().validate(dimension: 2, Vector([.nan])) }
    #expect(throws: ImplicitError.self) { try ElasticNetProximal().validate(dimension: 2, Vector([1, -0.5])) }
    #expect(throws: ImplicitError.self) { try JAXoptElasticNetProximal().validate(dimension: 2, Vector([1])) }
  }

  @Test func groupsMustBeDisjointAndInRange() throws {
    #expect(throws: ImplicitError.self) { try GroupLassoProximal(groups: [[0, 1], [1, 2]]) }
    #expect(throws: ImplicitError.self) { try GroupLassoProximal(groupSizes: [2, 0]) }
    let prox = try GroupLassoProximal(groups: [[0, 5]])
    #expect(throws: ImplicitError.self) { try prox.validate(dimension: 3, Vector([1])) }
  }

  /// Issue 10: `GroupLassoProximal(groups: [[0, 5]]).prox(Vector([1, 2]), …)` indexes past the
  /// end (an `Array` trap, by design: `prox` assumes validated input). `validate`, which every
  /// entry point calls first, names the problem; and a strength vector of 2 entries for 3 groups.
  @Test func groupLassoDataThatWouldTrapIsRejected() throws {
    #expect(throws: ImplicitError.self) {
      try GroupLassoProximal(groups: [[0, 5]]).validate(dimension: 2, Vector([1]))
    }
    let three = try GroupLassoProximal(groups: [[0], [1], [2]])
    #expect(throws: ImplicitError.self) { try three.validate(dimension: 3, Vector([1, 2])) }
    #expect(throws: ImplicitError.self) { try GroupLassoProximal(groups: [[-1]]) }
    #expect(throws: Never.self) { try three.validate(dimension: 3, Vector([1, 2, 3])) }
    // The whole-call check: groups against z, and the step.
    let prox = try GroupLassoProximal(groups: [[0, 5]])
    #expect(throws: ImplicitError.self) { try prox.validate(Vector([1, 2]), Vector([1]), scaling: 1) }
    #expect(throws: ImplicitError.self) { try three.validate(Vector([1, 2, 3]), Vector([1]), scaling: -1) }
    #expect(throws: ImplicitError.self) { try three.validate(Vector([1, .nan, 3]), Vector([1]), scaling: 1) }
    #expect(throws: Never.self) { try three.validate(Vector([1, 2, 3]), Vector([1]), scaling: 0.5) }
  }

  /// Issue 10: `ProjectionProximal` had no `validate` (the default accepted everything), so the
  /// proximal-gradient condition's `validate` let bounds of the wrong length through and `prox`
  /// trapped (index out of range in `BoxProjection.project`). It now runs the projection's checks.
  @Test func projectionProxChecksTheSet() {
    let box = ProjectionProximal(BoxProjection())
    #expect(throws: ImplicitError.self) {
      try box.validate(dimension: 3, BoxBounds(lower: Vector([0, 0]), upper: Vector([1, 1])))
    }
    #expect(throws: ImplicitError.self) {
      try box.validate(dimension: 2, BoxBounds(lower: Vector([1, 0]), upper: Vector([0, 1])))
    }
    #expect(throws: ImplicitError.self) { try ProjectionProximal(L2BallProjection()).validate(dimension: 2, -1) }
    #expect(throws: ImplicitError.self) {
      try ProjectionProximal(L2BallProjection(), feasibilityTolerance: .nan).validate(dimension: 2, 1)
    }
    #expect(throws: Never.self) {
      try box.validate(dimension: 2, BoxBounds(lower: Vector([0, 0]), upper: Vector([1, 1])))
    }
  }

  /// A tangent of the wrong (non-zero) shape is passed on, never silently replaced by zero; a
  /// symbolic zero still means zero.
  @Test func projectionProxTangents() {
    let prox = ProjectionProximal(L2BallProjection())
    let z = Vector([3.0, 4.0])
    // Outside the unit ball: ∂P/∂r = ẑ.
    let dr = prox.jvp(at: z, 1, scaling: 1, Vector.zeros(2), 1)
    #expect(abs(dr[0] - 0.6) <= 1e-15 && abs(dr[1] - 0.8) <= 1e-15)
    let box = ProjectionProximal(BoxProjection())
    let bounds = BoxBounds(lower: Vector([0, 0]), upper: Vector([1, 1]))
    let zero = box.jvp(at: z, bounds, scaling: 1, Vector.zeros(2), .zero)
    #expect(zero == Vector([0, 0]))
  }

  @Test func identityHasNoParameters() {
    #expect(throws: ImplicitError.self) { try IdentityProximal().validate(dimension: 3, Vector([1])) }
  }
}
