import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// Guards against the compiler defect where a differentiable function value differentiated with
/// respect to a subset of its arguments not starting at the first returns the wrong partial (or
/// garbage with mixed types): `F(x: Vector, θ: Double)` differentiated in `θ` alone.
@Suite("Mixed argument types: x a vector, θ a scalar")
struct MixedArgumentTypeTests {
  let condition = MixedCubicCondition(c: Vector([0.7, 1.3, 2.1, 0.4]))
  let θ = 1.7

  @Test("the root solved by bisection is the closed form")
  func rootMatchesClosedForm() {
    #expect(Reference.relativeError(condition.rootByBisection(θ), condition.closedFormRoot(θ)) < 1e-14)
  }

  @Test("A = diag(3x²) and B = −c, materialised by reverse mode")
  func linearizationMatchesHandDerivation() throws {
    let x = condition.closedFormRoot(θ)
    let lin = try ConditionLinearization(condition, at: Vector(x), θ)
    let a = Reference.rows(lin.materializedA())
    let expectedA = (0..<x.count).map { i in (0..<x.count).map { j in i == j ? 3 * x[i] * x[i] : 0 } }
    #expect(Reference.relativeError(a, expectedA) < 1e-14)
    let b = lin.materializedB()
    #expect(b.rows == x.count && b.columns == 1)
    #expect(Reference.relativeError(b.scalars, condition.c.scalars.map { -$0 }) < 1e-15)
    #expect(lin.applyBTransposed(Vector([1, 0, 0, 0])) == -condition.c[0])
  }

  @Test("jacobian, VJP and JVP in θ alone equal cᵢ/(3xᵢ²)")
  func derivativesInTheta() throws {
    let x = Vector(condition.closedFormRoot(θ))
    let expected = condition.closedFormDerivative(θ)
    let differentiator = ImplicitDifferentiator(condition)

    let j = try differentiator.jacobian(at: x, θ)
    #expect(j.matrix.rows == 4 && j.matrix.columns == 1)
    #expect(Reference.relativeError(j.matrix.scalars, expected) < 1e-13)

    let v = Vector([0.3, -1.1, 0.8, 2.0])
    let vjp: Double = try differentiator.vjp(v, at: x, θ).value
    #expect(Swift.abs(vjp - Reference.dot(v.scalars, expected)) < 1e-13 * Reference.norm(expected) * v.norm)

    let jvp = try differentiator.jvp(0.5, at: x, θ).value
    #expect(Reference.relativeError(jvp.scalars, expected.map { 0.5 * $0 }) < 1e-13)

    for method in [GMRES(restart: 4), BiCGSTAB(), ConjugateGradient(), DenseQR()] as [any LinearSolver] {
      let iterative = ImplicitDifferentiator(
        condition, options: ImplicitOptions(linearSolver: tuned(method, 1e-13)))
      let value: Double = try iterative.vjp(v, at: x, θ).value
      #expect(Swift.abs(value - vjp) < 1e-10 * Swift.abs(vjp), "\(method)")
    }
  }

  @Test("gradient(at: θ) through ImplicitFunction of a loss mixing θ and x*(θ)")
  func gradientThroughImplicitFunction() {
    let c = condition
    let recorder = DiagnosticsRecorder()
    let function = ImplicitFunction(condition: c, options: recorder.options) { θ in Vector(c.rootByBisection(θ)) }
    let target = Vector([0.5, 1.0, 1.5, 0.2])
    // L(θ) = ½‖x*(θ) − target‖² + θ·Σx*(θ): dL/dθ = Σ(xᵢ − targetᵢ + θ)·x'ᵢ + Σxᵢ.
    let g = gradient(at: θ) { θ in 0.5 * (function(θ) - target).squaredNorm() + θ * function(θ).sum() }
    let x = c.closedFormRoot(θ), dx = c.closedFormDerivative(θ)
    let expected = (0..<x.count).map { (x[$0] - target[$0] + θ) * dx[$0] }.reduce(0, +) + x.reduce(0, +)
    #expect(Swift.abs(g - expected) < 1e-12 * Swift.abs(expected), "\(g) vs \(expected)")
    guard case .success(let diagnostics)? = recorder.last else {
      Issue.record("no diagnostics recorded: \(String(describing: recorder.last))")
      return
    }
    #expect(diagnostics.isReliable)
  }
}
