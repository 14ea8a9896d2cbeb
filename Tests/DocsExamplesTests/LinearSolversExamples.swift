// The Swift blocks of docs/linear-solvers.md, compiled and run, each checked against an
// independent dense solve or the closed form of the ridge derivative.
import ImplicitCore
import ImplicitRidge
import ImplicitTestSupport
import Testing
import _Differentiation

// docs-example: linear-solvers-3
/// Jacobi-preconditioned Richardson iteration, for strictly diagonally dominant A.
struct JacobiRichardson: LinearSolver {
  var tolerance = LinearSolverTolerance(relative: 1e-10, maxIterations: 2000)
  var description: String { "jacobi-richardson" }
  var products: OperatorProducts { .forward }

  func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    let n = a.dimension
    let diagonal = (0..<n).map { i in
      a.apply(a.template.unflattened((0..<n).map { $0 == i ? 1 : 0 })).flattened[i]
    }
    let tolerance = self.tolerance
    func iterate(_ apply: (V) -> V, _ b: V, _ guess: V?) -> RawLinearSolve<V> {
      var x = guess ?? b.zeroLike
      for k in 0..<tolerance.budget(dimension: n) {
        var r = b
        r.addScaled(-1, apply(x))
        if r.norm <= tolerance.target(rightHandSideNorm: b.norm) { return RawLinearSolve(x, .converged, iterations: k) }
        let flat = r.flattened
        x.addScaled(1, b.unflattened((0..<n).map { flat[$0] / diagonal[$0] }))
      }
      return RawLinearSolve(x, .maxIterationsReached, iterations: tolerance.budget(dimension: n))
    }
    return PreparedLinearSolver(
      linearOperator: a, method: description, tolerance: tolerance,
      solve: { b, guess in iterate(a.apply, b, guess) },
      solveTransposed: { c, guess in
        guard let at = a.transposed else { return RawLinearSolve(c.zeroLike, .unsupported("needs Aᵀ"), iterations: 0) }
        return iterate(at.apply, c, guess)
      })
  }
}
// end-docs-example

@Test("docs/linear-solvers.md: every block runs and agrees with independent solves")
func linearSolvers() throws {
  // The ridge condition of the README, with a diagonally dominant A = AᵀA + θI.
  let data = Matrix<Double>([[1, 0], [0, 2], [1, 1], [2, -1]]), targets = Vector<Double>([1, 2, 0, 1])
  let condition = try RidgeCondition(A: data, b: targets)
  let x = try condition.solve(0.5)
  let closedForm = referenceRidgeDerivative(data, targets, 0.5)

  // docs-example: linear-solvers-1
  let options = ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12, maxIterations: 500))
  // end-docs-example
  let viaCG = try ImplicitDifferentiator(condition, options: options).jacobian(at: x, 0.5)
  #expect(TestSupport.relativeError(viaCG.matrix.scalars, closedForm) < 1e-10)

  // docs-example: linear-solvers-2
  let m = Matrix<Double>([[4, 1, 0], [1, 3, 0], [0, 0, 2]])
  let a = LinearOperator(template: Vector<Double>.zeros(3), structure: .symmetricPositiveDefinite) { v in m * v }
  let result = ConjugateGradient().solve(a, Vector([1.0, 2, 3]))
  print(result.status, result.iterations, result.residualNorm)  // the true residual

  let prepared = DenseLU().prepare(a, preconditioner: nil)  // factorised once
  let y = prepared.solve(Vector([1.0, 0, 0]))
  let z = prepared.solveTransposed(Vector([0.0, 1, 0]))
  // end-docs-example
  let rows = Reference.rows(m)
  #expect(result.isConverged)
  #expect(TestSupport.relativeError(result.solution.scalars, Reference.solve(rows, [1, 2, 3])!) < 1e-10)
  let trueResidual = Reference.norm(Reference.subtract([1, 2, 3], Reference.matvec(rows, result.solution.scalars)))
  #expect(abs(result.residualNorm - trueResidual) < 1e-13)
  #expect(TestSupport.relativeError(y.solution.scalars, Reference.solve(rows, [1, 0, 0])!) < 1e-12)
  #expect(
    TestSupport.relativeError(z.solution.scalars, Reference.solve(Reference.transpose(rows), [0, 1, 0])!) < 1e-12)

  // docs-example: linear-solvers-4
  let custom = ImplicitOptions(linearSolver: JacobiRichardson())
  let derivative = try ImplicitDifferentiator(condition, options: custom).jvp(1.0, at: x, 0.5)
  print(derivative.diagnostics.linearSolve)  // jacobi-richardson: converged, iterations, residual
  // end-docs-example
  #expect(derivative.diagnostics.linearSolve.method == "jacobi-richardson")
  #expect(derivative.diagnostics.isReliable)
  #expect(TestSupport.relativeError(derivative.value.scalars, closedForm) < 1e-9)
}
