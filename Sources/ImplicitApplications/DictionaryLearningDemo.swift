import Foundation
import ImplicitCore
import ImplicitStationarity
import _Differentiation

extension Demos {
  /// `implicit demo dictionary-learning`: task-driven dictionary learning with elastic-net codes vs plain dictionary learning (held-out AUC).
  public static let dictionaryLearning = Demo(
    name: "dictionary-learning",
    summary: "task-driven dictionary learning with elastic-net codes vs plain dictionary learning (held-out AUC)",
    run: runDictionaryLearning)
}

/// Task-driven dictionary learning (Mairal, Bach & Ponce 2012; Blondel et al. 2021, §4) on the
/// breast-cancer data.
///
/// Each sample `a` is represented by its elastic-net sparse code on a dictionary `D` of `k`
/// atoms, `x*(a, D) = argmin ½‖a − Dx‖² + λ₁‖x‖₁ + ½λ₂‖x‖²`, and a logistic classifier reads
/// the codes. Plain dictionary learning chooses `D` to reconstruct the samples; task-driven
/// dictionary learning chooses `D` to make the classifier's loss small, which needs
/// `∂x*/∂D` — implicit differentiation of the proximal-gradient fixed point of the codes.
func runDictionaryLearning() throws {
  print("== Task-driven dictionary learning on breast-cancer data (Blondel et al. 2021, §4) ==")
  let data = try Datasets.breastCancer()
  let setup = DictionaryLearningSetup(
    atoms: 10, coder: ElasticNetCoder(l1: 1.5, l2: 0.1), classifierStrength: 1e-3, plainSteps: 30, taskSteps: 40)
  print(
    "data: \(data.count) tumours, \(data.featureCount) features, classes \(data.classNames.joined(separator: " / ")); "
      + "each split: 2/3 training, 1/3 test, features standardised on the training part")
  print(
    "codes: \(setup.atoms) atoms, λ₁ = \(setup.coder.l1), λ₂ = \(setup.coder.l2) (sparse: a tight bottleneck); "
      + "classifier: logistic regression on the codes, ν = \(setup.classifierStrength)")

  // One split in detail, then the same experiment on more random splits: with 190 test samples
  // and AUCs near 0.99, one split alone cannot tell a real difference from noise.
  let first = try runDictionaryLearningSplit(data, seed: 1, setup, verbose: true)
  var results = [first]
  print("\n-- the same experiment on more random splits --")
  for seed in UInt64(2)...10 {
    let started = Date()
    let result = try runDictionaryLearningSplit(data, seed: seed, setup, verbose: false)
    results.append(result)
    print(
      String(
        format: "split %d: held-out AUC  plain %.4f   task-driven %.4f   raw features %.4f   (%.1f s)", seed,
        result.plainAUC, result.taskAUC, result.rawAUC, Date().timeIntervalSince(started)))
  }

  // What did it learn?
  func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
  let wins = results.filter { $0.taskAUC > $0.plainAUC }.count
  print("\nmean held-out AUC over \(results.count) splits of logistic regression on")
  print(String(format: "  codes on the plain dictionary:        %.4f", mean(results.map(\.plainAUC))))
  print(
    String(format: "  codes on the task-driven dictionary:  %.4f", mean(results.map(\.taskAUC)))
      + "   (higher on \(wins) of \(results.count) splits)")
  print(String(format: "  the 30 raw features (reference):      %.4f", mean(results.map(\.rawAUC))))

  // The figure: held-out AUC per split, and the ROC curves of the first split.
  // Paired comparison: one point per split, above the diagonal when task-driven wins.
  var perSplit = SVGPlot(
    title: "Held-out AUC on \(results.count) random splits", xLabel: "plain dictionary",
    yLabel: "task-driven dictionary", legend: .bottomRight)
  let aucs = results.flatMap { [$0.plainAUC, $0.taskAUC] }
  let (low, high) = (aucs.min() ?? 0, aucs.max() ?? 1)
  perSplit.add(
    SVGPlot.Series(name: "one split", points: results.map { ($0.plainAUC, $0.taskAUC) }, style: .scatter))
  perSplit.add(
    SVGPlot.Series(name: "equal AUC", points: [(low, low), (high, high)], style: .line, color: "#999999", dashed: true))
  var roc = SVGPlot(
    title: "Held-out ROC, split 1", xLabel: "false-positive rate", yLabel: "true-positive rate", legend: .bottomRight)
  roc.add(
    SVGPlot.Series(
      name: String(format: "plain dictionary (AUC %.3f)", first.plainAUC), points: first.plainROC, style: .line))
  roc.add(
    SVGPlot.Series(name: String(format: "task-driven (AUC %.3f)", first.taskAUC), points: first.taskROC, style: .line))
  roc.add(SVGPlot.Series(name: "chance", points: [(0, 0), (1, 1)], style: .line, color: "#999999", dashed: true))
  let path = try SVGFigure([perSplit, roc]).write(named: "dictionary-learning")
  print("\nwrote the per-split AUCs and the ROC curves of split 1 to \(path)")
}

/// The sizes and strengths of the experiment.
struct DictionaryLearningSetup {
  /// Number of atoms `k`.
  var atoms: Int
  /// The sparse coder (`λ₁`, `λ₂`).
  var coder: ElasticNetCoder
  /// `ν`, the classifier's l2 strength.
  var classifierStrength: Double
  /// Alternations of plain dictionary learning.
  var plainSteps: Int
  /// Gradient steps of task-driven dictionary learning.
  var taskSteps: Int
}

/// What one split of the experiment measured.
struct DictionaryLearningSplitResult {
  var plainAUC: Double, taskAUC: Double, rawAUC: Double
  var plainROC: [(x: Double, y: Double)], taskROC: [(x: Double, y: Double)]
}

/// Plain vs task-driven dictionary learning on one random split.
func runDictionaryLearningSplit(
  _ data: LabeledDataset, seed: UInt64, _ setup: DictionaryLearningSetup, verbose: Bool
) throws -> DictionaryLearningSplitResult {
  func say(_ line: @autoclosure () -> String) { if verbose { print(line()) } }

  // 1. Data: stratified split, features standardised with the training set's statistics.
  let (rawTrain, rawTest) = data.split(testFraction: 1.0 / 3, seed: seed)
  let standardization = FeatureStandardization(fittedOn: rawTrain.features)
  let (train, test) = (standardization.apply(to: rawTrain), standardization.apply(to: rawTest))
  let benign = 1  // the class the classifier scores (AUC is symmetric in the choice)
  say("\n== split \(seed): \(train.count) training and \(test.count) test samples ==")

  // 2. The inner problem: elastic-net codes on k atoms, solved exactly for every sample; the
  //    task loss on top of them; the classifier for fixed codes by Newton-CG.
  let (atoms, coder) = (setup.atoms, setup.coder)
  let task = LogisticTaskLoss(labels: train.labels.map(Double.init), atoms: atoms, l2Strength: setup.classifierStrength)
  func fitClassifier(_ codes: Matrix<Double>) throws -> Vector<Double> {
    try NewtonCG(tolerance: 1e-9).solve(task, codes.flattenedVector(), from: .zeros(atoms + 1)).converged()
  }
  func testScores(_ dictionary: Matrix<Double>, _ classifier: Vector<Double>) throws -> [Double] {
    task.scores(try coder.encode(test.features, on: dictionary).codes, classifier)
  }
  func testAUC(_ dictionary: Matrix<Double>, _ classifier: Vector<Double>) throws -> Double {
    areaUnderROC(scores: try testScores(dictionary, classifier), labels: test.labels, positive: benign) ?? .nan
  }

  // 3. Plain dictionary learning: alternate the codes and the reconstruction-optimal
  //    dictionary, then fit the classifier on the final codes.
  say("-- plain dictionary learning (reconstruction only) --")
  say("step   objective   non-zeros/code")
  var plain = ReconstructionDictionaryLearning.initialDictionary(train.features, atoms: atoms, seed: seed)
  var codes = try coder.encode(train.features, on: plain)
  for step in 1...setup.plainSteps {
    plain = ReconstructionDictionaryLearning.updatedDictionary(plain, samples: train.features, codes: codes.codes)
    codes = try coder.encode(train.features, on: plain, from: codes.codes)
    if step % 5 == 0 || step == 1 {
      say(
        String(
          format: "%4d   %9.5f   %5.2f", step, coder.objective(train.features, plain, codes.codes), codes.meanNonZeros))
    }
  }
  let plainClassifier = try fitClassifier(codes.codes)
  let plainAUC = try testAUC(plain, plainClassifier)
  say(String(format: "plain dictionary + logistic regression: held-out AUC %.4f", plainAUC))

  // 4. Task-driven dictionary learning, started from the plain solution: gradient steps on
  //    the task loss L(p, X*(D)) in the classifier p and in the dictionary D. ∂L/∂p is
  //    ordinary; ∂L/∂D = Σᵢ (∂L/∂xᵢ)ᵀ ∂xᵢ*/∂D comes from implicit differentiation, one
  //    small solve per sample (`DictionaryHypergradient`).
  let hypergradient = DictionaryHypergradient(l1: coder.l1, l2: coder.l2)
  var dictionary = plain, classifier = plainClassifier
  if verbose {
    // Check the hypergradient once against central differences of re-solving all the codes:
    // along a random unit direction in D, and in λ₁ and λ₂ (whose derivatives the same implicit
    // solves give for free: they are the last two entries of θ = [vec(D); λ₁, λ₂]).
    print("-- task-driven dictionary learning (hypergradients through the codes) --")
    let codes = try coder.encode(train.features, on: dictionary).codes
    let codeGradient = task.valueWithGradients(at: classifier, codes.flattenedVector()).θ
    let pulled = try hypergradient.pullback(
      Matrix(reshaping: codeGradient, rows: train.count, columns: atoms), samples: train.features, codes: codes,
      dictionary: dictionary)
    func taskLoss(_ coder: ElasticNetCoder, _ dictionary: Matrix<Double>) throws -> Double {
      task(classifier, try coder.encode(train.features, on: dictionary).codes.flattenedVector())
    }
    func report(_ what: String, implicit: Double, centralDifference: Double) {
      let gap = abs(implicit - centralDifference) / abs(centralDifference)
      print(
        "check: \(what)  implicit \(sci(implicit))  central differences \(sci(centralDifference))  (relative gap \(sci(gap)))"
      )
    }
    var rng = SeededGenerator(seed: 11)
    var direction = rng.normalMatrix(rows: dictionary.rows, columns: atoms)
    direction = (1 / direction.flattenedVector().norm()) * direction
    let h = 1e-5
    report(
      "directional derivative of the task loss in D",
      implicit: pulled.dictionary.flattenedVector().dot(direction.flattenedVector()),
      centralDifference: (try taskLoss(coder, dictionary + h * direction) - taskLoss(coder, dictionary - h * direction))
        / (2 * h))
    for (name, strength, implicit) in [
      ("λ₁", \ElasticNetCoder.l1, pulled.strengths.l1), ("λ₂", \.l2, pulled.strengths.l2),
    ] {
      var (up, down) = (coder, coder)
      up[keyPath: strength] += h
      down[keyPath: strength] -= h
      report(
        "derivative of the task loss in \(name)          ", implicit: implicit,
        centralDifference: (try taskLoss(up, dictionary) - taskLoss(down, dictionary)) / (2 * h))
    }
    print("(one \(pulled.method) solve of a \(atoms)×\(atoms) system per sample with a non-zero code)")
  }

  var dictionaryOptimizer = Adam(learningRate: 0.01), classifierOptimizer = Adam(learningRate: 0.05)
  say("step   task loss   train AUC   test AUC   non-zeros/code   implicit solves   worst ‖F‖")
  let started = Date()
  for step in 0...setup.taskSteps {
    // Forward: the codes (warm-started), then the task loss and its gradients in p and in the codes.
    codes = try coder.encode(train.features, on: dictionary, from: codes.codes)
    let (loss, classifierGradient, codeGradient) = task.valueWithGradients(
      at: classifier, codes.codes.flattenedVector())
    // Backward through the codes: one implicit solve per sample.
    let pulled = try hypergradient.pullback(
      Matrix(reshaping: codeGradient, rows: train.count, columns: atoms), samples: train.features, codes: codes.codes,
      dictionary: dictionary)
    if verbose {
      let trainAUC = areaUnderROC(scores: task.scores(codes.codes, classifier), labels: train.labels, positive: benign)
      print(
        String(
          format: "%4d   %9.5f   %9.4f   %8.4f   %14.2f   %15d   %9.1e", step, loss, trainAUC ?? .nan,
          try testAUC(dictionary, classifier), codes.meanNonZeros, pulled.solves, pulled.worstResidual))
    }
    guard step < setup.taskSteps else { break }
    var flatDictionary = dictionary.flattenedVector()
    dictionaryOptimizer.step(&flatDictionary, along: pulled.dictionary.flattenedVector())
    dictionary = ReconstructionDictionaryLearning.projectedAtoms(
      Matrix(reshaping: flatDictionary, rows: dictionary.rows, columns: atoms))
    classifierOptimizer.step(&classifier, along: classifierGradient)
  }
  say("task-driven: \(setup.taskSteps) steps in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

  // 5. The reference: the same classifier on the 30 raw (standardised) features.
  let raw = LogisticTaskLoss(
    labels: train.labels.map(Double.init), atoms: train.featureCount, l2Strength: setup.classifierStrength)
  let rawClassifier = try NewtonCG(tolerance: 1e-9).solve(
    raw, train.features.flattenedVector(), from: .zeros(train.featureCount + 1)
  ).converged()
  let rawAUC = areaUnderROC(scores: raw.scores(test.features, rawClassifier), labels: test.labels, positive: benign)

  let (plainScores, taskScores) = (try testScores(plain, plainClassifier), try testScores(dictionary, classifier))
  let result = DictionaryLearningSplitResult(
    plainAUC: plainAUC, taskAUC: try testAUC(dictionary, classifier), rawAUC: rawAUC ?? .nan,
    plainROC: rocCurve(scores: plainScores, labels: test.labels, positive: benign),
    taskROC: rocCurve(scores: taskScores, labels: test.labels, positive: benign))
  say(
    String(
      format: "split %d: held-out AUC  plain %.4f   task-driven %.4f   raw features %.4f", seed, result.plainAUC,
      result.taskAUC, result.rawAUC))
  return result
}
