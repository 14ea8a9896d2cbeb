import ImplicitCore
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

  @Test func identityHasNoParameters() {
    #expect(throws: ImplicitError.self) { try IdentityProximal().validate(dimension: 3, Vector([1])) }
  }
}
