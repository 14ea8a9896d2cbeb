import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjectedGradient
import ImplicitProjections

/// Checks ``SVMFastCondition`` against the library's family condition for the same solver —
/// ``MirrorDescentCondition`` with ``KLRowSimplexMirrorMap``, ``ProximalGradientCondition`` with ``ProjectionProximal``
/// with ``RowSimplexProjection``, ``BlockCoordinateDescentCondition`` with
/// ``SimplexProjection`` blocks, all on the library's ``MulticlassSVMDual`` — on a small
/// instance solved by the same solver: `F`, `Aᵀu`, `Bᵀu` for a random `u`, and the implicit
/// hypergradient through each condition.
enum SVMFamilyCheck {
  struct Report {
    var residual: Double
    var transposedProduct: Double
    var product: Double
    var parameterProduct: Double
    var hypergradient: Double
    var activeRows: [Int]

    /// The worst of two reports.
    func worst(_ other: Report) -> Report {
      Report(
        residual: max(residual, other.residual), transposedProduct: max(transposedProduct, other.transposedProduct),
        product: max(product, other.product), parameterProduct: max(parameterProduct, other.parameterProduct),
        hypergradient: max(hypergradient, other.hypergradient), activeRows: activeRows + other.activeRows)
    }

    var note: String {
      "fast condition vs the family condition on MulticlassSVMDual (instances n = 41, k = 5, P = 13 through X and P = 29 through the kernel; \(activeRows.map(String.init).joined(separator: ", ")) active rows), at the solution and at an early iterate: worst relative differences "
        + "F \(svmFormat(residual)) (early iterate), Aᵀu \(svmFormat(transposedProduct)), Av \(svmFormat(product)), Bᵀu \(svmFormat(parameterProduct)), "
        + "implicit hypergradient \(svmFormat(hypergradient))"
    }
  }

  static func run(_ kind: SVMSolverKind) throws -> Report {
    try check(kind, features: 13).worst(check(kind, features: 29))
  }

  static func check(_ kind: SVMSolverKind, features p: Int) throws -> Report {
    var activeRows = 0
    let (n, k) = (41, 5)
    let problem = SVMBenchmarkProblem(samples: n, features: p, classes: k, theta: 1, seed: 0xC4EC, threads: 1)
    let theta = problem.theta
    let op = problem.makeOperator()
    let eta = theta / problem.squaredSpectralNorm
    func solve(_ iterations: Int) -> [Double] {
      switch kind {
      case .md:
        SVMSolvers.mirrorDescent(problem, op, theta: theta, stepSize: eta, iterations: iterations, record: false).beta
      case .pg:
        SVMSolvers.acceleratedProjectedGradient(
          problem, op, theta: theta, stepSize: eta, iterations: iterations, record: false
        ).beta
      case .bcd:
        SVMSolvers.blockCoordinateDescent(
          problem, op, theta: theta, stepSizes: problem.rowSquaredNorms.map { theta / $0 }, sweeps: iterations / 10,
          record: false
        ).beta
      }
    }
    let beta = solve(3000)
    let fast = SVMFastCondition(problem, op, geometry: kind.geometry, at: beta, theta: theta)
    activeRows = fast.activeProducts?.count ?? n
    let objective = try MulticlassSVMDual(
      X: Matrix(rows: n, columns: p, scalars: problem.X), Y: Matrix(rows: n, columns: k, scalars: problem.Y))
    var rng = SeededGenerator(seed: 99)
    let u = rng.normalVector(n * k)
    let x = Vector(beta), parameter = Vector([theta])
    // A second point far from the solution (where F is not small and the products take the
    // fast condition's uncached path).
    let early = Vector(solve(20))
    let outer = problem.outerLoss(beta, theta: theta)
    let solver = ImplicitOptions(linearSolver: GMRES(restart: 200, relativeTolerance: 1e-12))
    let fastHypergradient = try ImplicitDifferentiator(fast, options: solver).vjp(Vector(outer.beta), at: x, theta)
      .value

    func compare<C: OptimalityCondition>(_ family: C) throws -> Report
    where C.Solution == Vector<Double>, C.Parameter == Vector<Double> {
      var report = Report(
        residual: svmRelative(fast(early, theta).scalars, family(early, parameter).scalars), transposedProduct: 0,
        product: 0, parameterProduct: 0, hypergradient: 0, activeRows: [activeRows])
      // A v along a direction that keeps the active rows (where the active-set products apply)
      // and along a general one.
      let tangent = Vector(fast.mapJacobian(u.scalars, fast.anchor))
      for point in [x, early] {
        let at = family.solutionJacobianTransposedProduct(u, at: point, parameter) ?? Vector([])
        let bt = family.parameterJacobianTransposedProduct(u, at: point, parameter) ?? Vector([.nan])
        report.transposedProduct = max(
          report.transposedProduct,
          svmRelative(fast.solutionJacobianTransposedProduct(u, at: point, theta)!.scalars, at.scalars))
        report.parameterProduct = max(
          report.parameterProduct, svmRelative(fast.parameterJacobianTransposedProduct(u, at: point, theta)!, bt[0]))
        for v in [tangent, u] {
          let av = family.solutionJacobianProduct(v, at: point, parameter) ?? Vector([])
          report.product = max(
            report.product, svmRelative(fast.solutionJacobianProduct(v, at: point, theta)!.scalars, av.scalars))
        }
      }
      let familyHypergradient = try ImplicitDifferentiator(family, options: solver).vjp(
        Vector(outer.beta), at: x, parameter
      ).value
      report.hypergradient = svmRelative(fastHypergradient, familyHypergradient[0])
      return report
    }

    switch kind {
    case .md:
      return try compare(MirrorDescentCondition(objective: objective, mirrorMap: KLRowSimplexMirrorMap(columns: k)))
    case .pg:
      return try compare(
        ProximalGradientCondition(
          objective: objective, projection: RowSimplexProjection(columns: k), objectiveParameterCount: 1,
          projectionParameter: Vector<Double>([]), stepSize: 1))
    case .bcd:
      return try compare(
        BlockCoordinateDescentCondition(
          objective: objective, blockProjection: SimplexProjection(), projectionParameter: 1.0,
          blocks: BlockPartition(blockSize: k, dimension: n * k), objectiveParameterCount: 1))
    }
  }
}
