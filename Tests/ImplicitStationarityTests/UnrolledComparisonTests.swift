import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

/// Implicit differentiation against the library's unrolled switch,
/// ``GradientDescent/unrolled(_:_:from:iterations:)``: reverse-mode differentiation *through* a
/// fixed number of gradient-descent steps. The unrolled derivative is checked against central
/// differences of the unrolled map itself, and, with enough steps (contraction `1 − μ/L` per
/// step), it converges to the implicit one.
@Suite struct UnrolledComparisonTests {
  /// Validation loss `½‖A_val x − b_val‖²` of the ridge problem.
  struct RidgeValidation {
    let p: Problems.Ridge
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>) -> Double { 0.5 * (p.validationA * x - p.validationB).squaredNorm() }
  }

  /// Validation logistic loss of the logistic problem.
  struct LogisticValidation {
    let p: Problems.Logistic
    @differentiable(reverse)
    func callAsFunction(_ w: Vector<Double>) -> Double { (-(p.validationY * (p.validationX * w))).softplus().mean() }
  }

  /// The implicit hypergradient `∇_θ loss(x*(θ))` of a ridge validation loss.
  func implicitRidgeHypergradient(_ p: Problems.Ridge) throws -> Vector<Double> {
    let x = try Problems.argmin(p.objective, p.θ, dimension: 5)
    let validation = RidgeValidation(p: p)
    let outer = gradient(at: x) { x in validation(x) }
    return try ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true)).vjp(outer, at: x, p.θ)
      .value
  }

  @Test func ridgeHypergradientMatchesUnrolledGradientDescent() throws {
    let p = try Problems.ridge()
    let solver = GradientDescent(stepSize: .inverseLipschitz(p.objective.gradientLipschitzConstant(p.θ)))
    let validation = RidgeValidation(p: p)
    let unrolledGradient = gradient(at: p.θ) { θ in
      validation(solver.unrolled(p.objective, θ, from: Vector.zeros(5), iterations: 400))
    }

    let recorder = DiagnosticsRecorder()
    let fit = ImplicitFunction(
      minimizing: p.objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-13), initialGuess: Vector.zeros(5),
      options: recorder.options)
    let implicitGradient = gradient(at: p.θ) { θ in validation(fit(θ)) }
    #expect(Reference.relativeError(implicitGradient.scalars, unrolledGradient.scalars) < 1e-9)
    if case .success(let diagnostics) = recorder.last {
      #expect(diagnostics.isReliable)
    } else {
      Issue.record("no diagnostics recorded")
    }
  }

  @Test func logisticHypergradientMatchesUnrolledGradientDescent() throws {
    let p = try Problems.logistic()
    let solver = GradientDescent(stepSize: .inverseLipschitz(p.objective.gradientLipschitzConstant(p.θ)))
    let validation = LogisticValidation(p: p)
    let start = Vector<Double>.zeros(p.X.columns)
    let (unrolledLoss, unrolledGradient) = valueWithGradient(at: p.θ) { θ in
      validation(solver.unrolled(p.objective, θ, from: start, iterations: 400))
    }

    let w = try Problems.argmin(p.objective, p.θ, dimension: p.X.columns)
    let differentiator = ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true))
    let outer = gradient(at: w) { w in validation(w) }
    let implicitGradient = try differentiator.vjp(outer, at: w, p.θ).value
    #expect(Swift.abs(validation(w) - unrolledLoss) < 1e-12)
    #expect(Reference.relativeError(implicitGradient.scalars, unrolledGradient.scalars) < 1e-9)
  }

  @Test func unrolledAndImplicitDerivativesAgreeAsTheIterationsGrow() throws {
    let p = try Problems.ridge()
    let implicit = try implicitRidgeHypergradient(p)
    let validation = RidgeValidation(p: p)
    for accelerated in [false, true] {
      let solver = GradientDescent(
        stepSize: .inverseLipschitz(p.objective.gradientLipschitzConstant(p.θ)), accelerated: accelerated)
      let errors = [5, 20, 80, 320].map { k in
        let g = gradient(at: p.θ) { θ in
          validation(solver.unrolled(p.objective, θ, from: Vector.zeros(5), iterations: k))
        }
        return Reference.relativeError(g.scalars, implicit.scalars)
      }
      // The comparison is not vacuous: 5 steps are far from the implicit derivative.
      #expect(errors[0] > 1e-2, "accelerated: \(accelerated), errors \(errors)")
      #expect(zip(errors, errors.dropFirst()).allSatisfy { $1 < $0 }, "accelerated: \(accelerated), errors \(errors)")
      #expect(errors[3] < 1e-9, "accelerated: \(accelerated), errors \(errors)")
    }
  }

  @Test func unrolledDerivativeMatchesFiniteDifferencesOfTheUnrolledMap() throws {
    // Thirty steps on the (non-quadratic) logistic objective, far from converged: the derivative
    // is that of the truncated map, which central differences of the same map must reproduce.
    let p = try Problems.logistic()
    let weights = Vector([1.0, -0.5, 2, 0.3, -1.2])
    let start = Vector([0.1, -0.2, 0.05, 0.3, 0])
    for accelerated in [false, true] {
      let solver = GradientDescent(stepSize: .fixed(0.5), accelerated: accelerated)
      let g = gradient(at: p.θ) { θ in solver.unrolled(p.objective, θ, from: start, iterations: 30).dot(weights) }
      let reference = FiniteDifferences.gradient(at: p.θ.scalars) { θ in
        solver.unrolled(p.objective, Vector(θ), from: start, iterations: 30).dot(weights)
      }
      #expect(Reference.relativeError(g.scalars, reference) < 1e-7, "accelerated: \(accelerated)")
    }
  }

  @Test func unrolledIteratesAreThoseOfFixedIterationMode() throws {
    let p = try Problems.logistic()
    let start = Vector<Double>.zeros(p.X.columns)
    for accelerated in [false, true] {
      let solver = GradientDescent(stepSize: .automatic, accelerated: accelerated, mode: .fixedIterations(25))
      let run = try solver.solve(p.objective, p.θ, from: start)
      let unrolled = solver.unrolled(p.objective, p.θ, from: start, iterations: 25)
      #expect(Reference.relativeError(unrolled.scalars, run.solution.scalars) < 1e-14, "accelerated: \(accelerated)")
    }
  }

  @Test func invalidInputGivesNaNNotATrap() throws {
    let p = try Problems.logistic()
    let wrongShape = GradientDescent().unrolled(p.objective, p.θ, from: Vector.zeros(p.X.columns + 1), iterations: 3)
    #expect(wrongShape.scalars.allSatisfy { $0.isNaN })
    let badStep = GradientDescent(stepSize: .fixed(0)).unrolled(
      p.objective, p.θ, from: Vector.zeros(p.X.columns), iterations: 3)
    #expect(badStep.count == p.X.columns && badStep.scalars.allSatisfy { $0.isNaN })
  }
}
