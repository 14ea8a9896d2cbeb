import ImplicitCore
import ImplicitStationarity
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The page's objective, as shown (the demo's adds an initialiser that fills `targets`).
enum DatasetDistillationPage {
  // docs-example: dataset-distillation-1
  struct PrototypeLogisticRegression: ParametricObjective {
    let classes: Int, pixels: Int, l2Strength: Double
    let targets: [Double]  // the 10 × 10 identity: prototype c has label c

    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ p: Vector<S>) -> S {
      let prototypes = Matrix<S>(reshaping: p, rows: classes, columns: pixels)
      let weights = Matrix<S>(reshaping: w, rows: pixels, columns: classes)
      let scores = prototypes * weights
      let crossEntropy =
        (scores.rowLogSumExp().sum() - scores.flattenedVector().dot(Vector<S>(converting: targets)))
        / S(Double(classes))
      return crossEntropy + S(0.5 * l2Strength) * w.squaredNorm()
    }
  }
  // end-docs-example
}

/// The compiled examples of docs/dataset-distillation.md, on three digit classes and a few outer
/// steps: the page's objective is the demo's, and the hypergradient matches central finite
/// differences of re-solved outer losses.
@Suite struct DatasetDistillationDocsExamples {
  @Test func pageObjectiveIsTheDemos() {
    let (classes, pixels) = (3, 4)
    let identity = (0..<(classes * classes)).map { $0 / classes == $0 % classes ? 1.0 : 0 }
    let page = DatasetDistillationPage.PrototypeLogisticRegression(
      classes: classes, pixels: pixels, l2Strength: 0.1, targets: identity)
    let demo = PrototypeLogisticRegression(classes: classes, pixels: pixels, l2Strength: 0.1)
    var rng = SeededGenerator(seed: 41)
    let w = rng.normalVector(pixels * classes), p = rng.normalVector(classes * pixels)
    #expect(abs(page(w, p) - demo(w, p)) <= 1e-14 * abs(demo(w, p)))
  }

  @Test func distillationStepsLowerTheLossWithExactHypergradients() throws {
    var digits = try Datasets.digits()
    digits.features = (1.0 / 16) * digits.features
    let keep = (0..<digits.count).filter { digits.labels[$0] < 3 }.prefix(90)
    let subset = try LabeledDataset(
      name: "digits 0–2", features: Matrix(keep.map { digits.features.row($0).scalars }),
      labels: keep.map { digits.labels[$0] }, classNames: ["0", "1", "2"])
    let (classes, pixels) = (3, digits.featureCount)
    let trainSet = LinearSoftmaxEvaluation(subset)
    var prototypes = Vector<Double>.zeros(classes * pixels)
    var adam = Adam(learningRate: 0.02)
    let steps = 5
    var losses = [Double]()
    // docs-example: dataset-distillation-2
    let inner = PrototypeLogisticRegression(classes: classes, pixels: pixels, l2Strength: 1e-3)
    let state = DistillationSolveLog(start: Vector<Double>.zeros(pixels * classes))
    let trainOnPrototypes = ImplicitFunction(
      condition: StationarityCondition(inner, stronglyConvex: true),
      options: ImplicitOptions(onDiagnostics: { state.record($0) })  // `state`: a locked, Sendable log
    ) { (prototypes: Vector<Double>) -> Vector<Double> in
      state.run { try NewtonCG(tolerance: 1e-11).solve(inner, prototypes, from: state.start) }
    }

    @differentiable(reverse)
    func distillationLoss(_ prototypes: Vector<Double>) -> Double { trainSet.loss(trainOnPrototypes(prototypes)) }

    for _ in 0..<steps {  // the demo: 300 steps
      let (loss, hypergradient) = valueWithGradient(at: prototypes, of: distillationLoss)
      _ = try state.lastResult.converged()  // typed error if the inner solver failed
      _ = try state.lastDiagnostics?.get()  // typed error if the implicit solve failed
      losses.append(loss)
      adam.step(&prototypes, along: hypergradient)
      prototypes = prototypes.mapScalars { min(max($0, 0), 1) }  // pixels stay in [0, 1]
    }
    // end-docs-example
    #expect(losses.last! < losses.first!)
    var rng = SeededGenerator(seed: 42)
    let v = rng.normalVector(prototypes.count), h = 1e-5
    let slope = gradient(at: prototypes, of: distillationLoss).dot(v)
    let fd = (distillationLoss(prototypes + h * v) - distillationLoss(prototypes - h * v)) / (2 * h)
    #expect(abs(slope - fd) <= 1e-6 * abs(fd), "\(slope) vs \(fd)")
  }
}
