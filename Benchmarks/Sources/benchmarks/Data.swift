import Foundation
import ImplicitCore

/// A regression data set of the smooth and lasso workloads: `X` (`n × p`, row-major), targets
/// `y`, and a validation set of the same size.
struct RegressionData {
  let samples: Int
  let features: Int
  let X: [Double]
  let y: [Double]
  let validationX: [Double]
  let validationY: [Double]
  /// The hyper-parameter value the hypergradient is taken at (per-feature strengths, or `[λ]`).
  let theta: [Double]

  /// Ridge / logistic data (`benchmarks.md`): `X` standard normal, `w_true ~ N(0, 1/p)`; ridge
  /// targets `⟨xᵢ, w_true⟩ + 0.5·ε`, logistic labels `sign(⟨xᵢ, w_true⟩ + 0.5·ε)`; `θ ∈ ℝᵖ`
  /// log-uniform in `[0.3, 1]`.
  static func smooth(logistic: Bool, samples n: Int, features p: Int) -> RegressionData {
    var g = SeededGenerator(seed: 2024 + UInt64(p) + (logistic ? 7 : 0))
    let truth = (0..<p).map { _ in g.normal() / Double(p).squareRoot() }
    let (X, y) = sample(n, truth, &g) { margin, g in
      let noisy = margin + 0.5 * g.normal()
      return logistic ? (noisy >= 0 ? 1 : -1) : noisy
    }
    let (Xv, yv) = sample(n, truth, &g) { margin, g in
      let noisy = margin + 0.5 * g.normal()
      return logistic ? (noisy >= 0 ? 1 : -1) : noisy
    }
    let (lo, hi) = (log(0.3), log(1.0))
    let theta = (0..<p).map { _ in exp(lo + (hi - lo) * Double.random(in: 0..<1, using: &g)) }
    return RegressionData(samples: n, features: p, X: X, y: y, validationX: Xv, validationY: yv, theta: theta)
  }

  /// Lasso data: `X` standard normal, `w_true` with 5% nonzero standard-normal entries,
  /// `y = Xw_true + 0.5·ε`; `θ = [λ]`, `λ = 0.1·λ_max`, `λ_max = ‖Xᵀy‖_∞/n`.
  static func lasso(samples n: Int, features p: Int) -> RegressionData {
    var g = SeededGenerator(seed: 4242 + UInt64(p))
    let truth = (0..<p).map { _ in Double.random(in: 0..<1, using: &g) < 0.05 ? g.normal() : 0 }
    let (X, y) = sample(n, truth, &g) { margin, g in margin + 0.5 * g.normal() }
    let (Xv, yv) = sample(n, truth, &g) { margin, g in margin + 0.5 * g.normal() }
    var lambdaMax = 0.0
    for j in 0..<p {
      var c = 0.0
      for i in 0..<n { c += X[i * p + j] * y[i] }
      lambdaMax = max(lambdaMax, abs(c) / Double(n))
    }
    return RegressionData(
      samples: n, features: p, X: X, y: y, validationX: Xv, validationY: yv, theta: [0.1 * lambdaMax])
  }

  /// Standard normal rows, drawn row by row; targets from `target(⟨xᵢ, w_true⟩)`.
  private static func sample(
    _ n: Int, _ truth: [Double], _ g: inout SeededGenerator,
    target: (Double, inout SeededGenerator) -> Double
  ) -> ([Double], [Double]) {
    let p = truth.count
    var X = [Double](repeating: 0, count: n * p), y = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var margin = 0.0
      for j in 0..<p {
        let v = g.normal()
        X[i * p + j] = v
        margin += v * truth[j]
      }
      y[i] = target(margin, &g)
    }
    return (X, y)
  }
}

/// The multiclass-SVM data (`benchmarks.md`): rows of `X` standard normal scaled by `1/√P`;
/// labels the argmax of `xᵢ·W_true + 0.5·noise` for a fixed random `W_true`; one-hot `Y`; a
/// validation set from the same model; `θ = l2reg = 1`.
struct SVMData {
  let samples: Int
  let features: Int
  let classes: Int
  let X: [Double]
  let Y: [Double]
  let validationX: [Double]
  let validationY: [Double]
  let theta = 1.0

  init(samples n: Int, features p: Int, classes k: Int) {
    var rng = SeededGenerator(seed: 0x5EED_0000 &+ UInt64(p))
    let scale = 1 / Double(p).squareRoot()
    let truth = (0..<(p * k)).map { _ in rng.normal() }  // W_true, P × k
    func sample() -> (x: [Double], y: [Double]) {
      let x = (0..<(n * p)).map { _ in scale * rng.normal() }
      var y = [Double](repeating: 0, count: n * k)
      for i in 0..<n {
        var best = 0
        var bestScore = -Double.infinity
        for c in 0..<k {
          var s = 0.5 * rng.normal()
          for f in 0..<p { s += x[i * p + f] * truth[f * k + c] }
          if s > bestScore { (best, bestScore) = (c, s) }
        }
        y[i * k + best] = 1
      }
      return (x, y)
    }
    let train = sample(), validation = sample()
    samples = n
    features = p
    classes = k
    X = train.x
    Y = train.y
    validationX = validation.x
    validationY = validation.y
  }
}
