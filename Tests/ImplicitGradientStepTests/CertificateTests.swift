import Foundation
import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// The certificate of Theorem 1 (Blondel et al. 2021), measured: the forward solver is stopped
/// early at `‖F(x̂, θ)‖` from 1e-2 to 1e-10, the Jacobian at `x̂` is compared with the Jacobian at
/// a tight solution, and the reported bound must never be below that true error and at most 30×
/// it (where the true error is above rounding).
@Suite("Derivative certificate: bound vs true error")
struct CertificateTests {
  /// One problem: a proximal-gradient condition, its `θ`, a start, and the step `η`.
  struct Problem<Objective: ParametricObjective, Prox: ProximalOperator> {
    var name: String
    var condition: ProximalGradientCondition<Objective, Prox>
    var θ: Vector<Double>
    var start: Vector<Double>
    var η: Double

    /// FISTA stopped at `‖F‖ ≈ residual` (`‖F‖ = η·gradient-mapping norm with a fixed step η`).
    func solve(residual: Double) throws -> Vector<Double> {
      try FISTA(stepSize: .fixed(η), tolerance: residual / η, maxIterations: 1_000_000)
        .solve(condition, θ, from: start).solution
    }

    /// The exact root: FISTA to rounding level, then Newton polishing.
    func exact() throws -> Vector<Double> {
      let x = try FISTA(stepSize: .fixed(η), tolerance: 1e-14, maxIterations: 1_000_000)
        .solve(condition, θ, from: start).solution
      return condition.refined(x, θ).solution
    }

    /// `x̂` after `steps` iterations of ISTA (`accelerated`: FISTA).
    func iterate(_ steps: Int, accelerated: Bool) throws -> Vector<Double> {
      try FISTA.fixedIterations(steps, stepSize: η, acceleration: accelerated).solve(condition, θ, from: start).solution
    }

    /// The table rows, checking the bound against the true error at each accuracy.
    func measure(_ table: inout [String]) throws {
      let options = ImplicitOptions(linearSolver: DenseLU(relativeTolerance: 1e-13), policy: .flagAll)
      let d = ImplicitDifferentiator(condition, options: options)
      let exact = try d.jacobian(at: try exact(), θ).matrix
      let rounding = 1e-11 * max(1, exact.flattenedVector().norm())
      for target in CertificateTests.residuals {
        let x = try solve(residual: target)
        let j = try d.jacobian(at: x, θ)
        let trueError = (j.matrix - exact).flattenedVector().norm()
        let bound = j.diagnostics.jacobianErrorEstimate
        table.append(
          "\(name.padding(toLength: 9, withPad: " ", startingAt: 0)) | "
            + [j.diagnostics.residualNorm, trueError, bound].map { format($0) }.joined(separator: " | ")
            + " | \(trueError > 0 ? format(bound / trueError) : "—") | \(j.diagnostics.isReliable)")
        if trueError > rounding {
          #expect(bound >= trueError, "\(name) ‖F‖ = \(j.diagnostics.residualNorm): bound \(bound) < \(trueError)")
          #expect(
            bound <= 30 * trueError, "\(name) ‖F‖ = \(j.diagnostics.residualNorm): bound \(bound) > 30 × \(trueError)")
        }
        // The VJP path carries the same kind of bound.
        let v = Vector((0..<x.count).map { Double($0 % 3) - 1 })
        let vjp = try d.vjp(v, at: x, θ)
        let vjpError = (vjp.value - exact.transposedTimes(v)).norm()
        if vjpError > rounding * v.norm() {
          #expect(vjp.diagnostics.jacobianErrorEstimate >= vjpError, "\(name) VJP at ‖F‖ = \(target)")
        }
      }
    }

    /// A derivative this far from converged is not reliable, and `.throwError` refuses it.
    func expectUnreliable(after steps: Int, accelerated: Bool) throws {
      let x = try iterate(steps, accelerated: accelerated)
      let flagging = ImplicitOptions(policy: DerivativePolicy(degeneracy: .flag))
      let j = try ImplicitDifferentiator(condition, options: flagging).jacobian(at: x, θ)
      let exact = try ImplicitDifferentiator(condition).jacobian(at: try exact(), θ).matrix
      let relative = (j.matrix - exact).flattenedVector().norm() / exact.flattenedVector().norm()
      #expect(relative > 0.01, "\(name): fixture should be visibly off")
      #expect(!j.diagnostics.isReliable, "\(name) after \(steps) steps: \(relative) off, \(j.diagnostics)")
      var strict = ImplicitOptions()
      strict.policy.inaccuracy = .throwError
      strict.policy.degeneracy = .flag
      #expect(throws: ImplicitError.self) { try ImplicitDifferentiator(condition, options: strict).jacobian(at: x, θ) }

      // The differentiable wrapper follows the same policy: flagged, or NaN and a reported error.
      let recorder = DiagnosticsRecorder()
      var options = flagging
      options.onDiagnostics = recorder.handler
      let θ0 = θ
      let flagged = ImplicitFunction(condition: condition, options: options) { _ in x }
      let g = gradient(at: θ0) { θ in flagged(θ).sum() }
      guard case .success(let recorded)? = recorder.last else {
        Issue.record("\(name): no diagnostics recorded")
        return
      }
      #expect(g.isFinite && !recorded.isReliable && recorded.relativeErrorEstimate > 0.01)
      strict.onDiagnostics = recorder.handler
      let refusing = ImplicitFunction(condition: condition, options: strict) { _ in x }
      let nan = gradient(at: θ0) { θ in refusing(θ).sum() }
      #expect(nan.scalars.allSatisfy { $0.isNaN })
      guard case .failure(let error)? = recorder.last, case .inaccurateDerivative? = error as? ImplicitError else {
        Issue.record("\(name): expected a recorded inaccurateDerivative, got \(String(describing: recorder.last))")
        return
      }
    }
  }

  static let residuals = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10]

  var rng = SeededGenerator(seed: 2021)
  let A: Matrix<Double>, b: Vector<Double>

  init() {
    A = rng.normalMatrix(rows: 20, columns: 8)
    b = rng.normalVector(20)
  }

  /// Ridge: ½‖Ax − b‖² + ½λ‖x‖², θ = [b; λ].
  func ridge() throws -> Problem<LeastSquares, RidgeProximal> {
    let c = try ProximalGradientCondition(
      objective: LeastSquares(A: A), prox: RidgeProximal(), objectiveParameterCount: 20, proxParameter: Vector([0.5]),
      stepSize: 1 / A.squaredSpectralNorm())
    return Problem(
      name: "ridge", condition: c, θ: c.packParameters(objective: b, prox: Vector([0.5])), start: .zeros(8),
      η: c.stepSize)
  }

  /// Lasso: ½‖Ax − b‖² + λ‖x‖₁ with λ = 0.3‖Aᵀb‖∞, θ = [b; λ].
  func lasso() throws -> Problem<LeastSquares, LassoProximal> {
    let λ = Vector([0.3 * (A.transposedTimes(b).scalars.map(abs).max() ?? 1)])
    let c = try ProximalGradientCondition(
      objective: LeastSquares(A: A), prox: LassoProximal(), objectiveParameterCount: 20, proxParameter: λ,
      stepSize: 1 / A.squaredSpectralNorm())
    return Problem(
      name: "lasso", condition: c, θ: c.packParameters(objective: b, prox: λ), start: .zeros(8), η: c.stepSize)
  }

  /// The multiclass SVM dual on products of simplices, θ the regularisation.
  func svmDual() throws -> Problem<MulticlassSVMDual, ProjectionProximal<RowSimplexProjection>> {
    var rng = SeededGenerator(seed: 18)
    let X = rng.normalMatrix(rows: 8, columns: 5)
    let svm = try MulticlassSVMDual(X: X, Y: try oneHot(Vector([0, 1, 2, 1, 0, 2, 2, 1]), classes: 3))
    let c = try ProximalGradientCondition(
      objective: svm, projection: RowSimplexProjection(columns: 3), objectiveParameterCount: 1,
      projectionParameter: Vector([]), stepSize: 1 / svm.lipschitzConstant(1))
    return Problem(name: "svm-dual", condition: c, θ: Vector([1]), start: svm.uniformStart, η: c.stepSize)
  }

  @Test("bound ≥ true error and ≤ 30 × true error, ‖F‖ from 1e-2 to 1e-10")
  func boundTracksTheTrueError() throws {
    var table = ["problem   | ‖F(x̂)‖ | true error | bound | bound/true | reliable", "---|---|---|---|---|---"]
    try ridge().measure(&table)
    try lasso().measure(&table)
    try svmDual().measure(&table)
    print(table.joined(separator: "\n"))
  }

  /// The two cases of the issue: 2 gradient steps on ridge (21% off), 3 FISTA steps on the lasso
  /// (81% off) used to be marked reliable.
  @Test("unconverged solutions: isReliable is false, and .throwError throws")
  func unconvergedIsUnreliable() throws {
    try ridge().expectUnreliable(after: 2, accelerated: false)
    try lasso().expectUnreliable(after: 3, accelerated: true)
  }
}

/// `x` in scientific notation with 2 decimals.
func format(_ x: Double) -> String { String(format: "%.2e", x) }
