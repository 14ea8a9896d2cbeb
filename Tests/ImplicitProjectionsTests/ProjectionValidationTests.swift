import ImplicitCore
import ImplicitProjections
import Testing

/// Input that describes no set, or does not fit the point, is reported as a typed error.
@Suite("Projection validation")
struct ProjectionValidationTests {
  @Test func badInputIsATypedError() {
    let z = Vector([0.5, -1.0, 2.0])
    #expect(throws: ImplicitError.self) { try L1BallProjection().validate(z, -1) }
    #expect(throws: ImplicitError.self) { try L2BallProjection().validate(z, .nan) }
    #expect(throws: ImplicitError.self) { try LInfinityBallProjection().validate(z, -0.1) }
    #expect(throws: ImplicitError.self) { try L2SphereProjection().validate(Vector.zeros(3), 1) }
    #expect(throws: ImplicitError.self) { try SimplexProjection().validate(z, -2) }
    #expect(throws: ImplicitError.self) { try RowSimplexProjection(columns: 2).validate(z, Vector([])) }
    #expect(throws: ImplicitError.self) {
      try BoxProjection().validate(z, BoxBounds(lower: Vector([0, 0, 1]), upper: Vector([1, 1, 0])))
    }
    #expect(throws: ImplicitError.self) {
      try BoxProjection().validate(z, BoxBounds(lower: Vector([0, 0]), upper: Vector([1, 1])))
    }
    #expect(throws: ImplicitError.self) {
      try HyperplaneProjection().validate(z, Hyperplane(normal: Vector.zeros(3), offset: 1))
    }
    #expect(throws: ImplicitError.self) {
      // Rank-deficient A.
      try AffineSetProjection().validate(z, AffineSet(A: Matrix([[1, 2, 3], [2, 4, 6]]), b: Vector([1, 2])))
    }
    let box = (lower: Vector([0.0, 0, 0]), upper: Vector([1.0, 1, 1]))
    #expect(throws: ImplicitError.self) {
      // wᵀx ≤ 3 on the box: the section at 4 is empty.
      try BoxSectionProjection().validate(
        z, BoxSection(lower: box.lower, upper: box.upper, weights: Vector([1, 1, 1]), value: 4))
    }
    // And the unchecked projection of an empty section is NaN, never a plausible vector.
    let empty = BoxSection(lower: box.lower, upper: box.upper, weights: Vector([1, 1, 1]), value: 4)
    #expect(BoxSectionProjection().project(z, empty).scalars.allSatisfy { $0.isNaN })
  }

  @Test func validInputIsAccepted() throws {
    let z = Vector([0.5, -1.0, 2.0])
    try L1BallProjection().validate(z, 1)
    try BoxProjection().validate(z, BoxBounds(lower: Vector([-.infinity, 0, 0]), upper: Vector([0, 1, .infinity])))
    try BoxSectionProjection().validate(
      z, BoxSection(lower: Vector.zeros(3), upper: Vector([1, 1, 1]), weights: Vector([1, 1, 1]), value: 1.5))
  }
}
