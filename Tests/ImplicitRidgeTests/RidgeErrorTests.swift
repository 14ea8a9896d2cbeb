import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

/// Runs `body` and expects it to throw an error satisfying `predicate`.
func expectThrows(
  _ body: () throws -> Void, _ predicate: (any Error) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
) {
  do {
    try body()
    Issue.record("expected an error, none was thrown", sourceLocation: sourceLocation)
  } catch {
    #expect(predicate(error), "unexpected error: \(error)", sourceLocation: sourceLocation)
  }
}

/// Bad input gives a typed error, never a trap or a plausible number.
@Suite("Ridge: bad input → typed errors")
struct RidgeErrorTests {
  let problem = RidgeProblem.random()
  let θ = 0.7

  static func isShapeMismatch(_ error: any Error) -> Bool {
    if case ImplicitError.shapeMismatch = error { return true }
    return false
  }
  static func isNonFinite(_ error: any Error) -> Bool {
    if case ImplicitError.nonFinite = error { return true }
    return false
  }
  static func failedSolveStatus(_ error: any Error) -> LinearSolveStatus? {
    if case ImplicitError.linearSolveFailed(let summary) = error { return summary.status }
    return nil
  }

  @Test("data of the wrong shape or non-finite is refused at construction")
  func constructionErrors() {
    let a = problem.A
    expectThrows({ _ = try RidgeCondition(A: a, b: Vector.zeros(a.rows + 1)) }, Self.isShapeMismatch)
    expectThrows({ _ = try PerFeatureRidgeCondition(A: a, b: Vector.zeros(a.rows - 1)) }, Self.isShapeMismatch)
    var nanA = a
    nanA[0, 0] = .nan
    expectThrows({ _ = try RidgeCondition(A: nanA, b: Vector.zeros(a.rows)) }, Self.isNonFinite)
    var infB = Vector<Double>.zeros(a.rows)
    infB[1] = .infinity
    expectThrows({ _ = try RidgeCondition(A: a, b: infB) }, Self.isNonFinite)
  }

  @Test("x of the wrong dimension → shapeMismatch from jacobian, vjp and jvp")
  func wrongSolutionDimension() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let d = ImplicitDifferentiator(condition)
    let x = Vector<Double>.zeros(problem.columns + 1)
    expectThrows({ _ = try d.jacobian(at: x, self.θ) }, Self.isShapeMismatch)
    expectThrows({ _ = try d.vjp(x, at: x, self.θ) }, Self.isShapeMismatch)
    expectThrows({ _ = try d.jvp(1, at: x, self.θ) }, Self.isShapeMismatch)
    // A cotangent of the wrong dimension at a correct x.
    let good = Vector(problem.solution(θ))
    expectThrows({ _ = try d.vjp(Vector.zeros(2), at: good, self.θ) }, Self.isShapeMismatch)
    // Per-feature θ of the wrong length.
    let perFeature = try PerFeatureRidgeCondition(A: problem.A, b: Vector(problem.b))
    let pd = ImplicitDifferentiator(perFeature)
    expectThrows({ _ = try pd.jacobian(at: good, Vector.zeros(3)) }, Self.isShapeMismatch)
    expectThrows({ _ = try pd.jvp(Vector.zeros(3), at: good, Vector.zeros(3)) }, Self.isShapeMismatch)
    expectThrows({ _ = try perFeature.solve(Vector.zeros(3)) }, Self.isShapeMismatch)
  }

  @Test("NaN or ∞ in θ, x or the cotangent → nonFinite")
  func nonFiniteInputs() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let d = ImplicitDifferentiator(condition)
    let x = Vector(problem.solution(θ))
    expectThrows({ _ = try d.jacobian(at: x, .nan) }, Self.isNonFinite)
    expectThrows({ _ = try d.vjp(x, at: x, .infinity) }, Self.isNonFinite)
    expectThrows({ _ = try d.jvp(1, at: x, .nan) }, Self.isNonFinite)
    var nanX = x
    nanX[2] = .nan
    expectThrows({ _ = try d.jacobian(at: nanX, self.θ) }, Self.isNonFinite)
    expectThrows({ _ = try d.vjp(nanX, at: x, self.θ) }, Self.isNonFinite)
    expectThrows({ _ = try d.jvp(.nan, at: x, self.θ) }, Self.isNonFinite)
    expectThrows({ _ = try condition.solve(.nan) }, Self.isNonFinite)
  }

  @Test("a solver that cannot converge: .throwError throws linearSolveFailed, .flag marks the result unreliable")
  func nonConvergedSolve() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let x = Vector(problem.solution(θ))
    let starved = ConjugateGradient(relativeTolerance: 1e-14, maxIterations: 1)
    let throwing = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: starved))
    let v = Vector(Reference.randomVector(problem.columns, seed: 301))
    for call in [
      { _ = try throwing.jacobian(at: x, self.θ) }, { _ = try throwing.vjp(v, at: x, self.θ) },
      { _ = try throwing.jvp(1, at: x, self.θ) },
    ] {
      do {
        try call()
        Issue.record("a starved solve did not throw")
      } catch {
        #expect(Self.failedSolveStatus(error) == .maxIterationsReached, "\(error)")
      }
    }

    let flagging = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: starved, policy: DerivativePolicy(linearSolveFailure: .flag)))
    let j = try flagging.jacobian(at: x, θ)
    #expect(!j.diagnostics.isReliable)
    #expect(j.diagnostics.linearSolve.status == .maxIterationsReached)
    let vjp = try flagging.vjp(v, at: x, θ)
    #expect(!vjp.diagnostics.isReliable && vjp.diagnostics.linearSolve.iterations == 1)
    let jvp = try flagging.jvp(1, at: x, θ)
    #expect(!jvp.diagnostics.isReliable)
    #expect(jvp.diagnostics.description.contains("UNRELIABLE"))
  }

  @Test("an indefinite system with dense Cholesky: typed failure, or NaN when flagged")
  func indefiniteDenseCholesky() throws {
    // θ below −λ_min(AᵀA) makes AᵀA + θI indefinite (x is then only a stationary point).
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let θ = -5.0
    let x = Vector(problem.solution(θ))
    let cholesky = DenseCholesky()
    let throwing = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: cholesky))
    expectThrows({ _ = try throwing.jacobian(at: x, θ) }, { Self.failedSolveStatus($0) == .notPositiveDefinite })
    expectThrows({ _ = try throwing.jvp(1, at: x, θ) }, { Self.failedSolveStatus($0) == .notPositiveDefinite })
    expectThrows({ _ = try condition.solve(θ) }, { Self.failedSolveStatus($0) == .notPositiveDefinite })
    let flagging = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: cholesky, policy: DerivativePolicy(linearSolveFailure: .flag)))
    let j = try flagging.jacobian(at: x, θ)
    #expect(!j.diagnostics.isReliable)
    #expect(j.matrix.scalars.allSatisfy { $0.isNaN })
    // LU handles the indefinite (but non-singular) system: the closed form still holds.
    let lu = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: DenseLU()))
    #expect(Reference.relativeError(try lu.jacobian(at: x, θ).matrix.scalars, problem.jacobian(θ)) < 1e-10)
  }

  @Test("ImplicitFunction: a failing solve in the pullback gives a NaN gradient and records the failure")
  func implicitFunctionFailure() throws {
    let condition = try RidgeCondition(A: problem.A, b: Vector(problem.b))
    let starved = ConjugateGradient(relativeTolerance: 1e-14, maxIterations: 1)
    let p = problem.columns
    let recorder = DiagnosticsRecorder()
    let options = ImplicitOptions(linearSolver: starved, onDiagnostics: recorder.handler)
    let ridge = ImplicitFunction(condition: condition, options: options) { θ in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: p)
    }
    let g = gradient(at: θ) { θ in ridge(θ).sum() }
    #expect(g.isNaN)
    guard case .failure(let error)? = recorder.last else {
      Issue.record("expected a recorded failure, got \(String(describing: recorder.last))")
      return
    }
    #expect(Self.failedSolveStatus(error) == .maxIterationsReached, "\(error)")

    // A NaN parameter: the linearisation fails, the gradient is NaN, the error is typed.
    let g2 = gradient(at: Double.nan) { θ in ridge(θ).sum() }
    #expect(g2.isNaN)
    guard case .failure(let error2)? = recorder.last else {
      Issue.record("expected a recorded failure for θ = NaN")
      return
    }
    #expect(Self.isNonFinite(error2), "\(error2)")
  }
}
