import Foundation
import ImplicitCore
import ImplicitReferenceCases
import ImplicitRidge
import ImplicitTestSupport
import Testing

/// A wide ridge case (p = 5000 columns, n = 10 rows) is computed, not refused: the reference
/// solve uses the n×n dual system and the Jacobian takes one matrix-free solve per differentiated
/// parameter. The family used to refuse anything above 4096 columns (a dense AᵀA), and before
/// that took hours. Checked against the closed forms through the dual system, written here
/// independently: `x = Aᵀ(AAᵀ + θI)⁻¹b`, `∂x/∂b = Aᵀ(AAᵀ + θI)⁻¹`,
/// `∂x/∂θ = −(AᵀA + θI)⁻¹x = −(x − Aᵀ(AAᵀ + θI)⁻¹Ax)/θ`.
@Suite("Ridge family: large cases")
struct RidgeLargeCaseTests {
  static func makeCase(data: [String: Any], theta: [String: Any], x: [Double], jacobians: [String: Any]) throws
    -> ReferenceCase
  {
    let object: [String: Any] = [
      "format": "implicit-case/1", "id": "generated-wide", "family": "ridge", "data": data, "theta": theta,
      "outputs": ["x": ["value": x, "jacobian": jacobians]],
    ]
    return try ReferenceCase(json: try JSONSerialization.data(withJSONObject: object), file: "generated-wide.json")
  }

  static func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try RidgeFamily.register(in: registry)
    return registry
  }

  @Test("10 × 5000, with respect to θ and b, within seconds, against the dual closed form")
  func wideCase() throws {
    let (n, p, θ) = (10, 5000, 0.7)
    var rng = SeededGenerator(seed: 5000)
    let a = (0..<n).map { _ in rng.normalVector(p).scalars }
    let b = rng.normalVector(n).scalars
    // K = AAᵀ + θI and its inverse (n × n), by the test's own reference routines.
    var k = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in 0..<n {
        var s: Double = i == j ? θ : 0
        for l in 0..<p { s += a[i][l] * a[j][l] }
        k[i][j] = s
      }
    }
    let kInverse = try #require(Reference.inverse(k))
    func aTransposed(_ y: [Double]) -> [Double] { Reference.transposedMatvec(a, y) }
    func kSolve(_ r: [Double]) -> [Double] { Reference.matvec(kInverse, r) }
    let x = aTransposed(kSolve(b))
    let ax = Reference.matvec(a, x)
    let correction = aTransposed(kSolve(ax))
    let dθ = (0..<p).map { -(x[$0] - correction[$0]) / θ }
    let akInverse = Reference.matmul(Reference.transpose(a), kInverse)  // p × n: ∂x/∂b

    let c = try Self.makeCase(
      data: ["A": a], theta: ["theta": θ, "b": b], x: x, jacobians: ["theta": dθ, "b": akInverse])
    let start = ContinuousClock.now
    let evaluation = try Self.registry().evaluate(c)
    let elapsed = ContinuousClock.now - start
    let check = CaseCheck(c, evaluation: evaluation, tolerance: 1e-8)
    #expect(
      check.passed, "\(check.blocks.map { "\($0.output) \($0.block): \($0.relativeError)" }) \(check.failure ?? "")")
    #expect(elapsed < .seconds(30), "took \(elapsed)")
  }

  @Test("a case beyond the memory budget is refused with a clear error before allocating")
  func unaffordable() throws {
    // A 1 × 99990 with respect to A: the Jacobian alone is 99990 × 99990 (80 GB).
    let p = 99_990
    let c = try Self.makeCase(
      data: ["b": [1.0], "theta": 1.0], theta: ["A": [[Double](repeating: 0.5, count: p)]],
      x: [Double](repeating: 0, count: p), jacobians: [:])
    #expect(RidgeFamily.estimatedBytes(rows: 1, columns: p, parameters: p) > Double(RidgeFamily.memoryBudget))
    #expect {
      try Self.registry().instance(for: c)
    } throws: { error in
      "\(error)".contains("budget")
    }
  }

  @Test("wide A: the dual solve matches the normal equations; a zero strength is factorised or refused")
  func wideSolves() throws {
    var rng = SeededGenerator(seed: 49)
    let A = rng.normalMatrix(rows: 4, columns: 9), b = rng.normalVector(4)
    let θ = (0..<9).map { 0.2 + 0.1 * Double($0) }
    let condition = try PerFeatureRidgeCondition(A: A, b: b)
    var gram = Reference.matmul(Reference.transpose(A.rowArrays), A.rowArrays)
    for j in 0..<9 { gram[j][j] += θ[j] }
    let expected = Reference.matvec(
      try #require(Reference.inverse(gram)), Reference.transposedMatvec(A.rowArrays, b.scalars))
    let x = try condition.solve(Vector(θ))  // the 4 × 4 dual system
    #expect(zip(x.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-12 * (1 + abs($1)) })
    // One zero strength with 9 columns: the 9 × 9 normal equations, still positive definite here.
    var withZero = θ
    withZero[3] = 0
    gram[3][3] -= θ[3]
    let expectedZero = Reference.matvec(
      try #require(Reference.inverse(gram)), Reference.transposedMatvec(A.rowArrays, b.scalars))
    let xZero = try condition.solve(Vector(withZero))
    #expect(zip(xZero.scalars, expectedZero).allSatisfy { abs($0 - $1) <= 1e-10 * (1 + abs($1)) })
    // θ = 0 on a 2 × 5000 A: singular, and too large to factorise: a typed error.
    let wide = try RidgeCondition(A: rng.normalMatrix(rows: 2, columns: 5000), b: rng.normalVector(2))
    #expect(throws: ImplicitError.self) { try wide.solve(0) }
  }
}
