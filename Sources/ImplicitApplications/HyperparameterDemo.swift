import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitRidge
import ImplicitStationarity
import _Differentiation

extension Demos {
  /// `implicit demo hyperparameters`: per-feature l2 strengths of ridge and logistic regression tuned by hypergradient descent.
  public static let hyperparameters = Demo(
    name: "hyperparameters",
    summary: "per-feature l2 strengths of ridge and logistic regression tuned by hypergradient descent",
    run: runHyperparameterDemo)
}

/// Bilevel hyper-parameter optimisation with one l2 strength per feature (θ ∈ ℝᴾ):
///
///     min_θ  L_val(x*(θ))   where   x*(θ) = argmin_x  L_train(x) + ½ Σⱼ θⱼ xⱼ²
///
/// The hypergradient ∇_θ L_val = (∂x*/∂θ)ᵀ ∇ₓL_val comes from implicit differentiation of the
/// inner problem's stationarity condition — P strengths cost one linear solve per outer step,
/// never P re-solves and never differentiation through the inner solver.
func runHyperparameterDemo() throws {
  print("== Per-feature l2 regularisation tuned by implicit hypergradients ==")
  print("Only some features carry signal; a strength per feature lets the validation loss tell them apart.\n")
  let ridge = try HyperparameterTuning.ridge()
  print("")
  let logistic = try HyperparameterTuning.logistic()
  let path = try HyperparameterTuning.figure([ridge, logistic]).write(named: "hyperparameters")
  print("\nplot: \(path)")
}

/// What one tuning run learned, for the summary and the plot.
struct HyperparameterOutcome {
  var title: String
  var strengths: [Double]
  var informative: Int
  var history: [Double]
}

/// The two tuning runs and their reporting.
enum HyperparameterTuning {
  // MARK: - (a) Ridge regression

  /// Ridge regression with `x*(θ) = argmin ½‖Xx − y‖² + ½Σθⱼxⱼ²`, differentiated through
  /// `PerFeatureRidgeCondition` (`F = Xᵀ(Xx − y) + θ ⊙ x`, `B = diag(x)`), solved in closed form.
  static func ridge() throws -> HyperparameterOutcome {
    let data = HyperparameterData.regression(
      seed: 7, features: 40, informative: 8, train: 100, validation: 100, test: 2000, noise: 1.5)
    let p = data.features
    print(
      "(a) ridge regression: \(data.train.X.rows) training / \(data.validation.X.rows) validation samples, "
        + "\(p) features of which the first \(data.informative) are informative")

    // 1. The inner solver: anything that returns x*(θ). Here a dense Cholesky solve, which is never
    //    differentiated; `ImplicitFunction` makes θ ↦ x*(θ) differentiable through the condition.
    let condition = try PerFeatureRidgeCondition(A: data.train.X, b: data.train.y)
    let fit = ImplicitFunction(condition: condition) { (θ: Vector<Double>) -> Vector<Double> in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: θ.count)  // NaN, never a plausible vector
    }

    // 2. The outer objective: half the validation mean squared error, as a function of log θ.
    let (Xval, yval) = data.validation
    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      let residual = Xval * fit(logθ.exp()) - yval
      return 0.5 * residual.squaredNorm() / Double(yval.count)
    }

    // 3. Check one hypergradient against central finite differences of re-solving.
    let initial = 10.0
    let start = Vector(repeating: Foundation.log(initial), count: p)
    checkHypergradient(validationLoss, at: start, seed: 11)

    // 4. Gradient descent on log θ, every hypergradient by implicit differentiation.
    print("\n step   val loss    mean log θ (informative)   mean log θ (noise)   ‖∇‖")
    let descent = HyperparameterDescent(learningRate: 100, steps: 60, maxMove: 0.5)
    let tuned = try descent.run(from: start, loss: validationLoss) { step in
      guard step.index % 6 == 0 else { return }
      printStep(step, informative: data.informative)
    }

    // 5. A baseline: one shared strength θ·(1, …, 1), tuned the same way (a 1-dimensional θ).
    let ones = Vector<Double>(repeating: 1, count: p)
    @differentiable(reverse)
    func sharedLoss(_ logθ: Vector<Double>) -> Double { validationLoss(logθ.sum() * ones) }
    let shared = try descent.run(from: Vector([Foundation.log(initial)]), loss: sharedLoss) { _ in }

    func testError(_ θ: Vector<Double>) -> Double {
      0.5 * (data.test.X * fit(θ) - data.test.y).squaredNorm() / Double(data.test.y.count)
    }
    let learned = tuned.logθ.exp()
    print("\nwhat it learned (ridge):")
    summarizeStrengths(learned, informative: data.informative)
    print(
      String(
        format:
          "  test loss (½ MSE, %d samples): θ = %g everywhere %.4f | one tuned shared θ = %.3g: %.4f | per-feature θ: %.4f",
        data.test.y.count, initial, testError(start.exp()), Foundation.exp(shared.logθ[0]),
        testError(Foundation.exp(shared.logθ[0]) * ones), testError(learned)))
    return HyperparameterOutcome(
      title: "ridge regression", strengths: learned.scalars, informative: data.informative, history: tuned.history)
  }

  // MARK: - (b) Logistic regression

  /// Binary logistic regression `w*(θ) = argmin mean log(1 + exp(−yᵢxᵢᵀw)) + ½Σθⱼwⱼ²`, solved by
  /// Newton–CG and differentiated through its stationarity condition `∇_w f(w, θ) = 0`
  /// (`StationarityCondition` on the `BinaryLogisticRegression` objective).
  static func logistic() throws -> HyperparameterOutcome {
    let data = HyperparameterData.classification(
      seed: 8, features: 30, informative: 6, train: 120, validation: 200, test: 2000, noise: 1)
    let d = data.features
    print(
      "(b) logistic regression: \(data.train.X.rows) training / \(data.validation.X.rows) validation samples, "
        + "\(d) features of which the first \(data.informative) are informative")

    // 1. The inner problem as an objective f(w, θ), solved by Newton–CG; the stationarity
    //    condition ∇_w f = 0 supplies the derivative (exact Hessian products on dual numbers).
    let objective = try BinaryLogisticRegression(features: data.train.X, labels: data.train.y)
    let fit = ImplicitFunction(
      minimizing: objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-10),
      initialGuess: Vector.zeros(d))

    // 2. The outer objective: the validation logistic loss, as a function of log θ.
    let (Xval, yval) = data.validation
    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      (-(yval * (Xval * fit(logθ.exp())))).softplus().mean()
    }

    let initial = 0.1
    let start = Vector(repeating: Foundation.log(initial), count: d)
    checkHypergradient(validationLoss, at: start, seed: 12)

    print("\n step   val loss    mean log θ (informative)   mean log θ (noise)   ‖∇‖")
    let descent = HyperparameterDescent(learningRate: 50, steps: 60, maxMove: 0.5)
    let tuned = try descent.run(from: start, loss: validationLoss) { step in
      guard step.index % 6 == 0 else { return }
      printStep(step, informative: data.informative)
    }

    func test(_ θ: Vector<Double>) -> (loss: Double, accuracy: Double) {
      let margins = data.test.y * (data.test.X * fit(θ))
      return ((-margins).softplus().mean(), Double(margins.scalars.filter { $0 > 0 }.count) / Double(margins.count))
    }
    let learned = tuned.logθ.exp()
    let before = test(start.exp()), after = test(learned)
    print("\nwhat it learned (logistic):")
    summarizeStrengths(learned, informative: data.informative)
    print(
      String(
        format:
          "  test (%d samples): θ = %g everywhere: loss %.4f, accuracy %.1f%% | per-feature θ: loss %.4f, accuracy %.1f%%",
        data.test.y.count, initial, before.loss, 100 * before.accuracy, after.loss, 100 * after.accuracy))
    return HyperparameterOutcome(
      title: "logistic regression", strengths: learned.scalars, informative: data.informative, history: tuned.history)
  }

  // MARK: - Reporting

  /// Prints the implicit hypergradient along a random direction next to central finite
  /// differences of the validation loss (each evaluation re-solves the inner problem).
  static func checkHypergradient(
    _ loss: @differentiable(reverse) (Vector<Double>) -> Double, at s: Vector<Double>, seed: UInt64
  ) {
    var rng = SeededGenerator(seed: seed)
    let direction = rng.normalVector(s.count)
    let unit = direction.scaled(by: 1 / direction.norm)
    let g = gradient(at: s, of: loss)
    let h = 1e-4
    let fd = (loss(s + h * unit) - loss(s - h * unit)) / (2 * h)
    let implicit = g.dot(unit)
    print(
      "hypergradient along a random direction: implicit \(sci(implicit)), finite differences of re-solving \(sci(fd)) "
        + "(relative difference \(sci(abs(implicit - fd) / max(abs(fd), 1e-300))))")
  }

  static func printStep(_ step: HyperparameterDescent.Step, informative: Int) {
    let s = step.logθ.scalars
    let informativeMean = s[..<informative].reduce(0, +) / Double(informative)
    let noiseMean = s[informative...].reduce(0, +) / Double(s.count - informative)
    print(
      String(
        format: "%5d  %9.5f   %14.3f             %14.3f        %.2e",
        step.index, step.loss, informativeMean, noiseMean, step.gradient.norm))
  }

  /// Prints the learned strengths of the informative features and a summary of the noise
  /// features, and whether the `informative` smallest strengths are exactly the informative ones.
  static func summarizeStrengths(_ θ: Vector<Double>, informative: Int) {
    let s = θ.scalars
    let noise = s[informative...].sorted()
    print(
      "  informative features 0..<\(informative): θ = "
        + s[..<informative].map { String(format: "%.3g", $0) }.joined(separator: ", "))
    print(
      String(
        format: "  noise features: θ from %.3g to %.3g (median %.3g)", noise.first!, noise.last!, noise[noise.count / 2]
      ))
    let smallest = Set(s.indices.sorted { s[$0] < s[$1] }.prefix(informative))
    let recovered = smallest.filter { $0 < informative }.count
    let ratio = noise[noise.count / 2] / s[..<informative].sorted()[informative / 2]
    print(
      "  the \(informative) weakest strengths are \(recovered) of the \(informative) informative features"
        + (recovered == informative ? " — the hypergradient separated signal from noise" : "")
        + String(format: "; median noise θ / median informative θ = %.3g", ratio))
  }

  /// Learned strengths per feature (log scale) and the validation loss per step.
  static func figure(_ outcomes: [HyperparameterOutcome]) -> SVGFigure {
    var panels = [SVGPlot]()
    for outcome in outcomes {
      var plot = SVGPlot(
        title: "learned θⱼ, \(outcome.title)", xLabel: "feature j", yLabel: "θⱼ", yScale: .log, legend: .bottomRight)
      let points = outcome.strengths.enumerated().map { (x: Double($0.offset), y: $0.element) }
      plot.add(.init(name: "informative", points: Array(points[..<outcome.informative]), style: .scatter))
      plot.add(.init(name: "noise", points: Array(points[outcome.informative...]), style: .scatter))
      panels.append(plot)
    }
    var loss = SVGPlot(title: "validation loss / initial", xLabel: "outer step", yLabel: "relative validation loss")
    for outcome in outcomes {
      let first = outcome.history.first ?? 1
      loss.add(
        .init(
          name: outcome.title, points: outcome.history.enumerated().map { (Double($0.offset), $0.element / first) },
          style: .line))
    }
    panels.append(loss)
    return SVGFigure(panels)
  }
}
