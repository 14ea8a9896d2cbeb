import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// `F(x, θ) = M x − M R θ` with `M = GᵀG` singular (`G`'s first two columns equal): the columns
/// of `B` lie in the range of `M`, and `x = Rθ` up to the null direction `(1, −1, 0)`, so
/// `x₀ + x₁` and `x₂` have the derivatives of `(Rθ)₀ + (Rθ)₁` and `(Rθ)₂`.
struct SingularLinearCondition: OptimalityCondition {
  let M: Matrix<Double>
  let N: Matrix<Double>
  let R: Reference.Rows

  init() {
    let g = Reference.randomRows(5, 2, seed: 76).map { [$0[0], $0[0], $0[1]] }
    let m = Reference.matmul(Reference.transpose(g), g)
    R = Reference.randomRows(3, 6, seed: 77)
    M = Reference.matrix(m)
    N = Reference.matrix(Reference.matmul(m, R))
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x - N * θ }
}

@Suite("Jacobians by the smaller side")
struct WideJacobianTests {
  /// ``CoupledCubicCondition`` with `x` in ℝ⁴ and `θ` in ℝ¹¹ (`M` non-symmetric).
  static let wide = CoupledCubicCondition(
    M: Reference.matrix(Reference.nonSymmetric(4, seed: 71, shift: 3, scale: 1.5)),
    N: Reference.matrix(Reference.randomRows(4, 11, seed: 72)))

  @Test("θ wider than x: rows by transposed solves equal columns, −A⁻¹B and finite differences")
  func rowsEqualColumns() throws {
    let condition = Self.wide
    let θ = Reference.randomVector(11, seed: 73, scale: 0.5)
    let root = condition.newtonSolve(θ)
    let d = ImplicitDifferentiator(condition)
    let j = try d.jacobian(at: Vector(root), Vector(θ))
    #expect(j.assembly == "dense dense-lu by rows", "\(j.assembly)")
    let rows = Reference.rows(j.matrix)

    // Columns, one forward solve each (the dense JVP solves with −B t, B from reverse products).
    var columns = Reference.Rows()
    for c in 0..<11 {
      var e = [Double](repeating: 0, count: 11)
      e[c] = 1
      columns.append(try d.jvp(Vector(e), at: Vector(root), Vector(θ)).value.scalars)
    }
    #expect(Reference.relativeError(rows, Reference.transpose(columns)) < 1e-13)
    #expect(Reference.relativeError(rows, condition.referenceJacobian(root, θ)) < 1e-12)
    let fd = FiniteDifferences.jacobian(at: θ, step: 1e-5) { condition.newtonSolve($0) }
    #expect(Reference.relativeError(rows, fd) < 1e-8)

    // The certificate counts the 4 solves and reports their residual.
    let diagnostics = j.diagnostics
    #expect(diagnostics.linearSolveCount == 4)
    #expect(diagnostics.linearSolve.method == "dense-lu")
    #expect(diagnostics.linearSolve.status == .converged)
    #expect(diagnostics.linearSolve.relativeResidual < 1e-13)
    #expect(diagnostics.isReliable)
  }

  @Test("θ no wider than x: one solve per column of −B")
  func columnsWhenTall() throws {
    let condition = CoupledCubicCondition.example()  // x in ℝ⁵, θ in ℝ³
    let θ = [0.3, -0.2, 0.5]
    let root = condition.newtonSolve(θ)
    let j = try ImplicitDifferentiator(condition).jacobian(at: Vector(root), Vector(θ))
    #expect(j.assembly == "dense dense-lu by columns", "\(j.assembly)")
    #expect(j.diagnostics.linearSolveCount == 3)
    #expect(Reference.relativeError(Reference.rows(j.matrix), condition.referenceJacobian(root, θ)) < 1e-12)
  }

  @Test("by rows at an unconverged x̂: the error bound covers the true error")
  func boundCoversErrorByRows() throws {
    let condition = Self.wide
    let θ = Reference.randomVector(11, seed: 74, scale: 0.5)
    let root = condition.newtonSolve(θ)
    let x̂ = root.enumerated().map { $0.element + 1e-4 * Double($0.offset + 1) }
    let j = try ImplicitDifferentiator(condition).jacobian(at: Vector(x̂), Vector(θ))
    #expect(j.assembly.hasSuffix("by rows"))
    let truth = condition.referenceJacobian(root, θ)
    let error = Reference.norm(zip(j.matrix.scalars, truth.flatMap { $0 }).map { $0 - $1 })
    #expect(error > 0)
    #expect(error <= j.diagnostics.jacobianErrorEstimate, "\(j.diagnostics)")
  }

  /// With a singular `A` kept invertible by a small ridge, `Aᵀu = eᵢ` is not solvable to the
  /// tolerance while the column systems `A w = −B eⱼ` are (their right-hand sides lie in the
  /// range): the dense Jacobian falls back to columns instead of failing.
  @Test("a wide θ with a singular A regularised by a ridge: rows fail, columns are used")
  func singularFallsBackToColumns() throws {
    let condition = SingularLinearCondition()
    let θ = Reference.randomVector(6, seed: 75)
    let x = Vector(Reference.matvec(condition.R, θ))
    let options = ImplicitOptions(
      linearSolver: DenseLU(), ridge: -1e-9, policy: DerivativePolicy(linearSolveFailure: .flag))
    let j = try ImplicitDifferentiator(condition, options: options).jacobian(at: x, Vector(θ))
    #expect(j.assembly == "dense dense-lu by columns", "\(j.assembly)")
    #expect(j.matrix.isFinite)
    let r = condition.R
    let sum = (0..<6).map { j.matrix[0, $0] + j.matrix[1, $0] }
    #expect(Reference.relativeError(sum, (0..<6).map { r[0][$0] + r[1][$0] }) < 1e-6)
    #expect(Reference.relativeError((0..<6).map { j.matrix[2, $0] }, r[2]) < 1e-6)
  }
}
