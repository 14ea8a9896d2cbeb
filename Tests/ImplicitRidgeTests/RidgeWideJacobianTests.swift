import ImplicitCore
import ImplicitReferenceCases
import ImplicitRidge
import ImplicitTestSupport
import Testing

/// A ridge case differentiated with respect to `A`, `b` and `θ` has far more parameters (25)
/// than unknowns (7): its Jacobian is assembled by rows, 7 transposed solves with the one
/// Cholesky factorisation, and equals central differences of re-solves.
@Suite("Ridge family: Jacobian by rows")
struct RidgeWideJacobianTests {
  @Test("with respect to A, b and θ: dense by rows, equal to finite differences of re-solves")
  func byRows() throws {
    let (n, p, θ) = (3, 7, 0.6)
    let a = Reference.randomRows(n, p, seed: 81), b = Reference.randomVector(n, seed: 82)
    func solve(_ a: [[Double]], _ b: [Double], _ θ: Double) throws -> [Double] {
      try PerFeatureRidgeCondition(A: Reference.matrix(a), b: Vector(b)).solve(Vector(repeating: θ, count: p)).scalars
    }
    let x = try solve(a, b, θ)
    let c = try RidgeLargeCaseTests.makeCase(
      data: [:], theta: ["A": a, "b": b, "theta": θ], x: x, jacobians: [:])
    let evaluation = try RidgeLargeCaseTests.registry().evaluate(c)
    #expect(evaluation.notes.contains { $0.contains("dense dense-cholesky by rows") }, "\(evaluation.notes)")
    let output = try #require(evaluation.outputs["x"])

    let flatA = a.flatMap { $0 }
    let fdA = FiniteDifferences.jacobian(at: flatA) { v in
      (try? solve((0..<n).map { Array(v[($0 * p)..<($0 * p + p)]) }, b, θ)) ?? []
    }
    let jA = try #require(output.jacobians["A"])
    #expect(jA.shape == [p, n, p])
    #expect(Reference.relativeError(jA.values, fdA.flatMap { $0 }) < 1e-8)
    let fdB = FiniteDifferences.jacobian(at: b) { (try? solve(a, $0, θ)) ?? [] }
    #expect(Reference.relativeError(try #require(output.jacobians["b"]).values, fdB.flatMap { $0 }) < 1e-8)
    let fdθ = FiniteDifferences.jacobian(at: [θ]) { (try? solve(a, b, $0[0])) ?? [] }
    #expect(Reference.relativeError(try #require(output.jacobians["theta"]).values, fdθ.flatMap { $0 }) < 1e-8)
  }
}
