import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Test("catalogue example: simplex-least-squares")
func simplexLeastSquaresExample() throws {
  var rng = SeededGenerator(seed: 7)
  let A = rng.normalMatrix(rows: 10, columns: 5)
  let b = rng.normalVector(10)
  // catalog-example: simplex-least-squares
  let f = try LeastSquares(A: A)  // f(x, b) = ½‖Ax − b‖², x ≥ 0, Σx = s
  let η = 1 / A.squaredSpectralNorm()
  let condition = try ProximalGradientCondition(  // projected gradient: the prox is the projection
    objective: f, projection: SimplexProjection(), objectiveParameterCount: b.count, projectionParameter: 1.0,
    stepSize: η)
  let θ = condition.packParameters(objective: b, prox: 1.0)  // θ = [b; s]
  let x = try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(condition, θ, from: Vector(repeating: 0.2, count: 5))
    .converged()
  let jacobian = try ImplicitDifferentiator(condition).jacobian(at: x, θ).matrix  // 5 × 11
  // end-catalog-example
  // Independent check: on the support S, (x_S, μ) solves [[A_SᵀA_S, 1], [1ᵀ, 0]]·(x_S, μ) = (A_Sᵀb, s).
  let S = support(x)
  #expect(S.count > 1 && S.count < 5)
  let k = S.count
  let AS = Reference.rows(A).map { row in S.map { row[$0] } }
  let gram = Reference.matmul(Reference.transpose(AS), AS)
  let kkt = (0..<k).map { gram[$0] + [1.0] } + [[Double](repeating: 1, count: k) + [0]]
  var expected = [[Double]](repeating: [Double](repeating: 0, count: 11), count: 5)
  for column in 0..<11 {
    let rhs = column < 10 ? AS[column] + [0] : [Double](repeating: 0, count: k) + [1]
    let d = try #require(Reference.solve(kkt, rhs))
    for (p, i) in S.enumerated() { expected[i][column] = d[p] }
  }
  #expect(TestSupport.relativeError(jacobian, Reference.matrix(expected)) < 1e-9)
}
