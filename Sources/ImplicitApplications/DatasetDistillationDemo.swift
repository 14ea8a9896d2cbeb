import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import Synchronization
import _Differentiation

extension Demos {
  /// `implicit demo dataset-distillation`: one learned image per digit class such that logistic regression trained on them classifies real digits.
  public static let datasetDistillation = Demo(
    name: "dataset-distillation",
    summary: "one learned image per digit class such that logistic regression trained on them classifies real digits",
    run: runDatasetDistillation)
}

/// Dataset distillation (Blondel et al. 2021, §4; Wang et al. 2018): learn ten 8×8 images, one per
/// digit, such that a classifier trained on those ten images alone classifies real digits.
///
/// It is a bilevel problem. Inner: the weights of l2-regularised logistic regression trained on
/// the prototypes `P`, `W*(P) = argmin_W f(W, P)`. Outer: the cross-entropy of `W*(P)` on the real
/// training digits, minimised over `P`. Its gradient needs `∂W*/∂P`, which the implicit function
/// theorem gives from the stationarity condition `∇_W f(W*, P) = 0` — no unrolling of the inner
/// solver.
func runDatasetDistillation() throws {
  print("== Dataset distillation on the UCI digits (Blondel et al. 2021, §4) ==")

  // 1. Data: 1797 real 8×8 digits, pixels scaled to [0, 1], split 75% / 25% (stratified).
  var digits = try Datasets.digits()
  digits.features = (1.0 / 16) * digits.features
  let (train, test) = digits.split(testFraction: 0.25, seed: 2021)
  let (classes, pixels) = (digits.classCount, digits.featureCount)
  print("data: \(train.count) training and \(test.count) test digits, \(pixels) pixels, \(classes) classes")

  // 2. The inner problem, made differentiable. `PrototypeLogisticRegression` is f(W, P); its
  //    stationarity condition ∇_W f = 0 has exact Hessian products (dual numbers), and with λ > 0
  //    the Hessian is positive definite, so the implicit solve runs conjugate gradient. Any solver
  //    works for the forward pass: here Newton-CG, warm-started from the previous outer step.
  let l2Strength = 1e-3
  let inner = PrototypeLogisticRegression(classes: classes, pixels: pixels, l2Strength: l2Strength)
  let innerSolver = NewtonCG(tolerance: 1e-11)
  let state = DistillationSolveLog(start: Vector<Double>.zeros(pixels * classes))
  let trainOnPrototypes = ImplicitFunction(
    condition: StationarityCondition(inner, stronglyConvex: true),
    options: ImplicitOptions(onDiagnostics: { state.record($0) })
  ) {
    (prototypes: Vector<Double>) -> Vector<Double> in
    // A solver that did not converge yields NaN (never a plausible vector); checked below.
    state.run { try innerSolver.solve(inner, prototypes, from: state.start) }
  }

  // 3. The outer loss: cross-entropy of W*(P) on the real training digits, an ordinary
  //    differentiable Swift function of P through `trainOnPrototypes`.
  let trainSet = LinearSoftmaxEvaluation(train), testSet = LinearSoftmaxEvaluation(test)
  @differentiable(reverse)
  func distillationLoss(_ prototypes: Vector<Double>) -> Double { trainSet.loss(trainOnPrototypes(prototypes)) }

  // 4. Distillation: Adam on the prototypes, with hypergradients by implicit differentiation,
  //    starting from blank images. After each step the pixels are clipped to [0, 1], the range
  //    of the real (scaled) digits: the prototypes stay images, and their scale — hence that of
  //    W* — stays bounded.
  var prototypes = Vector<Double>.zeros(classes * pixels)
  let steps = 300, learningRate = 0.02
  var adam = Adam(learningRate: learningRate)
  print(
    "inner problem: l2-regularised logistic regression on \(classes) prototypes, λ = \(l2Strength); "
      + "outer: Adam, \(steps) steps, learning rate \(learningRate)/(1 + step/100), pixels clipped to [0, 1]")
  print("\nstep   train loss  train acc   test acc   Newton its   implicit-solve its")
  let started = Date()
  for step in 0...steps {
    let (loss, hypergradient) = valueWithGradient(at: prototypes, of: distillationLoss)
    _ = try state.lastResult.converged()  // typed error if the inner solver failed
    let diagnostics = try state.lastDiagnostics?.get()  // typed error if the implicit solve failed
    let w = state.lastResult.solution
    state.start = w
    if step % 10 == 0 || step < 5 {
      print(
        String(
          format: "%4d   %9.5f   %7.2f%%   %7.2f%%   %10d   %7d", step, loss, 100 * trainSet.accuracy(w),
          100 * testSet.accuracy(w), state.lastResult.iterations, diagnostics?.linearSolve.iterations ?? 0))
    }
    guard step < steps else { break }
    adam.learningRate = learningRate / (1 + Double(step) / 100)
    adam.step(&prototypes, along: hypergradient)
    prototypes = prototypes.mapScalars { min(max($0, 0), 1) }
  }
  print("distillation: \(steps) outer steps in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

  // 5. Is the hypergradient right? At the learned prototypes, compare it along a random direction
  //    with central differences of the outer loss (each evaluation re-solves the inner problem).
  var rng = SeededGenerator(seed: 7)
  var direction = rng.normalVector(classes * pixels)
  direction = direction.scaled(by: 1 / direction.norm)
  let implicitSlope = gradient(at: prototypes, of: distillationLoss).innerProduct(with: direction)
  let h = 1e-5
  let finiteDifference =
    (distillationLoss(prototypes + h * direction) - distillationLoss(prototypes - h * direction)) / (2 * h)
  _ = try state.lastResult.converged()
  print(
    "check: directional derivative of the outer loss  implicit \(sci(implicitSlope))  "
      + "central differences \(sci(finiteDifference))  (relative gap \(sci(abs(implicitSlope - finiteDifference) / abs(finiteDifference))))"
  )

  // 6. What did it learn? Compare with two models of the same kind (same λ): trained on the
  //    ten class-mean images, and trained on all training digits.
  let distilled = try innerSolver.solve(inner, prototypes, from: state.start).converged()
  let means = distillationClassMeans(train)
  let fromMeans = try innerSolver.solve(inner, means, from: .zeros(pixels * classes)).converged()
  let full = try L2MulticlassLogisticRegression(
    features: train.features, labels: Vector(train.labels.map(Double.init)), classes: classes)
  let fromAll = try innerSolver.solve(full, Vector([l2Strength]), from: .zeros(pixels * classes)).converged()
  print("\ntest accuracy of l2-regularised logistic regression (λ = \(l2Strength)) trained on")
  print(String(format: "  the 10 distilled images:        %6.2f%%", 100 * testSet.accuracy(distilled)))
  print(String(format: "  the 10 class-mean images:       %6.2f%%", 100 * testSet.accuracy(fromMeans)))
  print(String(format: "  all %4d training digits:       %6.2f%%", train.count, 100 * testSet.accuracy(fromAll)))

  // 7. The learned images, next to the class means.
  let (darkest, mean) = (prototypes.scalars.max() ?? 0, prototypes.scalars.reduce(0, +) / Double(prototypes.count))
  print(
    String(
      format: "distilled pixels: mean %.3f, largest %.3f (real digits: mean %.3f)", mean, darkest,
      means.scalars.reduce(0, +) / Double(means.count)))
  var grid = SVGImageGrid(
    title: "Dataset distillation: one learned 8×8 image per digit (each image scaled to its own range, dark = high)")
  grid.addRow("class means", try prototypeImages(means, classes: classes, pixels: pixels))
  grid.addRow("distilled", try prototypeImages(prototypes, classes: classes, pixels: pixels))
  let path = try ImageOutput.write(grid.render(), fileName: "dataset-distillation.svg")
  print("\nwrote the class means and the distilled images to \(path)")
}

/// The inner solver's warm start, its last result and the last backward pass's outcome (the
/// solver closure and the diagnostics handler are called by the differentiable wrapper, so their
/// outcomes are recorded here to be checked by the caller). Locked: the wrapper is `Sendable`.
final class DistillationSolveLog: Sendable {
  private struct State {
    var start: Vector<Double>
    var lastResult: SolverResult<Vector<Double>>
    var lastDiagnostics: Result<DerivativeDiagnostics, any Error>?
  }
  private let state: Mutex<State>

  init(start: Vector<Double>) {
    state = Mutex(
      State(
        start: start,
        lastResult: SolverResult(
          solution: start, status: .breakdown("not run yet"), iterations: 0, residual: .nan, tolerance: 0,
          solver: "none"),
        lastDiagnostics: nil))
  }

  var start: Vector<Double> {
    get { state.withLock { $0.start } }
    set { state.withLock { $0.start = newValue } }
  }
  var lastResult: SolverResult<Vector<Double>> { state.withLock { $0.lastResult } }
  var lastDiagnostics: Result<DerivativeDiagnostics, any Error>? { state.withLock { $0.lastDiagnostics } }

  func record(_ outcome: Result<DerivativeDiagnostics, any Error>) { state.withLock { $0.lastDiagnostics = outcome } }

  /// Runs `solve` and records its outcome (a rejected input as a breakdown); returns the
  /// solution, or NaN if it did not converge.
  func run(_ solve: () throws -> SolverResult<Vector<Double>>) -> Vector<Double> {
    let start = self.start
    let result: SolverResult<Vector<Double>>
    do {
      result = try solve()
    } catch {
      result = SolverResult(
        solution: start, status: .breakdown("\(error)"), iterations: 0, residual: .nan, tolerance: 0,
        solver: "inner solver")
    }
    state.withLock { $0.lastResult = result }
    return (try? result.converged()) ?? Vector(repeating: .nan, count: start.count)
  }
}

/// The mean image of each class, flattened (`classes × pixels`).
private func distillationClassMeans(_ data: LabeledDataset) -> Vector<Double> {
  let (k, d) = (data.classCount, data.featureCount)
  var sums = [Double](repeating: 0, count: k * d)
  var counts = [Double](repeating: 0, count: k)
  for i in 0..<data.count {
    let c = data.labels[i]
    counts[c] += 1
    for j in 0..<d { sums[c * d + j] += data.features.scalars[i * d + j] }
  }
  return Vector((0..<(k * d)).map { sums[$0] / max(counts[$0 / d], 1) })
}

/// Square images from the rows of a flattened `classes × pixels` matrix, captioned by class.
private func prototypeImages(_ rows: Vector<Double>, classes: Int, pixels: Int) throws -> [GrayscaleImage] {
  let side = Int(Double(pixels).squareRoot())
  return try (0..<classes).map { c in
    try GrayscaleImage(
      width: side, height: side, pixels: Array(rows.scalars[(c * pixels)..<((c + 1) * pixels)]), caption: "\(c)")
  }
}
