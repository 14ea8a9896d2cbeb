import ImplicitCore
import ImplicitProjections
import ImplicitProximal
import Testing

/// Every prox of the catalogue: Jacobians in `z` and `θ` against central finite differences (away
/// from kinks), against the dense materialisation from the transposed products, JVP/VJP
/// adjointness, and Swift AD through `callAsFunction` against the VJP.
@Suite("Prox Jacobians")
struct ProxJacobianTests {
  let z = Vector([1.3, -0.2, 0.05, -2.1, 0.9, -0.6])
  let η = 0.7

  @Test func identity() throws {
    try expectAccurateJacobians(IdentityProximal(), z: z, θ: Vector([]), η: η)
  }

  @Test func lassoSharedStrength() throws {
    try expectAccurateJacobians(LassoProximal(), z: z, θ: Vector([0.6]), η: η)
  }

  @Test func lassoPerCoordinateStrength() throws {
    try expectAccurateJacobians(LassoProximal(), z: z, θ: Vector([0.6, 0.3, 0.1, 1.0, 2.0, 0.5]), η: η)
  }

  @Test func nonNegativeLasso() throws {
    try expectAccurateJacobians(NonNegativeLassoProximal(), z: z, θ: Vector([0.6]), η: η)
    try expectAccurateJacobians(NonNegativeLassoProximal(), z: z, θ: Vector([0.6, 0.3, 0.1, 1.0, 2.0, 0.5]), η: η)
  }

  @Test func elasticNetStandard() throws {
    try expectAccurateJacobians(ElasticNetProximal(), z: z, θ: Vector([0.6, 0.8]), η: η)
  }

  @Test func elasticNetJAXopt() throws {
    try expectAccurateJacobians(JAXoptElasticNetProximal(), z: z, θ: Vector([0.6, 0.8]), η: η)
  }

  @Test func ridge() throws {
    try expectAccurateJacobians(RidgeProximal(), z: z, θ: Vector([0.6]), η: η)
    try expectAccurateJacobians(RidgeProximal(), z: z, θ: Vector([0.6, 0.3, 0.1, 1.0, 2.0, 0.5]), η: η)
  }

  @Test func nonNegativeRidge() throws {
    try expectAccurateJacobians(NonNegativeRidgeProximal(), z: z, θ: Vector([0.6]), η: η)
  }

  @Test func groupLassoActiveShrunkAndUnpenalisedGroups() throws {
    let z = Vector([1.3, -0.2, 0.05, -2.1, 0.9, 0.1, -0.15, 0.7])
    let prox = try GroupLassoProximal(groups: [[0, 1], [2, 3, 4], [5, 6]])  // coordinate 7 unpenalised
    try expectAccurateJacobians(prox, z: z, θ: Vector([0.6]), η: η)
    try expectAccurateJacobians(prox, z: z, θ: Vector([0.6, 0.3, 0.9]), η: η)
  }

  @Test func projectionOntoTheSimplex() throws {
    let z = Vector([0.9, 0.3, -0.5, 0.6])
    try expectAccurateJacobians(ProjectionProximal(SimplexProjection()), z: z, θ: 1.0, η: η)
  }
}
