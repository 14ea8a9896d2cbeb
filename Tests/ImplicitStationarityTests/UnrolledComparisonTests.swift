import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

/// Implicit differentiation against reverse-mode differentiation *through* a fixed number of
/// gradient-descent steps, with the gradient written explicitly in plain differentiable vector
/// operations. With enough steps (contraction `1 − μ/L` per step) the unrolled derivative
/// converges to the implicit one.
@Suite struct UnrolledComparisonTests {
  /// Ridge: `x ← x − η(Aᵀ(Ax − b) + θ ⊙ x)`, validation loss `½‖A_val x − b_val‖²`.
  struct UnrolledRidge {
    let p: Problems.Ridge
    let step: Double
    let steps: Int

    @differentiable(reverse,wrt: θ)
    func solve(_ θ: Vector<Double>) -> Vector<Double> {
      var x = Vector<Double>.zeros(p.A.columns)
      for _ in 0..<steps { x = x - step * (p.A.transposedTimes(p.A * x - p.b) + θ * x) }
      return x
    }

    @differentiable(reverse)
    func validationLoss(_ x: Vector<Double>) -> Double { 0.5 * (p.validationA * x - p.validationB).squaredNorm() }
  }

  @Test func ridgeHypergradientMatchesUnrolledGradientDescent() throws {
    let p = try Problems.ridge()
    let L = p.objective.gradientLipschitzConstant(p.θ)
    let unrolled = UnrolledRidge(p: p, step: 1 / L, steps: 400)
    let unrolledGradient = gradient(at: p.θ) { θ in unrolled.validationLoss(unrolled.solve(θ)) }

    let recorder = DiagnosticsRecorder()
    let fit = ImplicitFunction(
      minimizing: p.objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-13), initialGuess: Vector.zeros(5),
      options: recorder.options)
    let implicitGradient = gradient(at: p.θ) { θ in unrolled.validationLoss(fit(θ)) }
    #expect(Reference.relativeError(implicitGradient.scalars, unrolledGradient.scalars) < 1e-9)
    if case .success(let diagnostics) = recorder.last {
      #expect(diagnostics.isReliable)
    } else {
      Issue.record("no diagnostics recorded")
    }
  }

  /// Logistic: `w ← w − η(−Xᵀ(y ⊙ σ(−y ⊙ Xw))/n + θ ⊙ w)`, validation logistic loss.
  struct UnrolledLogistic {
    let p: Problems.Logistic
    let step: Double
    let steps: Int

    @differentiable(reverse,wrt: θ)
    func solve(_ θ: Vector<Double>) -> Vector<Double> {
      var w = Vector<Double>.zeros(p.X.columns)
      let n = Double(p.X.rows)
      for _ in 0..<steps {
        let gradient = p.X.transposedTimes(p.y * (-(p.y * (p.X * w))).sigmoid()) / (-n) + θ * w
        w = w - step * gradient
      }
      return w
    }

    @differentiable(reverse)
    func validationLoss(_ w: Vector<Double>) -> Double { (-(p.validationY * (p.validationX * w))).softplus().mean() }
  }

  @Test func logisticHypergradientMatchesUnrolledGradientDescent() throws {
    let p = try Problems.logistic()
    let L = p.objective.gradientLipschitzConstant(p.θ)
    let unrolled = UnrolledLogistic(p: p, step: 1 / L, steps: 400)
    let (unrolledLoss, unrolledGradient) = valueWithGradient(at: p.θ) { θ in unrolled.validationLoss(unrolled.solve(θ))
    }

    let w = try Problems.argmin(p.objective, p.θ, dimension: p.X.columns)
    let differentiator = ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true))
    let outer = gradient(at: w) { w in unrolled.validationLoss(w) }
    let implicitGradient = try differentiator.vjp(outer, at: w, p.θ).value
    #expect(Swift.abs(unrolled.validationLoss(w) - unrolledLoss) < 1e-12)
    #expect(Reference.relativeError(implicitGradient.scalars, unrolledGradient.scalars) < 1e-9)
  }

  @Test func fewUnrolledStepsAreVisiblyDifferent() throws {
    // The comparison above is not vacuous: 5 steps are far from the implicit derivative.
    let p = try Problems.ridge()
    let unrolled = UnrolledRidge(p: p, step: 1 / p.objective.gradientLipschitzConstant(p.θ), steps: 5)
    let short = gradient(at: p.θ) { θ in unrolled.validationLoss(unrolled.solve(θ)) }
    let x = try Problems.argmin(p.objective, p.θ, dimension: 5)
    let outer = gradient(at: x) { x in unrolled.validationLoss(x) }
    let implicit = try ImplicitDifferentiator(StationarityCondition(p.objective, stronglyConvex: true)).vjp(
      outer, at: x, p.θ)
    #expect(Reference.relativeError(short.scalars, implicit.value.scalars) > 1e-2)
  }
}
