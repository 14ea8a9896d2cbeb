import ImplicitCore
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

@testable import ImplicitApplications

/// End-to-end hypergradients of two demos, on tiny sizes, against central finite differences of
/// the outer loss with the inner problem re-solved tightly at each perturbed parameter.
@Suite struct HypergradientTests {
  /// The SVM-hyperparameter demo: `d L_val(β*(θ), θ) / d log θ` through the projected-gradient and
  /// block-coordinate-descent conditions, at a tight solution. (With `d ≥ n` the training set is
  /// separable: below θ ≈ 1 the solution is the hard-margin one and the loss is flat in θ, so the
  /// checked points lie in the soft-margin regime, where the derivative is not trivially zero.)
  @Test(arguments: [0.7, 1.5, 2.5])
  func svmHypergradientMatchesFiniteDifferencesOfResolving(logθ: Double) throws {
    let data = try SVMHyperparameterData.gaussianClasses(
      classes: 3, features: 16, train: 10, validation: 12, test: 1, separation: 1, seed: 3)
    let problem = try SVMHyperparameterProblem(train: data.train, validation: data.validation)
    let θ = Double.exp(logθ)
    let beta = try problem.solveTightly(logθ: logθ)

    let h = 1e-4
    func resolvedLoss(_ s: Double) throws -> Double {
      problem.validationLoss(try problem.solveTightly(logθ: s), Double.exp(s))
    }
    // Noise of the quotient ≈ solve tolerance (1e-11) / h, truncation ≈ h²: both below 1e-7.
    let fd = (try resolvedLoss(logθ + h) - resolvedLoss(logθ - h)) / (2 * h)
    #expect(abs(fd) > 1e-4)  // a non-trivial derivative

    for solver in [SVMDualSolver.projectedGradient, .blockCoordinateDescent] {
      let implicit = try problem.implicitHypergradient(solver, beta: beta, logθ: logθ)
      #expect(abs(implicit.derivative - fd) < 1e-7, "\(solver): \(implicit.derivative) vs \(fd)")
      #expect(abs(implicit.loss - problem.validationLoss(beta, θ)) < 1e-14)
    }
  }

  /// The dataset-distillation demo's bilevel loss `P ↦ L_train(W*(P))`, with `W*(P)` from
  /// Newton–CG wrapped in `ImplicitFunction` on the stationarity condition, exactly as the demo does.
  @Test func distillationHypergradientMatchesFiniteDifferencesOfResolving() throws {
    let (classes, pixels, samples) = (3, 4, 30)
    var rng = SeededGenerator(seed: 12)
    let features = rng.normalMatrix(rows: samples, columns: pixels)
    let labels = (0..<samples).map { $0 % classes }
    let real = try LabeledDataset(name: "tiny", features: features, labels: labels, classNames: ["a", "b", "c"])
    let inner = PrototypeLogisticRegression(classes: classes, pixels: pixels, l2Strength: 0.1)
    let solver = NewtonCG(tolerance: 1e-12)
    let start = Vector<Double>.zeros(pixels * classes)
    @Sendable func solve(_ prototypes: Vector<Double>) -> Vector<Double> {
      (try? solver.solve(inner, prototypes, from: start).converged()) ?? Vector(repeating: .nan, count: start.count)
    }
    let train = ImplicitFunction(condition: StationarityCondition(inner, stronglyConvex: true)) { solve($0) }
    let evaluation = LinearSoftmaxEvaluation(real)
    @differentiable(reverse)
    func loss(_ prototypes: Vector<Double>) -> Double { evaluation.loss(train(prototypes)) }

    let prototypes = rng.normalVector(classes * pixels)
    let g = gradient(at: prototypes, of: loss)
    #expect(g.isFinite)
    let h = 1e-5
    for k in 0..<3 {
      let direction = rng.normalVector(prototypes.count)
      let resolved = { (p: Vector<Double>) in evaluation.loss(solve(p)) }
      let fd = (resolved(prototypes + h * direction) - resolved(prototypes - h * direction)) / (2 * h)
      let implicit = g.dot(direction)
      #expect(abs(implicit - fd) < 1e-8, "direction \(k): \(implicit) vs \(fd)")
    }
  }
}
