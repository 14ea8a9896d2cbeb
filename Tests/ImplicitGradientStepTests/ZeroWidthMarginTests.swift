import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import ImplicitTestSupport
import Testing

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

  @Test func refusedByDefaultWithATypedError() throws {
    let (problem, x) = try kinkProblem()
    #expect(problem.condition.kinks(at: x, problem.θ) == [1])
    #expect(throws: ProximalGradientError.zeroWidthMargin(coordinates: [1])) {
      try problem.condition.implicitJacobian(at: x, problem.θ)
    }
  }

  /// On request, the one-sided Jacobian that holds coordinate 1 at zero, flagged: it matches
  /// one-sided differences of re-solving taken in the directions that keep the coordinate at zero
  /// (decreasing `b₁`, increasing `λ`) and the closed form `x₀ = b₀ − λ`.
  @Test func oneSidedOnRequestFlaggedAndFinite() throws {
    let (problem, x) = try kinkProblem()
    let result = try problem.condition.implicitJacobian(at: x, problem.θ, onKink: .oneSided)
    #expect(result.isFlagged && result.kinks == [1])
    #expect(result.matrix.isFinite)
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
      try problem.condition.implicitJacobian(at: x, problem.θ)
    } throws: { error in
      guard case .linearSolveFailed(let summary) = error as? ImplicitError else { return false }
      return summary.status == .singular
    }

    let options = ImplicitOptions(linearSolver: DenseLU(), ridge: -1e-9)
    let regularised = try problem.condition.implicitJacobian(at: x, problem.θ, options: options)
    #expect(regularised.isFlagged && regularised.ridge == -1e-9)
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
