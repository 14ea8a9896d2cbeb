import ImplicitCore
import ImplicitTestSupport
import Testing

/// A solver the library does not ship, written as a third party would: Jacobi-preconditioned
/// Richardson iteration `x ← x + ω D⁻¹(b − A x)`, which converges for strictly diagonally
/// dominant `A`. It only implements the raw iteration; the library's prepared solver checks the
/// inputs and the true residual.
struct JacobiRichardson: LinearSolver {
  var tolerance = LinearSolverTolerance(relative: 1e-12, maxIterations: 2000)
  var relaxation = 1.0

  var description: String { "jacobi-richardson(ω = \(relaxation))" }
  var products: OperatorProducts { .forward }

  func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    // The diagonal, once per operator (shared by A and Aᵀ).
    let n = a.dimension
    var e = [Double](repeating: 0, count: n)
    let diagonal = (0..<n).map { i in
      e[i] = 1
      defer { e[i] = 0 }
      return a.apply(a.template.unflattened(e)).flattened[i]
    }
    let (tolerance, relaxation) = (self.tolerance, self.relaxation)
    func iterate(_ apply: (V) -> V, _ b: V, _ guess: V?) -> RawLinearSolve<V> {
      let target = tolerance.target(rightHandSideNorm: b.norm)
      var x = guess ?? b.zeroLike
      for k in 0..<tolerance.budget(dimension: n) {
        var r = b
        r.addScaled(-1, apply(x))
        if r.norm <= target { return RawLinearSolve(x, .converged, iterations: k) }
        let flat = r.flattened
        x.addScaled(relaxation, b.unflattened((0..<n).map { flat[$0] / diagonal[$0] }))
      }
      return RawLinearSolve(x, .maxIterationsReached, iterations: tolerance.budget(dimension: n))
    }
    let transposed = a.transposed
    return PreparedLinearSolver(
      linearOperator: a, method: description, tolerance: tolerance,
      solve: { b, guess in iterate(a.apply, b, guess) },
      solveTransposed: { c, guess in
        guard let transposed else { return RawLinearSolve(c.zeroLike, .unsupported("needs Aᵀ"), iterations: 0) }
        return iterate(transposed.apply, c, guess)
      })
  }
}

@Suite("A third-party linear solver through ImplicitOptions")
struct CustomLinearSolverTests {
  let n = 6
  /// Strictly diagonally dominant and non-symmetric.
  var mRows: Reference.Rows {
    var m = Reference.randomRows(n, n, seed: 210, scale: 0.3)
    for i in 0..<n { m[i][i] = 4 + Double(i) }
    return m
  }

  @Test("VJP, JVP and the full Jacobian equal M⁻¹ through a custom solver")
  func derivativesThroughCustomSolver() throws {
    let m = Reference.matrix(mRows)
    let θ = Vector(Reference.randomVector(n, seed: 211))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    let options = ImplicitOptions(linearSolver: JacobiRichardson())
    let d = ImplicitDifferentiator(LinearRootWithProducts(M: m), options: options)
    let u = Reference.randomVector(n, seed: 212), t = Reference.randomVector(n, seed: 213)

    let vjp = try d.vjp(Vector(u), at: x, θ)
    #expect(Reference.relativeError(vjp.value.scalars, Reference.solve(Reference.transpose(mRows), u)!) < 1e-10)
    #expect(vjp.diagnostics.linearSolve.method == JacobiRichardson().description)
    #expect(vjp.diagnostics.linearSolve.iterations > 1)
    #expect(vjp.diagnostics.forwardProducts == .notUsed)

    let jvp = try d.jvp(Vector(t), at: x, θ)
    #expect(Reference.relativeError(jvp.value.scalars, Reference.solve(mRows, t)!) < 1e-10)
    #expect(jvp.diagnostics.forwardProducts == .exact)

    let j = try d.jacobian(at: x, θ)
    for c in 0..<n {
      let column = Reference.solve(mRows, (0..<n).map { $0 == c ? 1 : 0 })!
      #expect(Reference.relativeError((0..<n).map { j.matrix[$0, c] }, column) < 1e-10)
    }
  }

  @Test("a custom solver that cannot converge is reported, not trusted")
  func customSolverFailureIsTyped() {
    let m = Reference.matrix(mRows)
    let starved = JacobiRichardson(tolerance: LinearSolverTolerance(relative: 1e-14, maxIterations: 2))
    let d = ImplicitDifferentiator(LinearRoot(M: m), options: ImplicitOptions(linearSolver: starved))
    let θ = Vector(Reference.randomVector(n, seed: 214))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    #expect(throws: ImplicitError.self) { try d.vjp(Vector(Reference.randomVector(n, seed: 215)), at: x, θ) }
  }
}
