// The Swift blocks of docs/getting-started.md, compiled and run; the checks after each block
// compare with independent references (closed form, finite differences of re-solves).
// docs-example: getting-started-1
import ImplicitCore
import ImplicitObjectives  // RidgeRegression, for section 8
import ImplicitStationarity  // GradientDescent, for section 8
// end-docs-example
import ImplicitTestSupport
import Testing
import _Differentiation

// docs-example: getting-started-3
/// x*(θ) = argmin ½‖Ax − b‖² + ½θ‖x‖²  ⇔  F(x, θ) = Aᵀ(Ax − b) + θx = 0
struct Ridge: OptimalityCondition, Sendable {
  var A: Matrix<Double>
  var b: Vector<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> {
    A.transposedTimes(A * x - b) + θ * x
  }

  // A = ∂F/∂x = AᵀA + θI: declaring it SPD lets the library use Cholesky or CG.
  var structure: LinearStructure { .symmetricPositiveDefinite }

  // Called before F is evaluated: bad input becomes a typed error instead of a trap.
  func validate(_ x: Vector<Double>, _ θ: Double) throws {
    try ImplicitError.checkDimension("x (one entry per column of A)", x.count, expected: A.columns)
    try ImplicitError.checkDimension("b (one entry per row of A)", b.count, expected: A.rows)
    guard θ > 0 else { throw ImplicitError.invalidArgument("θ must be positive, got \(θ)") }
  }
}
// end-docs-example

/// The ridge solution by an independent dense solve of `(AᵀA + θI)x = Aᵀb`.
func referenceRidge(_ A: Matrix<Double>, _ b: Vector<Double>, _ θ: Double) -> [Double] {
  let rows = Reference.rows(A)
  let gram = Reference.add(Reference.matmul(Reference.transpose(rows), rows), Reference.identity(A.columns), scale: θ)
  return Reference.solve(gram, Reference.transposedMatvec(rows, b.scalars))!
}

/// The closed form `∂x*/∂θ = −(AᵀA + θI)⁻¹x*`.
func referenceRidgeDerivative(_ A: Matrix<Double>, _ b: Vector<Double>, _ θ: Double) -> [Double] {
  let rows = Reference.rows(A)
  let gram = Reference.add(Reference.matmul(Reference.transpose(rows), rows), Reference.identity(A.columns), scale: θ)
  return Reference.solve(gram, referenceRidge(A, b, θ))!.map { -$0 }
}

@Test("docs/getting-started.md: every block runs and agrees with independent references")
func gettingStarted() throws {
  // docs-example: getting-started-2
  // Vectors and matrices are values, generic over the scalar (Double here).
  let A = Matrix<Double>([[1, 0], [0, 2], [1, 1], [2, -1]])  // 4 × 2, given row by row
  let b = Vector<Double>([1, 2, 0, 1])
  var rng = SeededGenerator(seed: 7)  // reproducible random data
  let Aval = rng.normalMatrix(rows: 10, columns: 2)  // a validation set
  let bval = rng.normalVector(10)
  // Also: Vector.zeros(n), Matrix.identity(n), Matrix(rows:columns:scalars:) (row-major),
  // A[i, j], A * x, A.transposedTimes(y), x.dot(y), x.norm(), x.squaredNorm().
  // end-docs-example
  #expect(A.rows == 4 && A.columns == 2 && A[3, 1] == -1 && b.count == 4)
  #expect(Aval.rows == 10 && bval.count == 10)

  // docs-example: getting-started-4
  let condition = Ridge(A: A, b: b)
  let ridge = ImplicitFunction(condition: condition) { (θ: Double) -> Vector<Double> in
    // Any solver; it is never differentiated. Here: gradient descent on f, whose gradient is F.
    var x = Vector<Double>.zeros(2)
    for _ in 0..<200 { x = x - 0.1 * condition(x, θ) }
    return x
  }
  let x = ridge(0.5)  // runs the solver: x*(0.5)
  // end-docs-example
  #expect(TestSupport.relativeError(x.scalars, referenceRidge(A, b, 0.5)) < 1e-12)

  // docs-example: getting-started-5
  // d/dθ of a validation loss, through ordinary differentiable Swift code.
  let hypergradient = gradient(at: 0.5) { θ in 0.5 * (Aval * ridge(θ) - bval).squaredNorm() }
  // end-docs-example
  func validationLoss(_ θ: Double) -> Double {
    let r = Reference.subtract(Reference.matvec(Reference.rows(Aval), referenceRidge(A, b, θ)), bval.scalars)
    return 0.5 * Reference.dot(r, r)
  }
  let h = 1e-5
  let finiteDifference = (validationLoss(0.5 + h) - validationLoss(0.5 - h)) / (2 * h)
  #expect(abs(hypergradient - finiteDifference) < 1e-8 * max(1, abs(finiteDifference)))

  // docs-example: getting-started-6
  let differentiator = ImplicitDifferentiator(condition)  // the same as ridge.differentiator
  let jacobian = try differentiator.jacobian(at: x, 0.5)  // ∂x*/∂θ, a 2 × 1 matrix
  print(jacobian.diagnostics)  // ‖F(x̂, θ)‖, the linear solve's status, error estimates
  let jvp = try differentiator.jvp(1.0, at: x, 0.5)  // forward mode: ∂x*/∂θ · t, for t = 1
  let vjp = try differentiator.vjp(Vector([1, 0]), at: x, 0.5)  // reverse mode: vᵀ ∂x*/∂θ
  // end-docs-example
  let closedForm = referenceRidgeDerivative(A, b, 0.5)
  #expect(jacobian.matrix.rows == 2 && jacobian.matrix.columns == 1)
  #expect(TestSupport.relativeError(jacobian.matrix.scalars, closedForm) < 1e-12)
  #expect(jacobian.diagnostics.isReliable && jacobian.diagnostics.residualNorm < 1e-12)
  #expect(TestSupport.relativeError(jvp.value.scalars, closedForm) < 1e-12)
  #expect(abs(vjp.value - closedForm[0]) < 1e-12 * abs(closedForm[0]))

  // docs-example: getting-started-7
  do {
    _ = try differentiator.jvp(1.0, at: Vector([1, 2, 3]), 0.5)
  } catch {
    print(error)  // shape mismatch in x (one entry per column of A): expected 2, got 3
  }
  // end-docs-example
  #expect(throws: ImplicitError.shapeMismatch(what: "x (one entry per column of A)", expected: "2", actual: "3")) {
    try differentiator.jvp(1.0, at: Vector([1, 2, 3]), 0.5)
  }
  #expect(throws: ImplicitError.invalidArgument("θ must be positive, got -1.0")) {
    try differentiator.jacobian(at: x, -1)
  }

  // docs-example: getting-started-8
  var options = ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12))
  options.onDiagnostics = { outcome in
    if case .failure(let error) = outcome { print("backward pass failed:", error) }
  }
  let ridgeCG = ImplicitFunction(condition: condition, options: options, solver: ridge.solver)
  let viaCG = try ridgeCG.differentiator.jacobian(at: x, 0.5)
  print(viaCG.diagnostics.linearSolve)  // method, status, iterations, true residual
  // end-docs-example
  #expect(TestSupport.relativeError(viaCG.matrix.scalars, closedForm) < 1e-10)
  #expect(viaCG.diagnostics.linearSolve.method.contains("cg"))
  let cgHypergradient = gradient(at: 0.5) { θ in 0.5 * (Aval * ridgeCG(θ) - bval).squaredNorm() }
  #expect(abs(cgHypergradient - finiteDifference) < 1e-8 * max(1, abs(finiteDifference)))

  // docs-example: getting-started-9
  // The same problem as an objective, f(x, θ) = ½‖Ax − b‖² + ½θ‖x‖² with θ a one-entry vector,
  // solved by the library's accelerated gradient descent with a fixed step.
  let objective = try RidgeRegression(A: A, b: b)
  let descent = GradientDescent.accelerated(stepSize: .fixed(0.1), tolerance: 1e-12)
  let θ0 = Vector<Double>([0.5]), x0 = Vector<Double>.zeros(2)
  @differentiable(reverse) func loss(_ x: Vector<Double>) -> Double { 0.5 * (Aval * x - bval).squaredNorm() }

  // Implicit: solve to the tolerance, differentiate the condition ∇ₓf(x, θ) = 0.
  let fit = ImplicitFunction(minimizing: objective, stronglyConvex: true, solver: descent, initialGuess: x0)
  let implicit = gradient(at: θ0) { θ in loss(fit(θ)) }
  // Unrolled: differentiate through 10 iterations of the same solver (Swift's reverse mode).
  let unrolled = gradient(at: θ0) { θ in loss(descent.unrolled(objective, θ, from: x0, iterations: 10)) }
  print(implicit, unrolled)  // the unrolled one is the derivative of the 10th iterate
  // end-docs-example
  #expect(abs(implicit[0] - finiteDifference) < 1e-8 * max(1, abs(finiteDifference)))
  // The unrolled derivative is the derivative of the truncated solver: finite differences of
  // the same 10 fixed iterations, run by the solver itself.
  let fixed = GradientDescent.accelerated(stepSize: .fixed(0.1), mode: .fixedIterations(10))
  func truncatedLoss(_ θ: Double) throws -> Double {
    loss(try fixed.solve(objective, Vector([θ]), from: x0).converged())
  }
  let truncatedSlope = (try truncatedLoss(0.5 + h) - truncatedLoss(0.5 - h)) / (2 * h)
  #expect(abs(unrolled[0] - truncatedSlope) < 1e-8 * max(1, abs(truncatedSlope)))
}
