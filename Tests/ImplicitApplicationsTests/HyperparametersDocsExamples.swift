import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitRidge
import ImplicitStationarity
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The compiled examples of docs/hyperparameters.md, on smaller data, each hypergradient checked
/// against central finite differences of re-solved validation losses.
@Suite struct HyperparametersDocsExamples {
  /// `⟨∇L, v⟩` against `(L(s + hv) − L(s − hv))/2h`.
  static func expectMatchesFiniteDifferences(
    _ loss: (Vector<Double>) -> Double, gradient g: Vector<Double>, at s: Vector<Double>, seed: UInt64
  ) {
    var rng = SeededGenerator(seed: seed)
    let v = rng.normalVector(s.count), h = 1e-5
    let fd = (loss(s + h * v) - loss(s - h * v)) / (2 * h)
    #expect(abs(g.dot(v) - fd) <= 1e-6 * max(abs(fd), 1e-8), "\(g.dot(v)) vs \(fd)")
  }

  @Test func ridgeHypergradientAndOuterStep() throws {
    let data = HyperparameterData.regression(
      seed: 7, features: 12, informative: 3, train: 40, validation: 30, test: 1, noise: 1.5)
    let (Xval, yval) = data.validation
    let logθ = Vector(repeating: Foundation.log(10.0), count: data.features)
    // docs-example: hyperparameters-1
    let condition = try PerFeatureRidgeCondition(A: data.train.X, b: data.train.y)
    let fit = ImplicitFunction(condition: condition) { (θ: Vector<Double>) -> Vector<Double> in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: θ.count)  // NaN, never a plausible vector
    }

    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      let residual = Xval * fit(logθ.exp()) - yval
      return 0.5 * residual.squaredNorm() / Double(yval.count)
    }

    let (loss, hypergradient) = valueWithGradient(at: logθ, of: validationLoss)
    // end-docs-example
    #expect(loss.isFinite)
    Self.expectMatchesFiniteDifferences(validationLoss, gradient: hypergradient, at: logθ, seed: 1)

    var s = logθ
    let g = hypergradient, learningRate = 20.0, maxMove = 0.5
    // docs-example: hyperparameters-2
    s = s - g.mapScalars { max(-maxMove, min(maxMove, learningRate * $0)) }
    // end-docs-example
    for j in 0..<s.count {  // each coordinate moved by the clamped step, at most maxMove
      let move = max(-maxMove, min(maxMove, learningRate * g[j]))
      #expect(s[j] == logθ[j] - move && abs(move) <= maxMove)
    }
  }

  @Test func logisticHypergradient() throws {
    let data = HyperparameterData.classification(
      seed: 8, features: 10, informative: 3, train: 60, validation: 50, test: 1, noise: 1)
    let d = data.features
    let (Xval, yval) = data.validation
    let logθ = Vector(repeating: Foundation.log(0.1), count: d)
    // docs-example: hyperparameters-3
    let objective = try BinaryLogisticRegression(features: data.train.X, labels: data.train.y)
    let fit = ImplicitFunction(
      minimizing: objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-10),
      initialGuess: Vector.zeros(d))

    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      (-(yval * (Xval * fit(logθ.exp())))).softplus().mean()
    }
    // end-docs-example
    let (loss, hypergradient) = valueWithGradient(at: logθ, of: validationLoss)
    #expect(loss.isFinite)
    Self.expectMatchesFiniteDifferences(validationLoss, gradient: hypergradient, at: logθ, seed: 2)
  }
}
