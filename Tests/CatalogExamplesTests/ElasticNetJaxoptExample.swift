import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitTestSupport
import Testing

@Test("catalogue example: elastic-net-jaxopt")
func elasticNetJAXoptExample() throws {
  var rng = SeededGenerator(seed: 5)
  let A = rng.normalMatrix(rows: 12, columns: 6)
  let b = rng.normalVector(12)
  let λ = Vector([0.3 * A.transposedTimes(b).scalars.map(abs).max()!, 0.5])
  // catalog-example: elastic-net-jaxopt
  // g(x) = λ₁(‖x‖₁ + ½λ₂‖x‖²), JAXopt's parametrisation; θ = [b; λ₁; λ₂]
  let net = try ProximalGradientCondition(
    objective: LeastSquares(A: A), prox: JAXoptElasticNetProximal(), objectiveParameterCount: b.count,
    proxParameter: λ, stepSize: 1 / A.squaredSpectralNorm())
  let θ = net.packParameters(objective: b, prox: λ)
  let solve = { (θ: Vector<Double>) in
    net.refined(try FISTA(tolerance: 1e-12).solve(net, θ, from: .zeros(6)).converged(), θ).solution
  }
  let jacobian = try ImplicitDifferentiator(net).jacobian(at: try solve(θ), θ).matrix  // 6 × 14
  // end-catalog-example
  // Independent check: central differences of re-solving.
  let x = try solve(θ)
  #expect(!support(x).isEmpty && support(x).count < 6)
  #expect(TestSupport.relativeError(jacobian, resolvedJacobian(at: θ, solve)) < 1e-6)
}
