import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing

/// `∂z*/∂θ` through the KKT condition against re-solving and closed forms.
@Suite struct ImplicitJacobianTests {
  /// Central differences of the primal–dual solution, re-solved at every perturbed program.
  static func reSolvedJacobian(
    _ program: QuadraticProgram, _ solve: (QuadraticProgram) throws -> QuadraticProgramSolution
  ) -> Matrix<Double> {
    let dimension = (try? solve(program).point.dimension) ?? 0
    return TestSupport.finiteDifferenceJacobian(at: Vector(program.flattened)) { θ in
      Vector((try? solve(program.unflattened(θ.scalars)).point.flattened) ?? Array(repeating: .nan, count: dimension))
    }
  }

  @Test(arguments: [(5, 2, 6, 2, 51 as UInt64), (6, 0, 8, 3, 52), (4, 1, 5, 3, 53)])
  func jacobianWithRespectToAllDataMatchesReSolving(_ n: Int, _ p: Int, _ m: Int, _ active: Int, _ seed: UInt64) throws
  {
    let planted = PlantedQuadraticProgram(variables: n, equalities: p, inequalities: m, active: active, seed: seed)
    let solution = try ActiveSetQPSolver().solve(planted.program).converged()
    let implicit = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(
      at: solution.point, planted.program)
    let reference = Self.reSolvedJacobian(planted.program) { try ActiveSetQPSolver().solve($0).converged() }
    #expect(TestSupport.relativeError(implicit.matrix, reference) < 1e-7)
  }

  @Test func jacobianAtTheADMMSolutionMatchesReSolvingWithADMM() throws {
    let planted = PlantedQuadraticProgram(variables: 4, equalities: 1, inequalities: 5, active: 2, seed: 61)
    let solution = try ADMMQPSolver().solve(planted.program).converged()
    let implicit = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(
      at: solution.point, planted.program)
    let reference = Self.reSolvedJacobian(planted.program) { try ADMMQPSolver().solve($0).converged() }
    #expect(TestSupport.relativeError(implicit.matrix, reference) < 1e-7)
  }

  /// JVPs (iterative, from the exact hand-written forward products) agree with the dense Jacobian.
  @Test func jvpAndVjpAgreeWithTheDenseJacobian() throws {
    let planted = PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 7, active: 3, seed: 62)
    let z = try ActiveSetQPSolver().solve(planted.program).converged().point
    let dense = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(at: z, planted.program).matrix
    var rng = SeededGenerator(seed: 1)
    let t = planted.program.unflattened(rng.normalVector(planted.program.dimension).scalars)
    let options = ImplicitOptions(linearSolver: GMRES(restart: 40, relativeTolerance: 1e-13))
    let differentiator = ImplicitDifferentiator(QuadraticProgramKKTCondition(), options: options)
    let jvp = try differentiator.jvp(t, at: z, planted.program)
    #expect(TestSupport.relativeError(Vector(jvp.value.flattened), dense * Vector(t.flattened)) < 1e-9)
    let v = z.unflattened(rng.normalVector(z.dimension).scalars)
    let vjp = try differentiator.vjp(v, at: z, planted.program)
    #expect(TestSupport.relativeError(Vector(vjp.value.flattened), dense.transposed() * Vector(v.flattened)) < 1e-9)
  }

  /// `[x; ν] = K⁻¹[−c; d]` with `K = [[Q, Eᵀ], [E, 0]]`: `∂/∂c = −K⁻¹[I; 0]`, `∂/∂d = K⁻¹[0; I]`,
  /// and `∂/∂Q_ij = −K⁻¹[½(eᵢxⱼ + eⱼxᵢ); 0]`.
  @Test func equalityQPJacobianMatchesTheKKTMatrixInverse() throws {
    let planted = PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 0, active: 0, seed: 71)
    let program = planted.program
    let n = 6, p = 2, size = n + p
    var k = Matrix<Double>.zeros(rows: size, columns: size)
    for i in 0..<n { for j in 0..<n { k[i, j] = program.Q[i, j] } }
    for r in 0..<p {
      for j in 0..<n {
        k[n + r, j] = program.E[r, j]
        k[j, n + r] = program.E[r, j]
      }
    }
    let lu = try #require(LUFactorization(k))
    let solution = try EqualityQPSolver().solve(program).converged()
    let x = solution.x
    let jacobian = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(at: solution.point, program)
      .matrix
    // Column offsets of c, d and Q in the program's coordinates (Q, c, E, d, G, h).
    let qOffset = 0, cOffset = n * n, dOffset = n * n + n + p * n
    for j in 0..<n {
      var e = [Double](repeating: 0, count: size)
      e[j] = -1
      let expected = lu.solve(e)
      let column = (0..<size).map { jacobian[$0, cOffset + j] }
      #expect(TestSupport.relativeError(column, expected) < 1e-12)
    }
    for j in 0..<p {
      var e = [Double](repeating: 0, count: size)
      e[n + j] = 1
      let column = (0..<size).map { jacobian[$0, dOffset + j] }
      #expect(TestSupport.relativeError(column, lu.solve(e)) < 1e-12)
    }
    for (a, b) in [(0, 0), (1, 4), (5, 2)] {
      var e = [Double](repeating: 0, count: size)
      e[a] -= 0.5 * x[b]
      e[b] -= 0.5 * x[a]
      let column = (0..<size).map { jacobian[$0, qOffset + a * n + b] }
      #expect(TestSupport.relativeError(column, lu.solve(e)) < 1e-12)
    }
  }

  /// A weakly active constraint (λ = 0 = slack): the plain KKT matrix is singular (a typed
  /// error); the masked condition gives the derivative of the problem without that constraint.
  @Test func weaklyActiveConstraintIsSingularAndTheMaskGivesTheOneSidedDerivative() throws {
    let program = QuadraticProgram(
      Q: Matrix([[2, 0.5], [0.5, 1]]), c: Vector([-2, -0.5]), E: Matrix([[1, 1]]), d: Vector([1]),
      G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 3]))
    // Unconstrained by G the optimum of this equality QP is x = (1, 0): constraint 0 is weakly active.
    let solution = try ActiveSetQPSolver().solve(program).converged()
    #expect(solution.weaklyActiveConstraints() == [0])
    #expect(throws: ImplicitError.self) {
      try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(at: solution.point, program)
    }
    let masked = try ImplicitDifferentiator(QuadraticProgramKKTCondition(mask: ComplementarityMask(inactive: [0])))
      .jacobian(at: solution.point, program).matrix
    // The reduced problem keeps only constraint 1 (inactive); compare the x and ν rows w.r.t. Q, c, E, d.
    let reduced = QuadraticProgram(
      Q: program.Q, c: program.c, E: program.E, d: program.d, G: Matrix([[0, 1]]), h: Vector([3]))
    let reference = Self.reSolvedJacobian(reduced) { try ActiveSetQPSolver().solve($0).converged() }
    let shared = 4 + 2 + 2 + 1  // Q, c, E, d come first in both coordinate orders
    for row in 0..<3 {
      let got = (0..<shared).map { masked[row, $0] }, want = (0..<shared).map { reference[row, $0] }
      #expect(TestSupport.relativeError(got, want, floor: 1) < 1e-7)
    }
    #expect((0..<masked.columns).allSatisfy { masked[3, $0] == 0 })  // dλ₀ = 0
  }
}
