import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// The documented outcomes where the implicit function theorem's hypotheses fail: a coordinate
/// exactly at the soft-threshold (zero-width margin), and a singular `A` (non-unique solution).
@Suite("Zero-width margin and singular A")
struct ZeroWidthMarginTests {
  /// `A = I`, `b = (2, 1, −0.3)`, `λ = 1`, `η = 1`: `x* = (1, 0, 0)` with `|∇₁f| = |b₁| = λ`
  /// exactly — coordinate 1 sits on the kink.
  func kinkProblem() throws -> (problem: LassoProblem, x: Vector<Double>) {
    let problem = try LassoProblem(
      A: Matrix<Double>.identity(3), b: Vector([2, 1, -0.3]), prox: LassoProximal(), λ: Vector([1]), stepSize: 1)
    let x = Vector([1.0, 0, 0])
    #expect(problem.condition(x, problem.θ).norm() == 0)  // the exact root
    return (problem, x)
  }

  /// The kink, named on every path (Jacobian, VJP, JVP, the differentiable wrapper): refused by
  /// default with a typed error.
  @Test func refusedByDefaultWithATypedErrorOnEveryPath() throws {
    let (problem, x) = try kinkProblem()
    let expected = [Degeneracy(.kink, indices: [1])]
    #expect(problem.condition.degeneracies(at: x, problem.θ, tolerance: 1e-9) == expected)
    let d = ImplicitDifferentiator(problem.condition)
    #expect(throws: ImplicitError.degenerate(expected)) { try d.jacobian(at: x, problem.θ) }
    #expect(throws: ImplicitError.degenerate(expected)) { try d.vjp(Vector([1, 1, 1]), at: x, problem.θ) }
    #expect(throws: ImplicitError.degenerate(expected)) { try d.jvp(Vector([1, 0, 0, 1]), at: x, problem.θ) }
    let recorder = DiagnosticsRecorder()
    let f = ImplicitFunction(condition: problem.condition, options: ImplicitOptions(onDiagnostics: recorder.handler)) {
      _ in x
    }
    let g = gradient(at: problem.θ) { θ in f(θ).sum() }
    #expect(g.scalars.allSatisfy { $0.isNaN })
    guard case .failure(let error)? = recorder.last else {
      Issue.record("the pullback did not report the kink")
      return
    }
    #expect(error as? ImplicitError == .degenerate(expected))
  }

  /// With `degeneracy: .flag`, the one-sided Jacobian that holds coordinate 1 at zero, flagged on
  /// every path: it matches one-sided differences of re-solving taken in the directions that keep
  /// the coordinate at zero (decreasing `b₁`, increasing `λ`) and the closed form `x₀ = b₀ − λ`.
  @Test func oneSidedOnRequestFlaggedAndFinite() throws {
    let (problem, x) = try kinkProblem()
    let options = ImplicitOptions(policy: DerivativePolicy(degeneracy: .flag))
    let d = ImplicitDifferentiator(problem.condition, options: options)
    let result = try d.jacobian(at: x, problem.θ)
    #expect(!result.diagnostics.isReliable && result.diagnostics.degeneracies == [Degeneracy(.kink, indices: [1])])
    #expect(result.diagnostics.description.contains("zero-width margin"))
    #expect(result.matrix.isFinite)
    let vjp = try d.vjp(Vector([1, 1, 1]), at: x, problem.θ)
    let jvp = try d.jvp(Vector([1, 0, 0, 1]), at: x, problem.θ)
    #expect(!vjp.diagnostics.isReliable && vjp.diagnostics.degeneracies == result.diagnostics.degeneracies)
    #expect(!jvp.diagnostics.isReliable && jvp.diagnostics.degeneracies == result.diagnostics.degeneracies)
    let recorder = DiagnosticsRecorder()
    let f = ImplicitFunction(
      condition: problem.condition,
      options: ImplicitOptions(
        policy: DerivativePolicy(degeneracy: .flag), onDiagnostics: recorder.handler)
    ) { _ in x }
    let g = gradient(at: problem.θ) { θ in f(θ).sum() }
    guard case .success(let recorded)? = recorder.last else {
      Issue.record("the pullback did not record its diagnostics")
      return
    }
    #expect(!recorded.isReliable && recorded.degeneracies == result.diagnostics.degeneracies)
    for c in 0..<4 { #expect(abs(g[c] - (0..<3).map { result.matrix[$0, c] }.reduce(0, +)) <= 1e-14) }
    var expected = Matrix<Double>.zeros(rows: 3, columns: 4)
    expected[0, 0] = 1  // ∂x₀/∂b₀
    expected[0, 3] = -1  // ∂x₀/∂λ
    #expect(TestSupport.relativeError(result.matrix, expected) <= 1e-14)

    let h = 1e-6, θ = problem.θ
    for (column, direction) in [(0, 1.0), (1, -1.0), (2, 1.0), (3, 1.0)] {
      var moved = θ
      moved[column] += direction * h
      let oneSided = (try problem.solve(moved) - x).scaled(by: direction / h)
      for r in 0..<3 { #expect(abs(oneSided[r] - result.matrix[r, column]) <= 1e-8, "column \(column)") }
    }
  }

  /// Duplicated columns on the support: the minimiser is not unique and `A` is singular. The
  /// default dense solve refuses with a typed error; a (negative) ridge gives a finite, flagged
  /// derivative whose well-defined part — the derivative of `x₀ + x₁`, the merged problem's
  /// coordinate — matches the merged problem's closed form.
  @Test func singularAIsRefusedThenRegularised() throws {
    var rng = SeededGenerator(seed: 17)
    let a = rng.normalVector(8), c = rng.normalVector(8), b = rng.normalVector(8)
    let A = Matrix(rows: 8, columns: 3, scalars: (0..<8).flatMap { [a[$0], a[$0], c[$0]] })
    let merged = Matrix(rows: 8, columns: 2, scalars: (0..<8).flatMap { [a[$0], c[$0]] })
    let λ = 0.2 * (merged.transposedTimes(b).scalars.map(abs).max() ?? 1)
    let problem = try LassoProblem(A: A, b: b, prox: LassoProximal(), λ: Vector([λ]))
    let x = try problem.solve(problem.θ)
    try #require(x[0] == x[1] && x[0] != 0 && x[2] != 0, "fixture: both copies and c on the support")

    #expect {
      try ImplicitDifferentiator(problem.condition).jacobian(at: x, problem.θ)
    } throws: { error in
      guard case .linearSolveFailed(let summary) = error as? ImplicitError else { return false }
      return summary.status == .singular
    }

    let options = ImplicitOptions(linearSolver: DenseLU(), ridge: -1e-9)
    let regularised = try ImplicitDifferentiator(problem.condition, options: options).jacobian(at: x, problem.θ)
    #expect(regularised.matrix.isFinite)
    let mergedX = Vector([x[0] + x[1], x[2]])
    let reference = try #require(lassoClosedFormJacobian(A: merged, x: mergedX))
    var sum = Matrix<Double>.zeros(rows: 2, columns: problem.θ.count)
    for col in 0..<problem.θ.count {
      sum[0, col] = regularised.matrix[0, col] + regularised.matrix[1, col]
      sum[1, col] = regularised.matrix[2, col]
    }
    #expect(TestSupport.relativeError(sum, reference) <= 1e-6)
  }
}
