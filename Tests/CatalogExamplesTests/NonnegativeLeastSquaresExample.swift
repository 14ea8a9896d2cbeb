import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import Testing

@Test("catalogue example: nonnegative-least-squares")
func nonnegativeLeastSquaresExample() throws {
  var rng = SeededGenerator(seed: 6)
  let A = rng.normalMatrix(rows: 10, columns: 5)
  let b = A * Vector([1, -1, 0.5, -0.5, 1]) + rng.normalVector(10, scale: 0.1)  // some coordinates clipped
  // catalog-example: nonnegative-least-squares
  let f = try LeastSquares(A: A)  // f(x, b) = ½‖Ax − b‖²
  let η = 1 / A.squaredSpectralNorm()
  let nnls = try ProximalGradientCondition(  // projected gradient: the prox is the projection
    objective: f, projection: NonNegativeProjection(), objectiveParameterCount: b.count,
    projectionParameter: Vector([]), stepSize: η)
  let x = try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(nnls, b, from: .zeros(5)).converged()
  let jacobian = try ImplicitDifferentiator(nnls).jacobian(at: x, b).matrix  // ∂x*/∂b, 5 × 10
  // end-catalog-example
  // Independent check: on the free set F = {x > 0}, ∂x_F/∂b = (A_FᵀA_F)⁻¹A_Fᵀ; zero elsewhere.
  let F = support(x)
  #expect(!F.isEmpty && F.count < 5)
  let AF = Reference.rows(A).map { row in F.map { row[$0] } }
  let gram = Reference.matmul(Reference.transpose(AF), AF)
  var expected = [[Double]](repeating: [Double](repeating: 0, count: 10), count: 5)
  for r in 0..<10 {
    let column = try #require(Reference.solve(gram, AF[r]))
    for (p, i) in F.enumerated() { expected[i][r] = column[p] }
  }
  #expect(TestSupport.relativeError(jacobian, Reference.matrix(expected)) < 1e-9)
}
