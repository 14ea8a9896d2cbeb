import ImplicitCore
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

/// Stationarity from a user-given gradient: differentiable (second derivatives by AD of the
/// gradient) and opaque (the labelled finite-difference fallback).
@Suite struct GradientConditionTests {
  /// `∇ₓ[½‖Ax − b‖² + ½Σθⱼxⱼ²] = Aᵀ(Ax − b) + θ ⊙ x`.
  struct RidgeGradient: ObjectiveGradient {
    let A: Matrix<Double>, b: Vector<Double>
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
      A.transposedTimes(A * x - b) + θ * x
    }
  }

  /// The same with one shared strength `θ` as a plain `Double`.
  struct SharedRidgeGradient: ObjectiveGradient {
    let A: Matrix<Double>, b: Vector<Double>
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> { A.transposedTimes(A * x - b) + θ * x }
  }

  /// The same gradient with plain loops: not differentiable.
  struct OpaqueRidgeGradient: OpaqueObjectiveGradient {
    let rows: [[Double]], b: [Double]
    func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
      let r = zip(Reference.matvec(rows, x.scalars), b).map { $0 - $1 }
      return Vector(zip(Reference.transposedMatvec(rows, r), (0..<x.count).map { θ[$0] * x[$0] }).map { $0 + $1 })
    }
  }

  /// `x*` and the closed form `∂x*/∂θ = −(AᵀA + diag θ)⁻¹ diag(x*)` with plain loops (row major).
  func closedForm(_ p: Problems.Ridge) -> (x: [Double], jacobian: [Double]) {
    let rows = Reference.rows(p.A), n = p.A.columns
    var H = (0..<n).map { a in (0..<n).map { b in (0..<p.A.rows).map { rows[$0][a] * rows[$0][b] }.reduce(0, +) } }
    for a in 0..<n { H[a][a] += p.θ[a] }
    let x = Reference.solve(H, Reference.transposedMatvec(rows, p.b.scalars))!
    let columns = (0..<n).map { j in Reference.solve(H, (0..<n).map { $0 == j ? -x[j] : 0 })! }
    return (x, (0..<n).flatMap { i in columns.map { $0[i] } })
  }

  @Test func differentiableGradientGivesTheExactJacobian() throws {
    let p = try Problems.ridge()
    let (x, reference) = closedForm(p)
    let condition = GradientStationarityCondition(RidgeGradient(A: p.A, b: p.b), stronglyConvex: true)
    let J = try ImplicitDifferentiator(condition).jacobian(at: Vector(x), p.θ)
    #expect(Reference.relativeError(J.matrix.scalars, reference) < 1e-12)
    // JVPs that iterate need B t, which only finite differences give here; they say so.
    let cg = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: ConjugateGradient()))
    let jvp = try cg.jvp(Vector([1, 0, 0, 0, 0]), at: Vector(x), p.θ)
    #expect(jvp.diagnostics.forwardProducts == .finiteDifference)
    #expect(Reference.relativeError(jvp.value.scalars, (0..<5).map { reference[$0 * 5] }) < 1e-6)
  }

  @Test func scalarParameterGradient() throws {
    let p = try Problems.ridge()
    let θ = 0.9
    let shared = Problems.Ridge(
      A: p.A, b: p.b, validationA: p.validationA, validationB: p.validationB, θ: Vector(repeating: θ, count: 5),
      objective: p.objective)
    let (x, perFeature) = closedForm(shared)
    let condition = GradientStationarityCondition(SharedRidgeGradient(A: p.A, b: p.b), stronglyConvex: true)
    let J = try ImplicitDifferentiator(condition).jacobian(at: Vector(x), θ)
    // dx/dθ for a shared strength is the sum of the per-feature columns.
    let reference = (0..<5).map { i in (0..<5).map { perFeature[i * 5 + $0] }.reduce(0, +) }
    #expect(Reference.relativeError(J.matrix.scalars, reference) < 1e-12)
  }

  @Test func opaqueGradientUsesLabelledFiniteDifferences() throws {
    let p = try Problems.ridge()
    let (x, reference) = closedForm(p)
    let condition = FiniteDifferenceStationarityCondition(
      OpaqueRidgeGradient(rows: Reference.rows(p.A), b: p.b.scalars), stronglyConvex: true)
    let J = try condition.jacobian(at: Vector(x), p.θ)
    #expect(Reference.relativeError(J.matrix.scalars, reference) < 1e-6)
    #expect(J.diagnostics.forwardProducts == .finiteDifference)
    #expect(J.assembly.hasPrefix("finite-difference"))
    let vjp = try condition.vjp(Vector([1, 2, 3, 4, 5]), at: Vector(x), p.θ)
    #expect(vjp.diagnostics.forwardProducts == .finiteDifference)
    var expected = [Double](repeating: 0, count: 5)
    for i in 0..<5 { for j in 0..<5 { expected[j] += Double(i + 1) * reference[i * 5 + j] } }
    #expect(Reference.relativeError(vjp.value.scalars, expected) < 1e-6)
    let jvp = try condition.jvp(Vector([0, 1, 0, 0, 0]), at: Vector(x), p.θ)
    #expect(jvp.diagnostics.forwardProducts == .finiteDifference)
    #expect(Reference.relativeError(jvp.value.scalars, (0..<5).map { reference[$0 * 5 + 1] }) < 1e-6)
  }

  /// The label comes from the condition itself (`derivativeSource`), so a plain
  /// `ImplicitDifferentiator` reports it too, on every kind of derivative and linear solver.
  @Test func opaqueGradientIsLabelledByAnyDifferentiator() throws {
    let p = try Problems.ridge()
    let (x, reference) = closedForm(p)
    let condition = FiniteDifferenceStationarityCondition(
      OpaqueRidgeGradient(rows: Reference.rows(p.A), b: p.b.scalars), stronglyConvex: true)
    #expect(condition.derivativeSource == .finiteDifference)
    let solvers: [any LinearSolver] = [AutomaticLinearSolver(), ConjugateGradient(), DenseLU()]
    for solver in solvers {
      let d = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: solver))
      let J = try d.jacobian(at: Vector(x), p.θ)
      #expect(Reference.relativeError(J.matrix.scalars, reference) < 1e-6, "\(solver)")
      #expect(J.diagnostics.forwardProducts == .finiteDifference, "\(solver)")
      let vjp = try d.vjp(Vector([1, 0, 0, 0, 0]), at: Vector(x), p.θ)
      #expect(vjp.diagnostics.forwardProducts == .finiteDifference, "\(solver)")
      #expect(Reference.relativeError(vjp.value.scalars, (0..<5).map { reference[$0] }) < 1e-6, "\(solver)")
      let jvp = try d.jvp(Vector([0, 0, 1, 0, 0]), at: Vector(x), p.θ)
      #expect(jvp.diagnostics.forwardProducts == .finiteDifference, "\(solver)")
    }
  }
}
