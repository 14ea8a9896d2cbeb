import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing

@Test("catalogue example: equality-qp")
func equalityQPExample() throws {
  var rng = SeededGenerator(seed: 15)
  let M = rng.normalMatrix(rows: 6, columns: 4)
  let Q = M.transposed() * M
  let c = rng.normalVector(4)
  let E = rng.normalMatrix(rows: 2, columns: 4)
  let d = rng.normalVector(2)
  // catalog-example: equality-qp
  let program = QuadraticProgram(Q: Q, c: c, E: E, d: d)  // min ½xᵀQx + cᵀx s.t. Ex = d
  let solution = try EqualityQPSolver().solve(program).converged()  // checks rank(E) and convexity on null(E)
  let kkt = ImplicitDifferentiator(QuadraticProgramKKTCondition())
  let jacobian = try kkt.jacobian(at: solution.point, program).matrix  // rows (x, ν); columns Q, c, E, d
  // ∇_c and ∇_d of ‖x*‖², as a QuadraticProgram-shaped cotangent (one reverse solve):
  let bar = try kkt.vjp(
    KKTSolution(primal: 2 * solution.x, equality: .zeros(2), inequality: Vector([])),
    at: solution.point, program
  ).value
  // end-catalog-example
  // Independent check: with K = [[Q, Eᵀ], [E, 0]], ∂(x, ν)/∂c = −K⁻¹[I; 0] and ∂(x, ν)/∂d = K⁻¹[0; I].
  let q = Reference.rows(Q), e = Reference.rows(E), et = Reference.transpose(e)
  let K = (0..<4).map { q[$0] + et[$0] } + (0..<2).map { e[$0] + [0, 0] }
  let inverse = try #require(Reference.inverse(K))
  let cColumns = Array(16..<20), dColumns = Array(28..<30)
  #expect(jacobian.rows == 6 && jacobian.columns == 30)
  let expectedC = Reference.matrix(inverse.map { row in (0..<4).map { -row[$0] } })
  let expectedD = Reference.matrix(inverse.map { row in (4..<6).map { row[$0] } })
  #expect(TestSupport.relativeError(selectingColumns(jacobian, cColumns), expectedC) < 1e-10)
  #expect(TestSupport.relativeError(selectingColumns(jacobian, dColumns), expectedD) < 1e-10)
  let x = solution.x.scalars
  let gradC = (0..<4).map { j in (0..<4).reduce(0) { $0 + 2 * x[$1] * -inverse[$1][j] } }
  let gradD = (0..<2).map { j in (0..<4).reduce(0) { $0 + 2 * x[$1] * inverse[$1][4 + j] } }
  #expect(TestSupport.relativeError(bar.c.scalars, gradC) < 1e-10)
  #expect(TestSupport.relativeError(bar.d.scalars, gradD) < 1e-10)
}
