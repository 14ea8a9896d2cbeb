import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing

/// The simplex threshold as a scalar root, differentiated through the core.
@Suite("Simplex threshold by bisection")
struct SimplexThresholdTests {
  @Test func bisectionMatchesTheSortBasedThreshold() throws {
    var rng = SeededGenerator(seed: 31)
    for s in [1.0, 0.4, 3.0] {
      let z = rng.normalVector(12)
      let root = try SimplexThresholdBisection.solve(z, simplexValue: s)
      // The defining equation, computed directly.
      let total = z.scalars.reduce(0) { $0 + max($1 - root.threshold, 0) }
      #expect(abs(total - s) <= 1e-13)
      #expect(abs(root.threshold - SimplexProjection.threshold(z, s)) <= 1e-14 * max(1, abs(root.threshold)))
    }
  }

  @Test func implicitThresholdDerivativeIsTheClosedForm() throws {
    var rng = SeededGenerator(seed: 32)
    let z = rng.normalVector(10)
    let tau = try SimplexThresholdBisection.solve(z).threshold
    let dTau = try ImplicitDifferentiator(SimplexThresholdCondition()).jacobian(at: tau, z).matrix
    // ∂τ/∂z = 1_Sᵀ/|S| with S = {z > τ}.
    let support = z.scalars.map { $0 > tau ? 1.0 : 0.0 }
    let size = support.reduce(0, +)
    for j in 0..<10 { #expect(abs(dTau[0, j] - support[j] / size) <= 1e-14) }
    // Chain rule: ∂p/∂z = diag(1_S)(I − 1 ∂τ/∂z) equals the sort-based projection's Jacobian.
    let closed = SimplexProjection().jacobian(at: z, 1)
    for i in 0..<10 {
      for j in 0..<10 {
        let chain = support[i] * ((i == j ? 1 : 0) - dTau[0, j])
        #expect(abs(chain - closed[i, j]) <= 1e-14)
      }
    }
    // And central differences of re-solving the root.
    let fd = TestSupport.finiteDifferenceJacobian(at: z) { z in
      Vector([try! SimplexThresholdBisection.solve(z).threshold])
    }
    #expect(TestSupport.relativeError(dTau, fd) <= 1e-8)
  }

  @Test func badInputThrows() {
    #expect(throws: ImplicitError.self) { try SimplexThresholdBisection.solve(Vector([]), simplexValue: 1) }
    #expect(throws: ImplicitError.self) { try SimplexThresholdBisection.solve(Vector([1, 2]), simplexValue: -1) }
    #expect(throws: ImplicitError.self) { try SimplexThresholdBisection.solve(Vector([1, .nan]), simplexValue: 1) }
  }
}
