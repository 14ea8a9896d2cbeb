import ImplicitCore
import ImplicitTestSupport
import Testing

/// Every linear solver on SPD, non-symmetric, singular and non-finite systems. Answers are
/// checked against an independent Gaussian elimination and against the true residual computed
/// here with plain loops; the contract is "never an unflagged wrong vector".
@Suite("Linear solvers")
struct LinearSolverTests {
  /// The operator `x ↦ a x` (and `aᵀ`), applied with plain loops, independent of the kernels.
  static func op(_ a: Reference.Rows, structure: LinearStructure = .general) -> LinearOperator<Vector<Double>> {
    let at = Reference.transpose(a)
    return LinearOperator(
      template: Vector.zeros(a.count), structure: structure,
      apply: { Vector(Reference.matvec(a, $0.scalars)) },
      applyTransposed: { Vector(Reference.matvec(at, $0.scalars)) })
  }

  static func trueResidual(_ a: Reference.Rows, _ x: Vector<Double>, _ b: [Double], ridge: Double = 0) -> Double {
    let ax = Reference.matvec(a, x.scalars)
    return Reference.norm((0..<b.count).map { b[$0] - ax[$0] - ridge * x[$0] })
  }

  static let allMethods: [any LinearSolver] = [
    ConjugateGradient(), GMRES(restart: 100), GMRES(restart: 12), GMRES(restart: 3), BiCGSTAB(),
    NormalConjugateGradient(), DenseLU(), DenseCholesky(), DenseQR(), AutomaticLinearSolver(),
  ]
  /// Whether a method applies to any non-singular matrix (not only SPD ones).
  static func isGeneral(_ method: any LinearSolver) -> Bool {
    !(method is ConjugateGradient || method is DenseCholesky)
  }
  static let generalMethods = allMethods.filter(isGeneral)
  static let iterativeMethods: [any LinearSolver] = [
    ConjugateGradient(), GMRES(restart: 100), GMRES(restart: 3), BiCGSTAB(), NormalConjugateGradient(),
  ]

  /// The contract every result must meet: a `.converged` status implies a small true residual,
  /// and the reported residual is the true one.
  static func expectHonest(
    _ r: LinearSolveResult<Vector<Double>>, _ a: Reference.Rows, _ b: [Double], ridge: Double = 0,
    tolerance: Double, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    guard r.solution.count == b.count, r.solution.isFinite else {
      #expect(
        r.status != .converged, "\(r.method): converged with a non-finite solution", sourceLocation: sourceLocation)
      return
    }
    let residual = trueResidual(a, r.solution, b, ridge: ridge)
    if r.status == .converged {
      #expect(
        residual <= 10 * tolerance * Reference.norm(b),
        "\(r.method): status converged but true residual \(residual)", sourceLocation: sourceLocation)
    }
    if r.residualNorm.isFinite {
      #expect(
        Swift.abs(r.residualNorm - residual) <= 1e-8 * residual + 1e-13 * Reference.norm(b),
        "\(r.method): reported residual \(r.residualNorm), true \(residual)", sourceLocation: sourceLocation)
    }
  }

  @Test("SPD system: every method returns the right answer", arguments: allMethods)
  func spdSystem(method: any LinearSolver) {
    let a = Reference.spd(12, seed: 71), b = Reference.randomVector(12, seed: 72)
    let expected = Reference.solve(a, b)!
    let r = tuned(method, 1e-12).solve(
      Self.op(a, structure: .symmetricPositiveDefinite), Vector(b))
    #expect(r.status == .converged, "\(method): \(r.summary)")
    #expect(Reference.relativeError(r.solution.scalars, expected) < 1e-9, "\(method)")
    Self.expectHonest(r, a, b, tolerance: 1e-12)
  }

  @Test(
    "non-symmetric system: general methods converge; CG / Cholesky never claim a wrong answer",
    arguments: allMethods)
  func nonSymmetricSystem(method: any LinearSolver) {
    let a = Reference.nonSymmetric(12, seed: 73, shift: 3, scale: 2.5)
    let b = Reference.randomVector(12, seed: 74)
    let expected = Reference.solve(a, b)!
    let r = tuned(method, 1e-12, maxIterations: 400).solve(Self.op(a), Vector(b))
    if Self.isGeneral(method) {
      #expect(r.status == .converged, "\(method): \(r.summary)")
    }
    if r.status == .converged {
      #expect(Reference.relativeError(r.solution.scalars, expected) < 1e-8, "\(method): \(r.summary)")
    }
    Self.expectHonest(r, a, b, tolerance: 1e-12)
  }

  @Test("dense Cholesky of a non-symmetric matrix whose lower triangle is SPD is flagged")
  func choleskyReadsOnlyOneTriangle() {
    // Lower triangle + diagonal of `a` describe an SPD matrix; the upper triangle differs.
    let a: Reference.Rows = [[4, 3, -2], [1, 5, 2], [0.5, -1, 6]]
    let b = [1.0, -2, 0.5]
    let r = DenseCholesky().solve(Self.op(a), Vector(b))
    #expect(r.status != .converged, "\(r.summary)")
    Self.expectHonest(r, a, b, tolerance: 1e-10)
  }

  @Test("singular matrix with ridge: solves (A + rI)x = b", arguments: allMethods)
  func singularWithRidge(method: any LinearSolver) {
    let g = Reference.randomRows(4, 10, seed: 75)
    let a = Reference.matmul(Reference.transpose(g), g)  // rank 4, PSD
    let b = Reference.randomVector(10, seed: 76)
    let ridge = 0.5
    let expected = Reference.solve(Reference.add(a, Reference.identity(10), scale: ridge), b)!
    let r = tuned(method, 1e-12, maxIterations: 1000).solve(
      Self.op(a, structure: .symmetric).shifted(by: ridge), Vector(b))
    #expect(r.status == .converged, "\(method): \(r.summary)")
    #expect(Reference.relativeError(r.solution.scalars, expected) < 1e-9, "\(method)")
    Self.expectHonest(r, a, b, ridge: ridge, tolerance: 1e-12)
  }

  @Test("non-symmetric singular matrix with ridge", arguments: generalMethods)
  func nonSymmetricSingularWithRidge(method: any LinearSolver) {
    var a = Reference.nonSymmetric(8, seed: 77, shift: 2, scale: 1)
    a[5] = a[2]  // two equal rows: singular
    let b = Reference.randomVector(8, seed: 78), ridge = 1.0
    let expected = Reference.solve(Reference.add(a, Reference.identity(8), scale: ridge), b)!
    let r = tuned(method, 1e-12, maxIterations: 400).solve(Self.op(a).shifted(by: ridge), Vector(b))
    #expect(r.status == .converged, "\(method): \(r.summary)")
    #expect(Reference.relativeError(r.solution.scalars, expected) < 1e-8, "\(method)")
    Self.expectHonest(r, a, b, ridge: ridge, tolerance: 1e-12)
  }

  @Test(
    "singular matrix without ridge: dense LU / QR report .singular, nobody claims convergence",
    arguments: allMethods)
  func singularWithoutRidge(method: any LinearSolver) {
    // Row 1 is twice row 0: elimination produces an exact zero pivot.
    let a: Reference.Rows = [[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 1, 1], [1, 0, 2, 1]]
    let b = [1.0, 0, 0, 0]  // not in the range (it would need b₁ = 2b₀)
    let r = tuned(method, 1e-12).solve(Self.op(a), Vector(b))
    #expect(r.status != .converged, "\(method): \(r.summary)")
    if method is DenseLU || method is DenseQR || method is AutomaticLinearSolver {
      #expect(r.status == .singular, "\(method): \(r.summary)")
    }
    Self.expectHonest(r, a, b, tolerance: 1e-12)
  }

  @Test("singular symmetric PSD matrix: dense Cholesky reports .notPositiveDefinite")
  func singularCholesky() {
    let a: Reference.Rows = [[2, 1, 0], [1, 2, 0], [0, 0, 0]]
    let r = DenseCholesky().solve(Self.op(a, structure: .symmetric), Vector([1.0, 1, 1]))
    #expect(r.status == .notPositiveDefinite, "\(r.summary)")
  }

  @Test("NaN in b → .nonFiniteInput", arguments: allMethods)
  func nanRightHandSide(method: any LinearSolver) {
    let a = Reference.spd(5, seed: 79)
    var b = Reference.randomVector(5, seed: 80)
    b[2] = .nan
    let r = method.solve(Self.op(a, structure: .symmetricPositiveDefinite), Vector(b))
    #expect(r.status == .nonFiniteInput, "\(method): \(r.summary)")
    b[2] = .infinity
    let r2 = method.solve(Self.op(a, structure: .symmetricPositiveDefinite), Vector(b))
    #expect(r2.status == .nonFiniteInput, "\(method): \(r2.summary)")
  }

  @Test("NaN produced by the operator → a non-converged status", arguments: allMethods)
  func nanFromOperator(method: any LinearSolver) {
    let a = Reference.spd(5, seed: 81)
    let poisoned = LinearOperator<Vector<Double>>(
      template: Vector.zeros(5), structure: .symmetricPositiveDefinite,
      apply: { v in
        var y = Vector(Reference.matvec(a, v.scalars))
        y[3] = .nan
        return y
      })
    let r = method.solve(poisoned, Vector(Reference.randomVector(5, seed: 82)))
    #expect(r.status != .converged, "\(method): \(r.summary)")
    #expect(r.status != .maxIterationsReached || r.iterations > 0)
  }

  @Test(
    "maxIterations too small → .maxIterationsReached with iterations and true residual", arguments: iterativeMethods)
  func iterationBudget(method: any LinearSolver) {
    let n = 30
    let a = Reference.spd(n, seed: 83, shift: 0.05), b = Reference.randomVector(n, seed: 84)
    let r = tuned(method, 1e-12, maxIterations: 2)
      .solve(Self.op(a, structure: .symmetricPositiveDefinite), Vector(b))
    #expect(r.status == .maxIterationsReached, "\(method): \(r.summary)")
    #expect(r.iterations >= 1 && r.iterations <= 2, "\(method): \(r.iterations) iterations")
    let residual = Self.trueResidual(a, r.solution, b)
    #expect(r.residualNorm.isFinite && r.residualNorm > 1e-12 * Reference.norm(b))
    #expect(Swift.abs(r.residualNorm - residual) <= 1e-10 * residual, "\(r.residualNorm) vs \(residual)")
    #expect(r.rightHandSideNorm == Reference.norm(b) || Swift.abs(r.rightHandSideNorm - Reference.norm(b)) < 1e-14)
    #expect(!r.isConverged)
    #expect(r.summary.status == .maxIterationsReached && r.summary.iterations == r.iterations)
  }

  @Test("automatic picks a working method for large SPD and non-symmetric systems")
  func automaticOnLargeSystems() {
    let n = 80
    let spd = Reference.spd(n, seed: 85), b = Reference.randomVector(n, seed: 86)
    // Above the dense threshold (lowered here to keep the test fast): CG for SPD, else GMRES.
    let automatic = AutomaticLinearSolver(relativeTolerance: 1e-12, denseThreshold: 64)
    let r1 = automatic.solve(
      Self.op(spd, structure: .symmetricPositiveDefinite), Vector(b))
    #expect(r1.status == .converged, "\(r1.summary)")
    #expect(Reference.relativeError(r1.solution.scalars, Reference.solve(spd, b)!) < 1e-9)
    #expect(
      automatic.resolved(dimension: n, structure: .symmetricPositiveDefinite, rightHandSides: 80) is ConjugateGradient)

    let general = Reference.nonSymmetric(n, seed: 87, shift: 3, scale: 1.5)
    let r2 = automatic.solve(Self.op(general), Vector(b))
    #expect(r2.status == .converged, "\(r2.summary)")
    #expect(Reference.relativeError(r2.solution.scalars, Reference.solve(general, b)!) < 1e-9)
    #expect(automatic.resolved(dimension: n, structure: .general, rightHandSides: 80) is GMRES)
    // Dense Cholesky for SPD, else dense LU, when materialising A (n products) costs no more than
    // the Krylov solves it replaces, and only up to the one size threshold.
    let standard = AutomaticLinearSolver()
    let perSolve = AutomaticLinearSolver.productsPerKrylovSolve
    let threshold = AutomaticLinearSolver.defaultDenseThreshold
    #expect(standard.resolved(dimension: 10, structure: .general, rightHandSides: 1) is DenseLU)
    #expect(standard.resolved(dimension: 10, structure: .symmetricPositiveDefinite, rightHandSides: 1) is DenseCholesky)
    #expect(standard.resolved(dimension: perSolve + 1, structure: .general, rightHandSides: 1) is GMRES)
    #expect(standard.resolved(dimension: threshold, structure: .general, rightHandSides: threshold) is DenseLU)
    #expect(
      standard.resolved(dimension: threshold + 1, structure: .symmetricPositiveDefinite, rightHandSides: threshold + 1)
        is ConjugateGradient)
    // The tolerance is handed to the chosen method.
    #expect(automatic.resolved(dimension: 10, structure: .general, rightHandSides: 1).tolerance == automatic.tolerance)
  }

  @Test(
    "Jacobi preconditioning: right answers on badly scaled systems",
    arguments: [ConjugateGradient(), GMRES(restart: 5), BiCGSTAB(), NormalConjugateGradient()] as [any LinearSolver])
  func jacobiPreconditioning(method: any LinearSolver) {
    let n = 15
    // D S D with D spanning three orders of magnitude, plus a skew part for the general methods.
    let s = Reference.spd(n, seed: 88)
    let d = (0..<n).map { Reference.exp(Double($0) * 0.5) }
    var a = (0..<n).map { i in (0..<n).map { j in d[i] * s[i][j] * d[j] } }
    let symmetric = method is ConjugateGradient
    if !symmetric {
      let skew = Reference.randomRows(n, n, seed: 89, scale: 0.1)
      for i in 0..<n { for j in 0..<n { a[i][j] += d[i] * (skew[i][j] - skew[j][i]) * d[j] } }
    }
    let diagonal = Vector((0..<n).map { a[$0][$0] })
    let b = Reference.randomVector(n, seed: 90)
    let r = tuned(method, 1e-12, maxIterations: 2000).solve(
      Self.op(a, structure: symmetric ? .symmetricPositiveDefinite : .general), Vector(b),
      preconditioner: .jacobi(diagonal: diagonal))
    #expect(r.status == .converged, "\(method): \(r.summary)")
    #expect(Reference.relativeError(r.solution.scalars, Reference.solve(a, b)!) < 1e-7, "\(method)")
    Self.expectHonest(r, a, b, tolerance: 1e-12)
  }

  @Test("an exact initial guess converges at once", arguments: iterativeMethods)
  func exactInitialGuess(method: any LinearSolver) {
    let a = Reference.spd(9, seed: 91), b = Reference.randomVector(9, seed: 92)
    let x = Vector(Reference.solve(a, b)!)
    let r = tuned(method, 1e-8).solve(
      Self.op(a, structure: .symmetricPositiveDefinite), Vector(b), initialGuess: x)
    #expect(r.status == .converged, "\(method): \(r.summary)")
    #expect(r.iterations <= 1, "\(method): \(r.iterations)")
    #expect(Reference.relativeError(r.solution.scalars, x.scalars) < 1e-10)
  }

  @Test("b = 0 gives x = 0, converged, for every method", arguments: allMethods)
  func zeroRightHandSide(method: any LinearSolver) {
    let a = Reference.spd(4, seed: 93)
    let r = method.solve(Self.op(a, structure: .symmetricPositiveDefinite), Vector.zeros(4))
    #expect(r.status == .converged)
    #expect(r.solution.scalars == [0, 0, 0, 0])
  }

  @Test("largestEigenvalue and squaredSpectralNorm against closed forms")
  func spectralEstimates() {
    let diagonal: Reference.Rows = [[1, 0, 0], [0, 5, 0], [0, 0, 3]]
    let lambda = Self.op(diagonal, structure: .symmetric).largestEigenvalue()
    #expect(Swift.abs(lambda - 5) < 1e-8)
    // ‖A‖₂² of a 2×2 matrix: the larger root of λ² − tr(AᵀA)λ + det(A)² = 0.
    let (p, q, r, s) = (1.5, -0.7, 0.4, 2.2)
    let trace = p * p + q * q + r * r + s * s, det = p * s - q * r
    let expected = (trace + (trace * trace - 4 * det * det).squareRoot()) / 2
    let m = Matrix<Double>([[p, q], [r, s]])
    #expect(Swift.abs(m.squaredSpectralNorm() - expected) < 1e-8 * expected)
  }

  @Test(
    "NaN, negative or all-zero tolerances are refused with .invalidTolerance, never a silent x = 0",
    arguments: allMethods)
  func invalidTolerances(method: any LinearSolver) {
    let a = Reference.spd(5, seed: 94), b = Vector(Reference.randomVector(5, seed: 95))
    let invalid = [
      LinearSolverTolerance(relative: .nan), LinearSolverTolerance(relative: -1e-8),
      LinearSolverTolerance(relative: 0, absolute: 0), LinearSolverTolerance(relative: 1e-8, absolute: .nan),
      LinearSolverTolerance(relative: .infinity),
    ]
    for tolerance in invalid {
      var solver = method
      solver.tolerance = tolerance
      let r = solver.solve(Self.op(a, structure: .symmetricPositiveDefinite), b)
      guard case .invalidTolerance = r.status else {
        Issue.record("\(method) with \(tolerance): \(r.summary)")
        continue
      }
      #expect(!r.isConverged)
    }
  }

  @Test("an invalid tolerance in ImplicitOptions is a typed error, not a derivative")
  func invalidToleranceThroughTheDifferentiator() {
    let m = Reference.matrix(Reference.nonSymmetric(4, seed: 96, shift: 3, scale: 1))
    for solver in [
      GMRES(relativeTolerance: .nan), DenseLU(relativeTolerance: -1), ConjugateGradient(relativeTolerance: 0),
    ]
      as [any LinearSolver]
    {
      let d = ImplicitDifferentiator(LinearRoot(M: m), options: ImplicitOptions(linearSolver: solver))
      #expect(throws: ImplicitError.self, "\(solver)") {
        try d.vjp(Vector([1.0, 1, 1, 1]), at: Vector.zeros(4), Vector.zeros(4))
      }
    }
  }

  @Test("a prepared iterative solver solves A x = b and Aᵀ y = c with the transposed preconditioner")
  func preparedTransposedSolve() {
    let a = Reference.nonSymmetric(10, seed: 97, shift: 3, scale: 1.5)
    let b = Reference.randomVector(10, seed: 98)
    for method in [GMRES(restart: 10, relativeTolerance: 1e-12), BiCGSTAB(relativeTolerance: 1e-12)]
      as [any LinearSolver]
    {
      let prepared = method.prepare(Self.op(a), preconditioner: .jacobi(diagonal: Vector((0..<10).map { a[$0][$0] })))
      let x = prepared.solve(Vector(b)), y = prepared.solveTransposed(Vector(b))
      #expect(x.status == .converged && y.status == .converged, "\(method): \(x.summary); \(y.summary)")
      #expect(Reference.relativeError(x.solution.scalars, Reference.solve(a, b)!) < 1e-9)
      #expect(Reference.relativeError(y.solution.scalars, Reference.solve(Reference.transpose(a), b)!) < 1e-9)
      Self.expectHonest(y, Reference.transpose(a), b, tolerance: 1e-12)
    }
  }
}

/// `solver` with the given stopping rule.
func tuned(_ solver: any LinearSolver, _ relative: Double, maxIterations: Int? = nil) -> any LinearSolver {
  var solver = solver
  solver.tolerance = LinearSolverTolerance(relative: relative, maxIterations: maxIterations)
  return solver
}
