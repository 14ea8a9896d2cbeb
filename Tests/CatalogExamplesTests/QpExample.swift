import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing

@Test("catalogue example: qp")
func qpExample() throws {
  var rng = SeededGenerator(seed: 16)
  let M = rng.normalMatrix(rows: 6, columns: 4)
  let Q = M.transposed() * M
  let c = rng.normalVector(4, scale: 3)
  let E = rng.normalMatrix(rows: 1, columns: 4)
  let G = rng.normalMatrix(rows: 5, columns: 4)
  let h = Vector(rng.normalVector(5).scalars.map { abs($0) + 0.1 })  // x = 0 is feasible
  // catalog-example: qp
  // min ½xᵀQx + cᵀx s.t. Ex = d, Gx ≤ h
  let program = QuadraticProgram(Q: Q, c: c, E: E, d: .zeros(1), G: G, h: h)
  let solution = try ActiveSetQPSolver().solve(program).converged()  // or ADMMQPSolver (method `osqp`)
  // solution.weaklyActiveConstraints() must be empty (strict complementarity): else no unique derivative
  let kkt = ImplicitDifferentiator(QuadraticProgramKKTCondition())
  let jacobian = try kkt.jacobian(at: solution.point, program).matrix  // rows (x, ν, λ); columns Q, c, E, d, G, h
  let seed = KKTSolution(primal: Vector(repeating: 1, count: 4), equality: .zeros(1), inequality: .zeros(5))
  let bar = try kkt.vjp(seed, at: solution.point, program).value  // ∇ of Σx* w.r.t. Q, c, E, d, G, h
  // end-catalog-example
  // Independent check: central differences of re-solving with respect to every entry of the data.
  #expect(solution.weaklyActiveConstraints().isEmpty)
  #expect(!solution.activeSet.isEmpty && solution.activeSet.count < 4)
  let reference = resolvedJacobian(at: Vector(program.flattened), step: 1e-6) { θ in
    Vector(try ActiveSetQPSolver().solve(program.unflattened(θ.scalars)).converged().point.flattened)
  }
  #expect(TestSupport.relativeError(jacobian, reference) < 1e-7)
  let sumRows = (0..<reference.columns).map { j in (0..<4).reduce(0) { $0 + reference[$1, j] } }
  #expect(TestSupport.relativeError(bar.flattened, sumRows) < 1e-7)
}
