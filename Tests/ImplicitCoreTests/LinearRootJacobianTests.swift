import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// `F(x, θ) = M x − θ` with a non-symmetric `M`: `x* = M⁻¹θ`, `∂x*/∂θ = M⁻¹`.
struct LinearRoot: OptimalityCondition {
  let M: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x - θ }
}

/// The same root with hand-written forward products (`A v = M v`, `B t = −t`), so JVPs can use
/// exact products instead of finite differences.
struct LinearRootWithProducts: OptimalityCondition {
  let M: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x - θ }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    Vector(Reference.matvec(Reference.rows(M), v.scalars))
  }
  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    Vector(t.scalars.map { -$0 })
  }
}

/// `F(x, θ) = M x − N θ` with `M` square non-symmetric and `N` non-square: `∂x*/∂θ = M⁻¹N`.
/// Optionally with hand-written forward products (`A v = M v`, `B t = −N t`).
struct TwoMatrixRoot: OptimalityCondition {
  let M: Matrix<Double>
  let N: Matrix<Double>
  var exactForwardProducts = false

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x - N * θ }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    exactForwardProducts ? Vector(Reference.matvec(Reference.rows(M), v.scalars)) : nil
  }
  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    exactForwardProducts ? Vector(Reference.matvec(Reference.rows(N), t.scalars).map { -$0 }) : nil
  }
}

/// Linear solver settings the implicit-differentiation tests run through.
let implicitSolverMethods: [any LinearSolver] = [
  AutomaticLinearSolver(), GMRES(restart: 20), GMRES(restart: 3), BiCGSTAB(), NormalConjugateGradient(), DenseLU(),
  DenseQR(),
]

@Suite("Linear root F(x, θ) = Mx − θ with non-symmetric M")
struct LinearRootJacobianTests {
  let n = 6
  var mRows: Reference.Rows { Reference.nonSymmetric(n, seed: 11, shift: 3, scale: 1.5) }

  @Test("M really is non-symmetric")
  func matrixIsNonSymmetric() {
    let m = mRows
    let asymmetry = (0..<n).flatMap { i in (0..<n).map { j in Swift.abs(m[i][j] - m[j][i]) } }.max()!
    #expect(asymmetry > 0.1)
  }

  @Test("jacobian = M⁻¹ (independent inverse, and M·J = I)", arguments: implicitSolverMethods)
  func jacobianIsInverse(method: any LinearSolver) throws {
    let m = Reference.matrix(mRows)
    let θ = Vector(Reference.randomVector(n, seed: 12))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    let options = ImplicitOptions(linearSolver: tuned(method, 1e-13))
    let result = try ImplicitDifferentiator(LinearRoot(M: m), options: options).jacobian(at: x, θ)
    let j = Reference.rows(result.matrix)
    let inverse = Reference.inverse(mRows)!
    #expect(Reference.relativeError(j, inverse) < 1e-10, "\(method): \(result.assembly)")
    #expect(Reference.relativeError(Reference.matmul(mRows, j), Reference.identity(n)) < 1e-10)
    #expect(result.diagnostics.isReliable)
    #expect(result.diagnostics.residualNorm < 1e-12)
  }

  @Test("JVP with exact hand-written products and with finite-difference products", arguments: implicitSolverMethods)
  func jvpMatchesInverse(method: any LinearSolver) throws {
    let m = Reference.matrix(mRows)
    let θ = Vector(Reference.randomVector(n, seed: 13))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    let t = Vector(Reference.randomVector(n, seed: 14))
    let expected = Reference.solve(mRows, t.scalars)!  // M⁻¹ t
    let options = ImplicitOptions(linearSolver: tuned(method, 1e-13))

    let exact = try ImplicitDifferentiator(LinearRootWithProducts(M: m), options: options).jvp(t, at: x, θ)
    #expect(Reference.relativeError(exact.value.scalars, expected) < 1e-10, "\(method)")
    #expect(exact.diagnostics.forwardProducts != .finiteDifference, "\(method)")

    // Without hand-written products the iterative JVP falls back to central differences of F
    // (about 1e-11 relative here, F being linear), so only a looser solve can converge; the
    // diagnostics must say where the products came from.
    let looser = ImplicitOptions(linearSolver: tuned(method, 1e-9))
    let fallback = try ImplicitDifferentiator(LinearRoot(M: m), options: looser).jvp(t, at: x, θ)
    #expect(Reference.relativeError(fallback.value.scalars, expected) < 1e-8, "\(method)")
    if !method.products.contains(.matrix) {
      #expect(fallback.diagnostics.forwardProducts == .finiteDifference)
    }
  }

  @Test("VJP = uᵀM⁻¹", arguments: implicitSolverMethods)
  func vjpMatchesInverse(method: any LinearSolver) throws {
    let m = Reference.matrix(mRows)
    let θ = Vector(Reference.randomVector(n, seed: 15))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    let u = Vector(Reference.randomVector(n, seed: 16))
    let expected = Reference.solve(Reference.transpose(mRows), u.scalars)!  // M⁻ᵀ u
    let options = ImplicitOptions(linearSolver: tuned(method, 1e-13))
    let d = try ImplicitDifferentiator(LinearRoot(M: m), options: options).vjp(u, at: x, θ)
    #expect(Reference.relativeError(d.value.scalars, expected) < 1e-10, "\(method)")
    #expect(d.diagnostics.isReliable)
  }

  @Test(
    "adjoint identity ⟨u, J v⟩ = ⟨Jᵀu, v⟩ with A and B both non-symmetric (exact forward products)",
    arguments: implicitSolverMethods)
  func adjointIdentity(method: any LinearSolver) throws {
    try checkAdjointIdentity(method: method, exactForwardProducts: true, relativeTolerance: 1e-13, agreement: 1e-10)
  }

  @Test("adjoint identity with finite-difference forward products (looser solve)", arguments: implicitSolverMethods)
  func adjointIdentityFiniteDifferenceProducts(method: any LinearSolver) throws {
    try checkAdjointIdentity(method: method, exactForwardProducts: false, relativeTolerance: 1e-9, agreement: 1e-7)
  }

  func checkAdjointIdentity(
    method: any LinearSolver, exactForwardProducts: Bool, relativeTolerance: Double, agreement: Double
  ) throws {
    let q = 3
    let nRows = Reference.randomRows(n, q, seed: 17)
    let condition = TwoMatrixRoot(
      M: Reference.matrix(mRows), N: Reference.matrix(nRows), exactForwardProducts: exactForwardProducts)
    let θ = Vector(Reference.randomVector(q, seed: 18))
    let x = Vector(Reference.solve(mRows, Reference.matvec(nRows, θ.scalars))!)
    let u = Vector(Reference.randomVector(n, seed: 19))
    let v = Vector(Reference.randomVector(q, seed: 20))
    let options = ImplicitOptions(linearSolver: tuned(method, relativeTolerance))
    let differentiator = ImplicitDifferentiator(condition, options: options)

    let forward = try differentiator.jvp(v, at: x, θ)
    let jv = forward.value
    let jtu = try differentiator.vjp(u, at: x, θ).value
    #expect(jv.count == n && jtu.count == q)
    let lhs = Reference.dot(u.scalars, jv.scalars), rhs = Reference.dot(jtu.scalars, v.scalars)
    #expect(Swift.abs(lhs - rhs) <= agreement * max(1, Swift.abs(lhs)), "\(method): \(lhs) vs \(rhs)")
    if exactForwardProducts { #expect(forward.diagnostics.forwardProducts != .finiteDifference) }

    // And both against the closed form J = M⁻¹N.
    let closed = Reference.matmul(Reference.inverse(mRows)!, nRows)
    #expect(Reference.relativeError(jv.scalars, Reference.matvec(closed, v.scalars)) < agreement)
    #expect(Reference.relativeError(jtu.scalars, Reference.matvec(Reference.transpose(closed), u.scalars)) < agreement)
    let full = try differentiator.jacobian(at: x, θ)
    #expect(full.matrix.rows == n && full.matrix.columns == q)
    #expect(Reference.relativeError(Reference.rows(full.matrix), closed) < agreement)
  }

  @Test(
    "Cholesky or CG on a non-symmetric A never yields an unflagged wrong Jacobian",
    arguments: [DenseCholesky(), ConjugateGradient()] as [any LinearSolver])
  func spdMethodsOnNonSymmetricA(method: any LinearSolver) {
    // M's lower triangle with its diagonal describes an SPD matrix, so a Cholesky that reads
    // only that part succeeds on the wrong matrix; the result must still be flagged.
    let m = Reference.matrix(mRows)
    let θ = Vector(Reference.randomVector(n, seed: 21))
    let x = Vector(Reference.solve(mRows, θ.scalars)!)
    let inverse = Reference.inverse(mRows)!
    let differentiator = ImplicitDifferentiator(
      LinearRoot(M: m), options: ImplicitOptions(linearSolver: tuned(method, 1e-12)))
    do {
      let result = try differentiator.jacobian(at: x, θ)
      let error = Reference.relativeError(Reference.rows(result.matrix), inverse)
      #expect(
        error < 1e-8 || !result.diagnostics.isReliable,
        "\(method): returned a Jacobian with relative error \(error) marked reliable (\(result.diagnostics))")
    } catch let error as ImplicitError {
      guard case .linearSolveFailed = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    } catch {
      Issue.record("unexpected error \(error)")
    }
    do {
      let t = Vector(Reference.randomVector(n, seed: 23))
      let expected = Reference.solve(mRows, t.scalars)!
      let d = try differentiator.jvp(t, at: x, θ)
      let error = Reference.relativeError(d.value.scalars, expected)
      #expect(
        error < 1e-8 || !d.diagnostics.isReliable,
        "\(method) JVP: relative error \(error) marked reliable (\(d.diagnostics))")
    } catch {
      guard case ImplicitError.linearSolveFailed = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    }
    do {
      let u = Vector(Reference.randomVector(n, seed: 22))
      let expected = Reference.solve(Reference.transpose(mRows), u.scalars)!
      let d = try differentiator.vjp(u, at: x, θ)
      let error = Reference.relativeError(d.value.scalars, expected)
      #expect(error < 1e-8 || !d.diagnostics.isReliable, "\(method) VJP: relative error \(error) marked reliable")
    } catch {
      guard case ImplicitError.linearSolveFailed = error else {
        Issue.record("unexpected error \(error)")
        return
      }
    }
  }
}
