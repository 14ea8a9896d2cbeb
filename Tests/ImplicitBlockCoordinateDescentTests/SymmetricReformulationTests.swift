import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// The symmetric reformulation of gradient-step conditions (`A = DG − I` solved as the SPD
/// `S = D⁺ − PGP + (I − P)`): the same derivatives as a dense LU of `A` itself, used by default,
/// switched off by `reformulation: .none`, honest about unconverged and singular solves.
@Suite("Symmetric reformulation of gradient-step conditions")
struct SymmetricReformulationTests {
  static let marker = "on the symmetric reformulation"

  /// A proximal/projected-gradient problem `½‖Ax − b‖² + g(x, θ_g)` with `θ = [b; θ_g]`.
  struct Problem<Prox: ProximalOperator> {
    let condition: ProximalGradientCondition<LeastSquares, Prox>
    let θ: Vector<Double>
    let start: Vector<Double>

    init(A: Matrix<Double>, b: Vector<Double>, prox: Prox, proxParameter: Prox.Parameter, start: Vector<Double>? = nil)
      throws
    {
      let f = try LeastSquares(A: A)
      condition = try ProximalGradientCondition(
        objective: f, prox: prox, objectiveParameterCount: b.count, proxParameter: proxParameter,
        stepSize: 1 / f.gradientLipschitzConstant(b))
      θ = condition.packParameters(objective: b, prox: proxParameter)
      self.start = start ?? Vector.zeros(A.columns)
    }

    func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
      let run = try FISTA(tolerance: 1e-14, maxIterations: 100_000).solve(condition, θ, from: start)
      return condition.refined(run.solution, θ).solution
    }
  }

  static func data(seed: UInt64, rows: Int, columns: Int) -> (Matrix<Double>, Vector<Double>) {
    var rng = SeededGenerator(seed: seed)
    return (rng.normalMatrix(rows: rows, columns: columns), rng.normalVector(rows))
  }

  static let dense = ImplicitOptions(linearSolver: DenseLU(), reformulation: .none)

  /// VJP, JVP and the full Jacobian with the reformulation (CG, and the automatic choice) against
  /// a dense LU of `A` itself; the reformulation must be the one used.
  func compare<C: OptimalityCondition>(
    _ condition: C, at x: Vector<Double>, _ θ: Vector<Double>, policy: DerivativePolicy = DerivativePolicy(),
    tolerance: Double = 1e-8
  ) throws where C.Solution == Vector<Double>, C.Parameter == Vector<Double> {
    var rng = SeededGenerator(seed: 77)
    let v = rng.normalVector(x.count), t = rng.normalVector(θ.count)
    var off = Self.dense
    off.policy = policy
    let reference = ImplicitDifferentiator(condition, options: off)
    let referenceJacobian = try reference.jacobian(at: x, θ)
    #expect(!referenceJacobian.diagnostics.linearSolve.method.contains(Self.marker))
    for solver in [ConjugateGradient(relativeTolerance: 1e-12) as any LinearSolver, AutomaticLinearSolver()] {
      let on = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: solver, policy: policy))
      let vjp = try on.vjp(v, at: x, θ), jvp = try on.jvp(t, at: x, θ)
      let jacobian = try on.jacobian(at: x, θ)
      for d in [vjp.diagnostics, jvp.diagnostics, jacobian.diagnostics] {
        #expect(d.linearSolve.method.hasSuffix(Self.marker), "\(d.linearSolve.method)")
        #expect(d.linearSolve.status == .converged)
      }
      #expect(relativeError(vjp.value, try reference.vjp(v, at: x, θ).value) < tolerance)
      #expect(relativeError(jvp.value, try reference.jvp(t, at: x, θ).value) < tolerance)
      #expect(relativeError(jacobian.matrix, referenceJacobian.matrix) < tolerance)
    }
  }

  @Test func lassoMatchesDenseLUAndFiniteDifferencesOfResolves() throws {
    let (A, b) = Self.data(seed: 3, rows: 12, columns: 8)
    let λ = 0.3 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    let support = x.scalars.filter { $0 != 0 }.count
    #expect(support > 1 && support < 8)
    try compare(problem.condition, at: x, problem.θ)
    // Against central differences of re-solves (independent of any linear solve).
    let jacobian = try ImplicitDifferentiator(problem.condition).jacobian(at: x, problem.θ)
    #expect(jacobian.diagnostics.linearSolve.method.hasSuffix(Self.marker))
    let fd = TestSupport.finiteDifferenceJacobian(at: problem.θ, step: 1e-6) { (try? problem.solve($0)) ?? x * .nan }
    #expect(relativeError(jacobian.matrix, fd) < 1e-6)
  }

  @Test func elasticNetMatchesDenseLU() throws {
    let (A, b) = Self.data(seed: 5, rows: 12, columns: 8)
    let λ1 = 0.2 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    for prox in [ElasticNetProximal() as any ProximalOperator, JAXoptElasticNetProximal()] {
      func check<P: ProximalOperator>(_ prox: P) throws where P.Parameter == Vector<Double> {
        let problem = try Problem(A: A, b: b, prox: prox, proxParameter: Vector([λ1, 0.7]))
        let x = try problem.solve(problem.θ)
        #expect(x.scalars.contains(0) && x.scalars.contains { $0 != 0 })
        try compare(problem.condition, at: x, problem.θ)
      }
      if let p = prox as? ElasticNetProximal { try check(p) }
      if let p = prox as? JAXoptElasticNetProximal { try check(p) }
    }
  }

  @Test func nonNegativeLeastSquaresMatchesDenseLU() throws {
    let (A, b) = Self.data(seed: 8, rows: 14, columns: 8)
    let problem = try Problem(
      A: A, b: b, prox: ProjectionProximal(NonNegativeProjection()), proxParameter: Vector([]))
    let x = try problem.solve(problem.θ)
    #expect(x.scalars.contains(0) && x.scalars.contains { $0 > 0 })
    try compare(problem.condition, at: x, problem.θ)
  }

  /// The simplex radius `s` is a parameter: `B` has the projection's `∂P/∂s` column too.
  @Test func simplexConstrainedLeastSquaresMatchesDenseLU() throws {
    let (A, b) = Self.data(seed: 11, rows: 10, columns: 7)
    let problem = try Problem(
      A: A, b: b, prox: ProjectionProximal(SimplexProjection()), proxParameter: 1.5,
      start: Vector(repeating: 1.5 / 7, count: 7))
    let x = try problem.solve(problem.θ)
    #expect(x.scalars.contains(0) && x.scalars.filter { $0 > 0 }.count > 1)
    try compare(problem.condition, at: x, problem.θ)
  }

  /// The adjoint identity `⟨v, J t⟩ = ⟨Jᵀv, t⟩` through the reformulation, with a square,
  /// non-symmetric parameter map (`B = ηDAᵀ` in `b` for a square `A`), and against the dense LU.
  @Test func nonSymmetricParameterMap() throws {
    let (A, b) = Self.data(seed: 21, rows: 7, columns: 7)
    #expect(relativeError(A, A.transposed()) > 0.1)
    let λ = 0.2 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    var rng = SeededGenerator(seed: 4)
    let v = rng.normalVector(7), t = rng.normalVector(8)
    let d = ImplicitDifferentiator(problem.condition, options: ImplicitOptions(linearSolver: ConjugateGradient()))
    let jt = try d.jvp(t, at: x, problem.θ), jv = try d.vjp(v, at: x, problem.θ)
    #expect(jt.diagnostics.linearSolve.method.hasSuffix(Self.marker))
    #expect(abs(v.dot(jt.value) - jv.value.dot(t)) < 1e-9 * v.norm() * t.norm() * max(1, jt.value.norm()))
    let reference = try ImplicitDifferentiator(problem.condition, options: Self.dense).jacobian(at: x, problem.θ)
    // Jᵀv must not be confused with J v: compare each with the matrix.
    #expect(relativeError(jt.value, reference.matrix * t) < 1e-8)
    #expect(relativeError(jv.value, reference.matrix.transposedTimes(v)) < 1e-8)
  }

  static func svm(seed: UInt64) throws -> (MulticlassSVMDual, Double) {
    let (X, Y) = TestSupport.randomClassificationData(samples: 24, features: 5, classes: 3, seed: seed)
    return (try MulticlassSVMDual(X: X, Y: Y), 0.7)
  }

  /// The multiclass SVM dual by projected gradient onto the row simplices (the benchmark's
  /// condition) and by block coordinate descent: the same derivatives as a dense LU of `A`.
  @Test func multiclassSVMDualMatchesDenseLU() throws {
    let (svm, l2) = try Self.svm(seed: 2)
    let θ = Vector([l2])
    let η = 1 / svm.lipschitzConstant(l2)
    let pg = try ProximalGradientCondition(
      objective: svm, projection: RowSimplexProjection(columns: 3), objectiveParameterCount: 1,
      projectionParameter: Vector([]), stepSize: η)
    let run = try FISTA(tolerance: 1e-14, maxIterations: 200_000).solve(pg, θ, from: svm.uniformStart)
    let β = pg.refined(run.solution, θ).solution
    #expect(pg(β, θ).norm() < 1e-12)
    #expect(β.scalars.contains(0))
    let policy = DerivativePolicy(degeneracy: .flag)
    try compare(pg, at: β, θ, policy: policy)
    let bcd = try BlockCoordinateDescentCondition(
      objective: svm, blockProjection: SimplexProjection(), projectionParameter: 1,
      blocks: BlockPartition(blockSize: 3, dimension: β.count), objectiveParameterCount: 1, stepSize: η)
    try compare(bcd, at: β, θ, policy: policy)
  }

  /// A CG budget too small to converge: the derivative reports the solve as not converged, with the
  /// true residual of `A w = −B t` (recomputed here independently from the condition's products).
  @Test func unconvergedInnerSolveIsReportedWithTheTrueResidual() throws {
    let (A, b) = Self.data(seed: 3, rows: 30, columns: 20)
    let λ = 0.05 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    let t = Vector((0..<problem.θ.count).map { Double($0 % 5) - 2 })
    let options = ImplicitOptions(
      linearSolver: ConjugateGradient(relativeTolerance: 1e-12, maxIterations: 2), policy: .flagAll)
    let jvp = try ImplicitDifferentiator(problem.condition, options: options).jvp(t, at: x, problem.θ)
    let summary = jvp.diagnostics.linearSolve
    #expect(summary.method.hasSuffix(Self.marker))
    #expect(summary.status != .converged)
    #expect(!jvp.diagnostics.isReliable)
    let c = problem.condition
    var residual = try #require(c.parameterJacobianProduct(t, at: x, problem.θ)).scaled(by: -1)
    residual = residual - (try #require(c.solutionJacobianProduct(jvp.value, at: x, problem.θ)))
    #expect(abs(summary.residualNorm - residual.norm()) <= 1e-12 * max(1, residual.norm()))
    #expect(summary.residualNorm > 1e-12 * residual.norm())
    // And the default policy throws instead.
    #expect(throws: ImplicitError.self) {
      try ImplicitDifferentiator(
        problem.condition, options: ImplicitOptions(linearSolver: ConjugateGradient(maxIterations: 2))
      ).jvp(t, at: x, problem.θ)
    }
  }

  /// Two identical columns both on the support: `H` is singular on `range(P)`, so `S` and `A` are
  /// singular. The failure is reported (the solve or the certificate's probe), never a number.
  @Test func singularCurvatureOnTheSupportIsReported() throws {
    var (A, b) = Self.data(seed: 13, rows: 12, columns: 6)
    for r in 0..<A.rows { A[r, 5] = A[r, 4] }
    let λ = 0.05 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    #expect(x[4] != 0 && x[5] != 0)
    var rng = SeededGenerator(seed: 9)
    let v = rng.normalVector(6)
    for solver in [ConjugateGradient() as any LinearSolver, AutomaticLinearSolver()] {
      let d = ImplicitDifferentiator(problem.condition, options: ImplicitOptions(linearSolver: solver))
      do {
        _ = try d.vjp(v, at: x, problem.θ)
        Issue.record("a singular A gave a derivative with \(solver)")
      } catch ImplicitError.linearSolveFailed(let summary) {
        #expect(summary.method.contains(Self.marker), "\(summary)")
      }
      var flagged = ImplicitOptions(linearSolver: solver, policy: .flagAll)
      flagged.policy.degeneracy = .ignore
      let derivative = try ImplicitDifferentiator(problem.condition, options: flagged).vjp(v, at: x, problem.θ)
      #expect(!derivative.diagnostics.isReliable)
    }
  }

  /// `θ = M(p) = p + p + c`: a reparametrised condition keeps the reformulation (`A` does not
  /// change), and its derivatives match the dense LU of `A`.
  @Test func reparametrizedConditionKeepsTheReformulation() throws {
    struct Affine: ParameterMap {
      var shift: Vector<Double>
      @differentiable(reverse)
      func callAsFunction(_ p: Vector<Double>) -> Vector<Double> { p + p + shift }
    }
    let (A, b) = Self.data(seed: 3, rows: 12, columns: 8)
    let λ = 0.3 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    let shift = Vector((0..<problem.θ.count).map { 0.1 * Double($0 % 3) })
    let condition = Reparametrized(problem.condition, map: Affine(shift: shift))
    let p = (problem.θ - shift).scaled(by: 0.5)
    #expect(condition.symmetricReformulation(at: x, p) != nil)
    try compare(condition, at: x, p)
  }

  /// Every projection that declares `jacobianIsOrthogonalProjector` has a symmetric, idempotent
  /// Jacobian (neither 0 nor I) at random points inside and outside the set; the l2 ball, which
  /// does not declare it, has a Jacobian that is not idempotent outside.
  @Test func declaredProjectorJacobiansAreOrthogonalProjectors() throws {
    var rng = SeededGenerator(seed: 41)
    func check<P: Projection>(_ projection: P, _ θ: P.Parameter, _ points: [Vector<Double>]) {
      #expect(projection.jacobianIsOrthogonalProjector, "\(P.self)")
      var nonTrivial = false
      for z in points {
        let j = projection.jacobian(at: z, θ)
        let n = z.count
        #expect(relativeError(j, j.transposed()) < 1e-12 || j.scalars.allSatisfy { $0 == 0 }, "\(P.self)")
        #expect((j * j - j).scalars.map(abs).max() ?? 0 < 1e-12, "\(P.self) at \(z)")
        if (j - Matrix<Double>.identity(n)).scalars.contains(where: { abs($0) > 1e-8 })
          && j.scalars.contains(where: { abs($0) > 1e-8 })
        {
          nonTrivial = true
        }
      }
      #expect(nonTrivial, "\(P.self): only trivial Jacobians tested")
    }
    let n = 6
    let points = (0..<4).map { _ in rng.normalVector(n) } + (0..<4).map { _ in rng.normalVector(n).scaled(by: 0.2) }
    check(SimplexProjection(), 1, points)
    check(RowSimplexProjection(columns: 3), Vector([]), points)
    check(SparseSimplexProjection(maxNonzeros: 3), 1, points)
    check(
      BoxProjection(), BoxBounds(lower: Vector(repeating: -0.5, count: n), upper: Vector(repeating: 0.5, count: n)),
      points)
    check(NonNegativeProjection(), Vector([]), points)
    check(LInfinityBallProjection(), 0.5, points)
    check(L1SphereProjection(), 1, points)
    check(L1BallProjection(), 1, points)
    let a = rng.normalVector(n)
    check(HyperplaneProjection(), Hyperplane(normal: a, offset: 0.3), points)
    check(HalfspaceProjection(), Hyperplane(normal: a, offset: 0.3), points)
    check(AffineSetProjection(), AffineSet(A: rng.normalMatrix(rows: 2, columns: n), b: rng.normalVector(2)), points)
    check(
      BoxSectionProjection(),
      BoxSection(
        lower: Vector(repeating: -0.5, count: n), upper: Vector(repeating: 0.5, count: n),
        weights: Vector((0..<n).map { 1 + 0.1 * Double($0) }), value: 0.4), points)
    #expect(!L2BallProjection().jacobianIsOrthogonalProjector)
    let j = L2BallProjection().jacobian(at: points[0], 0.5)
    #expect((j * j - j).scalars.map(abs).max() ?? 0 > 1e-3)
  }

  /// The proxes that declare `D⁺` give the Moore–Penrose pseudo-inverse of the Jacobian their
  /// `jvp` applies: `DD⁺D = D`, `D⁺DD⁺ = D⁺`, `DD⁺` and `D⁺D` symmetric.
  @Test func declaredPseudoInversesAreMoorePenrose() throws {
    var rng = SeededGenerator(seed: 43)
    func check<P: ProximalOperator>(_ prox: P, _ θ: P.Parameter, _ z: Vector<Double>, _ η: Double) throws {
      let n = z.count
      let d = prox.jacobian(at: z, θ, scaling: η)
      var plus = Matrix<Double>.zeros(rows: n, columns: n)
      for c in 0..<n {
        let column = try #require(prox.jacobianPseudoInverseProduct(at: z, θ, scaling: η, .basis(c, count: n)))
        for r in 0..<n { plus[r, c] = column[r] }
      }
      func small(_ m: Matrix<Double>) -> Bool { (m.scalars.map(abs).max() ?? 0) < 1e-12 }
      #expect(small(d * plus * d - d), "\(P.self)")
      #expect(small(plus * d * plus - plus), "\(P.self)")
      #expect(small((d * plus) - (d * plus).transposed()), "\(P.self)")
      #expect(small((plus * d) - (plus * d).transposed()), "\(P.self)")
      #expect(small(d - d.transposed()), "\(P.self)")
      // Neither zero nor invertible: the pseudo-inverse is exercised on a non-trivial null space.
      #expect(d.scalars.contains { $0 != 0 } && !small(d * plus - Matrix<Double>.identity(n)), "\(P.self): trivial D")
    }
    let z = rng.normalVector(8)
    try check(LassoProximal(), Vector([0.6]), z, 0.9)
    try check(NonNegativeLassoProximal(), Vector([0.3]), z, 0.9)
    try check(ElasticNetProximal(), Vector([0.6, 0.8]), z, 0.9)
    try check(JAXoptElasticNetProximal(), Vector([0.6, 0.8]), z, 0.9)
    try check(NonNegativeRidgeProximal(), Vector([0.7]), z, 0.9)
    try check(ProjectionProximal(SimplexProjection()), 1, z.scaled(by: 0.2), 1)
    let ridge = RidgeProximal()
    let dr = ridge.jacobian(at: z, Vector([0.7]), scaling: 0.9)
    let pr = try #require(ridge.jacobianPseudoInverseProduct(at: z, Vector([0.7]), scaling: 0.9, z))
    #expect(relativeError(dr * pr, z) < 1e-14)
    #expect(
      try GroupLassoProximal(groupSizes: [4, 4]).jacobianPseudoInverseProduct(at: z, Vector([0.3]), scaling: 1, z)
        == nil)
  }

  /// The prepared Jacobian products (support found once) apply the same one-sided Jacobian as
  /// `jvp`, and it is an orthogonal projector (symmetric, idempotent), as declared.
  @Test func preparedProjectorJacobiansMatchJVP() throws {
    var rng = SeededGenerator(seed: 31)
    let z = rng.normalVector(12).scaled(by: 0.1), v = rng.normalVector(12), u = rng.normalVector(12)
    let simplex = SimplexProjection().preparedJacobianProduct(at: z, 1)
    let rows = RowSimplexProjection(columns: 4).preparedJacobianProduct(at: z, Vector([]))
    let blockProx = BlockProjectionProximal(
      SimplexProjection(), parameter: 1, blocks: try BlockPartition(blockSize: 3, dimension: 12))
    let blocks = blockProx.preparedJacobianProduct(at: z, Vector([]), scaling: 0.5)
    let cases: [((Vector<Double>) -> Vector<Double>, (Vector<Double>) -> Vector<Double>)] = [
      (simplex, { SimplexProjection().jvp(at: z, 1, $0, 0) }),
      (rows, { RowSimplexProjection(columns: 4).jvp(at: z, Vector([]), $0, Vector([])) }),
      (blocks, { blockProx.jvp(at: z, Vector([]), scaling: 0.5, $0, Vector([])) }),
    ]
    for (prepared, jvp) in cases {
      #expect(relativeError(prepared(v), jvp(v)) < 1e-14)
      #expect(prepared(v).norm() > 0 && prepared(v).norm() < v.norm())
      #expect(abs(u.dot(prepared(v)) - prepared(u).dot(v)) < 1e-12)
      #expect(relativeError(prepared(prepared(v)), prepared(v)) < 1e-13)
    }
  }

  /// Off by default nowhere, off on request; a ridge or preconditioner also keeps `A` itself.
  @Test func switchAndMethodString() throws {
    let (A, b) = Self.data(seed: 3, rows: 12, columns: 8)
    let λ = 0.3 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try Problem(A: A, b: b, prox: LassoProximal(), proxParameter: Vector([λ]))
    let x = try problem.solve(problem.θ)
    let v = Vector((0..<8).map { Double($0) - 3.5 })
    let byDefault = try ImplicitDifferentiator(problem.condition).vjp(v, at: x, problem.θ)
    #expect(byDefault.diagnostics.linearSolve.method == "dense-cholesky " + Self.marker)
    let cg = try ImplicitDifferentiator(problem.condition, options: ImplicitOptions(linearSolver: ConjugateGradient()))
      .vjp(v, at: x, problem.θ)
    #expect(cg.diagnostics.linearSolve.method == "cg " + Self.marker)
    for options in [
      ImplicitOptions(reformulation: .none), ImplicitOptions(linearSolver: GMRES(), reformulation: .none),
      ImplicitOptions(ridge: -1e-12), ImplicitOptions(linearSolver: DenseQR()),
    ] {
      let off = try ImplicitDifferentiator(problem.condition, options: options).vjp(v, at: x, problem.θ)
      #expect(!off.diagnostics.linearSolve.method.contains(Self.marker))
      #expect(relativeError(off.value, byDefault.value) < 1e-8)
    }
    // A prox without a declared pseudo-inverse (group lasso) keeps A.
    let group = try ProximalGradientCondition(
      objective: LeastSquares(A: A), prox: GroupLassoProximal(groups: [[0, 1, 2, 3], [4, 5, 6, 7]]),
      objectiveParameterCount: 12,
      proxParameter: Vector([λ]), stepSize: 0.01)
    #expect(group.symmetricReformulation(at: x, problem.θ) == nil)
  }
}
