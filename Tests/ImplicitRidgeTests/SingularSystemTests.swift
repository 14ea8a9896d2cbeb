import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

/// A singular `A` is detected on every path, whatever the solver: ridge with a duplicated column
/// at `θ = 0`, where `AᵀA` is singular and `x*` is not unique (CG used to return a `jvp` and a
/// `gradient(at:)` with status "converged" while `jacobian` failed).
@Suite("Singular A is detected on every path")
struct SingularSystemTests {
  /// `A = [a a c]`, and the minimum-norm least-squares solution (its two copies equal).
  func duplicateColumnRidge() throws -> (condition: RidgeCondition, x: Vector<Double>) {
    var rng = SeededGenerator(seed: 91)
    let a = rng.normalVector(8), c = rng.normalVector(8), b = rng.normalVector(8)
    let A = Matrix(rows: 8, columns: 3, scalars: (0..<8).flatMap { [a[$0], a[$0], c[$0]] })
    let merged = Matrix(rows: 8, columns: 2, scalars: (0..<8).flatMap { [a[$0], c[$0]] })
    let y = try #require(CholeskyFactorization(merged.transposed() * merged)).solve(merged.transposedTimes(b).scalars)
    let x = Vector([y[0] / 2, y[0] / 2, y[1]])
    let condition = try RidgeCondition(A: A, b: b)
    #expect(condition(x, 0).norm() < 1e-12)  // a root
    return (condition, x)
  }

  static let solvers: [any LinearSolver] = [
    ConjugateGradient(), GMRES(), BiCGSTAB(), NormalConjugateGradient(), DenseLU(), AutomaticLinearSolver(),
  ]

  /// Dense QR is the explicit request for the minimum-norm derivative: it is given, and it is
  /// the derivative of the minimum-norm solution path (equal copies: ∂x₀ = ∂x₁).
  @Test func denseQRGivesTheMinimumNormDerivativeOnRequest() throws {
    let (condition, x) = try duplicateColumnRidge()
    let d = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: DenseQR()))
    let j = try d.jvp(1, at: x, 0)
    #expect(j.value.isFinite && abs(j.value[0] - j.value[1]) <= 1e-10 * j.value.norm())
  }

  @Test("default policy: jacobian, vjp, jvp throw linearSolveFailed", arguments: solvers)
  func everyPathThrows(solver: any LinearSolver) throws {
    let (condition, x) = try duplicateColumnRidge()
    let d = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: solver))
    for call in [
      { _ = try d.jacobian(at: x, 0) }, { _ = try d.vjp(Vector([1, 0, 0]), at: x, 0) }, { _ = try d.jvp(1, at: x, 0) },
    ] {
      do {
        try call()
        Issue.record("\(solver): a singular A gave a derivative")
      } catch let error as ImplicitError {
        guard case .linearSolveFailed = error else {
          Issue.record("\(solver): \(error)")
          continue
        }
      }
    }
  }

  @Test("the differentiable wrapper: NaN gradient and a reported failure", arguments: solvers)
  func wrapperReportsNaN(solver: any LinearSolver) throws {
    let (condition, x) = try duplicateColumnRidge()
    let recorder = DiagnosticsRecorder()
    let f = ImplicitFunction(
      condition: condition, options: ImplicitOptions(linearSolver: solver, onDiagnostics: recorder.handler)
    ) { _ in x }
    let g = gradient(at: 0.0) { θ in f(θ).sum() }
    #expect(g.isNaN, "\(solver)")
    guard case .failure(let error)? = recorder.last, case .linearSolveFailed? = error as? ImplicitError else {
      Issue.record("\(solver): expected a recorded linearSolveFailed, got \(String(describing: recorder.last))")
      return
    }
  }

  @Test("flag policy: the derivative comes back marked unreliable", arguments: solvers)
  func flaggedWhenAsked(solver: any LinearSolver) throws {
    let (condition, x) = try duplicateColumnRidge()
    let d = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: solver, policy: DerivativePolicy(linearSolveFailure: .flag)))
    let jvp = try d.jvp(1, at: x, 0).diagnostics
    #expect(!jvp.isReliable, "\(solver)")
    // Either the solve itself failed, or it "converged" and the random probe caught the singular A.
    #expect(jvp.linearSolve.status != .converged || jvp.failedSingularityProbe != nil, "\(solver): \(jvp)")
    #expect(try !d.vjp(Vector([1, 0, 0]), at: x, 0).diagnostics.isReliable, "\(solver)")
    #expect(try !d.jacobian(at: x, 0).diagnostics.isReliable, "\(solver)")
  }

  @Test("CG: a singular PSD A is not positive definite; a residual that stops falling ends the solve")
  func conjugateGradientDetection() throws {
    // Singular PSD A = diag(1, …, 1, 0) and b outside its range: a direction of zero curvature.
    let n = 80
    var m = Matrix<Double>.identity(n)
    m[n - 1, n - 1] = 0
    let singular = LinearOperator<Vector<Double>>(template: .zeros(n), structure: .symmetricPositiveDefinite) { v in
      m * v
    }
    let first = ConjugateGradient(maxIterations: 10_000).solve(singular, Vector(repeating: 1, count: n))
    #expect(first.status == .notPositiveDefinite)
    // A = I + S, S skew (wrongly declared SPD): every curvature ⟨p, Ap⟩ = ‖p‖² is positive, but
    // CG's recurrences do not hold and the residual stalls.
    var k = Matrix<Double>.identity(n)
    for i in stride(from: 0, to: n, by: 2) {
      k[i, i + 1] = 10
      k[i + 1, i] = -10
    }
    let skew = LinearOperator<Vector<Double>>(template: .zeros(n), structure: .symmetricPositiveDefinite) { v in k * v }
    let second = ConjugateGradient(maxIterations: 10_000).solve(skew, Vector((0..<n).map { Double($0 % 7) - 3 }))
    #expect(!second.isConverged)
    guard case .breakdown(let why) = second.status else {
      Issue.record("status \(second.status)")
      return
    }
    #expect(why.contains("stagnated") && second.iterations < 1000, "\(why) after \(second.iterations)")
  }

  @Test("a right-hand side of the wrong length: a status or NaNs, never a trap")
  func wrongLengthRightHandSide() throws {
    let op = LinearOperator<Vector<Double>>(template: .zeros(3), structure: .symmetricPositiveDefinite) { v in v }
    for solver in Self.solvers {
      let result = solver.solve(op, Vector([1, 2, 3, 4, 5]))
      #expect(result.status == .dimensionMismatch(expected: 3, actual: 5), "\(solver): \(result.status)")
    }
    let identity = Matrix<Double>.identity(3)
    #expect(try #require(CholeskyFactorization(identity)).solve([1]).allSatisfy(\.isNaN))
    let lu = try #require(LUFactorization(identity))
    #expect(lu.solve([1]).allSatisfy(\.isNaN) && lu.solveTransposed([1, 2]).allSatisfy(\.isNaN))
    let qr = try #require(QRFactorization(identity))
    #expect(qr.solve([1]).allSatisfy(\.isNaN) && qr.solveTransposed([1, 2]).allSatisfy(\.isNaN))
    #expect(lu.solve([1, 2, 3]) == [1, 2, 3])
  }
}
