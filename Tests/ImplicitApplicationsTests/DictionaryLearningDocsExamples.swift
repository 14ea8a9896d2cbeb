import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import ImplicitStationarity
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The page's objective, as shown (the demo's is the same with doc comments).
enum DictionaryLearningPage {
  // docs-example: dictionary-learning-1
  struct SampleReconstruction: ParametricObjective {  // f(x, θ) = ½‖a − Dx‖², θ = vec(D)
    let sample: [Double], atoms: Int
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
      let dictionary = Matrix<S>(reshaping: θ, rows: sample.count, columns: atoms)
      return S(0.5) * (dictionary * x - Vector<S>(converting: sample)).squaredNorm()
    }
  }
  // end-docs-example
}

/// The compiled examples of docs/dictionary-learning.md: the page's objective is the demo's, and
/// one sample's implicit contribution to the dictionary's gradient matches central finite
/// differences of tightly re-solved codes.
@Suite struct DictionaryLearningDocsExamples {
  @Test func oneSampleContributionMatchesFiniteDifferences() throws {
    let (d, k, λ₁, λ₂) = (6, 4, 0.05, 0.1)
    var rng = SeededGenerator(seed: 51)
    let dictionary = rng.normalMatrix(rows: d, columns: k, scale: 0.5)
    let sample = rng.normalVector(d).scalars
    let v = rng.normalVector(k)
    let page = DictionaryLearningPage.SampleReconstruction(sample: sample, atoms: k)
    let x = rng.normalVector(k)
    #expect(
      abs(
        page(x, dictionary.flattenedVector())
          - SampleReconstruction(sample: sample, atoms: k)(x, dictionary.flattenedVector())) == 0)

    // The code: a tight solve of the sample's elastic-net problem, a root of the condition.
    func solveCode(_ dictionary: Matrix<Double>) throws -> Vector<Double> {
      let condition = try ProximalGradientCondition(
        objective: SampleReconstruction(sample: sample, atoms: k), prox: ElasticNetProximal(),
        objectiveParameterCount: d * k, proxParameter: Vector([λ₁, λ₂]))
      let θ = condition.packParameters(objective: dictionary.flattenedVector(), prox: Vector([λ₁, λ₂]))
      return try FISTA(tolerance: 1e-13, maxIterations: 100_000).solve(condition, θ, from: Vector.zeros(k)).converged()
    }
    let code = try solveCode(dictionary)
    #expect(code.scalars.contains { $0 != 0 })
    // docs-example: dictionary-learning-2
    let condition = try ProximalGradientCondition(
      objective: SampleReconstruction(sample: sample, atoms: k),
      prox: ElasticNetProximal(), objectiveParameterCount: d * k, proxParameter: Vector([λ₁, λ₂]),
      stepSize: 1 / dictionary.squaredSpectralNorm())
    let θ = condition.packParameters(objective: dictionary.flattenedVector(), prox: Vector([λ₁, λ₂]))
    let contribution = try ImplicitDifferentiator(condition).vjp(v, at: code, θ).value  // −Bᵢᵀuᵢ = vᵀ∂x*/∂θ
    // end-docs-example
    let direction = rng.normalMatrix(rows: d, columns: k), h = 1e-6
    let fd = (try solveCode(dictionary + h * direction) - solveCode(dictionary - h * direction)).dot(v) / (2 * h)
    let slope = Vector(Array(contribution.scalars[0..<(d * k)])).dot(direction.flattenedVector())
    #expect(abs(slope - fd) <= 1e-6 * max(abs(fd), 1e-6), "\(slope) vs \(fd)")
  }

  /// One task-driven step on a small synthetic problem; the dictionary gradient it uses matches
  /// central finite differences of the task loss with every code re-solved.
  @Test func oneTaskDrivenStep() throws {
    let (n, d, k) = (24, 5, 3)
    var rng = SeededGenerator(seed: 52)
    let labels = (0..<n).map { $0 % 2 }
    let features = Matrix((0..<n).map { i in rng.normalVector(d).scalars.map { $0 + (labels[i] == 1 ? 0.8 : 0) } })
    let train = try LabeledDataset(name: "two blobs", features: features, labels: labels, classNames: ["0", "1"])
    let coder = ElasticNetCoder(l1: 0.2, l2: 0.1)
    let task = LogisticTaskLoss(labels: labels.map(Double.init), atoms: k, l2Strength: 1e-3)
    let hypergradient = DictionaryHypergradient(l1: coder.l1, l2: coder.l2)
    var dictionary = ReconstructionDictionaryLearning.initialDictionary(train.features, atoms: k, seed: 1)
    var codes = try coder.encode(train.features, on: dictionary)
    var classifier = try NewtonCG(tolerance: 1e-9).solve(task, codes.codes.flattenedVector(), from: .zeros(k + 1))
      .converged()
    var dictionaryOptimizer = Adam(learningRate: 0.01), classifierOptimizer = Adam(learningRate: 0.05)
    var flatDictionary = dictionary.flattenedVector()
    let (before, classifierBefore) = (dictionary, classifier)
    // docs-example: dictionary-learning-3
    codes = try coder.encode(train.features, on: dictionary, from: codes.codes)  // warm start
    let (loss, classifierGradient, codeGradient) = task.valueWithGradients(
      at: classifier, codes.codes.flattenedVector())
    let pulled = try hypergradient.pullback(
      Matrix(reshaping: codeGradient, rows: n, columns: k),
      samples: train.features, codes: codes.codes, dictionary: dictionary)
    dictionaryOptimizer.step(&flatDictionary, along: pulled.dictionary.flattenedVector())
    dictionary = ReconstructionDictionaryLearning.projectedAtoms(Matrix(reshaping: flatDictionary, rows: d, columns: k))
    classifierOptimizer.step(&classifier, along: classifierGradient)
    // end-docs-example
    func taskLoss(_ dictionary: Matrix<Double>) throws -> Double {
      task(classifierBefore, try coder.encode(train.features, on: dictionary).codes.flattenedVector())
    }
    #expect(abs(loss - (try taskLoss(before))) <= 1e-12 * abs(loss))
    let direction = rng.normalMatrix(rows: d, columns: k), h = 1e-6
    let fd = (try taskLoss(before + h * direction) - taskLoss(before - h * direction)) / (2 * h)
    let slope = pulled.dictionary.flattenedVector().dot(direction.flattenedVector())
    #expect(abs(slope - fd) <= 1e-6 * max(abs(fd), 1e-6), "\(slope) vs \(fd)")
    #expect(dictionary != before && classifier != classifierBefore)
  }
}
