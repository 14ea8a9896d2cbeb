import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitRidge
import ImplicitStationarity
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The hyperparameters demo's pieces: its hypergradients against a closed form and against
/// finite differences of re-solving, and its outer gradient-descent loop.
@Suite struct HyperparameterTuningTests {
  /// Per-feature ridge, composed exactly as in the demo, against the closed form
  /// `∇_s L = −θ ⊙ x* ⊙ (XᵀX + diag θ)⁻¹ ∇ₓL`, `s = log θ`.
  @Test func perFeatureRidgeHypergradientMatchesTheClosedForm() throws {
    let data = HyperparameterData.regression(
      seed: 5, features: 6, informative: 2, train: 15, validation: 12, test: 1, noise: 0.5)
    let condition = try PerFeatureRidgeCondition(A: data.train.X, b: data.train.y)
    let fit = ImplicitFunction(condition: condition) { (θ: Vector<Double>) -> Vector<Double> in
      (try? condition.solve(θ)) ?? Vector(repeating: .nan, count: θ.count)
    }
    let (Xval, yval) = data.validation
    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      0.5 * (Xval * fit(logθ.exp()) - yval).squaredNorm() / Double(yval.count)
    }
    let s = Vector([-1.0, 0.5, 0, 1, 2, -0.3])
    let implicit = gradient(at: s, of: validationLoss)

    // Closed form, with its own Cholesky factorisation.
    let θ = s.scalars.map { Foundation.exp($0) }
    var gram = data.train.X.transposed() * data.train.X
    for j in 0..<6 { gram[j, j] += θ[j] }
    let cholesky = try #require(CholeskyFactorization(gram))
    let x = cholesky.solve(data.train.X.transposedTimes(data.train.y).scalars)
    let dLdx = Xval.transposedTimes(Xval * Vector(x) - yval).scaled(by: 1 / Double(yval.count))
    let u = cholesky.solve(dLdx.scalars)
    for j in 0..<6 {
      let expected = -θ[j] * x[j] * u[j]
      #expect(abs(implicit[j] - expected) <= 1e-10 * max(abs(expected), 1e-3), "coordinate \(j)")
    }
  }

  /// Per-feature logistic regression through `StationarityCondition` and Newton–CG, as in the
  /// demo, against central finite differences of the validation loss with the inner problem
  /// re-solved at each perturbed `θ`.
  @Test func perFeatureLogisticHypergradientMatchesFiniteDifferencesOfResolving() throws {
    let data = HyperparameterData.classification(
      seed: 6, features: 5, informative: 2, train: 40, validation: 30, test: 1, noise: 1)
    let objective = try BinaryLogisticRegression(features: data.train.X, labels: data.train.y)
    let fit = ImplicitFunction(
      minimizing: objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-12), initialGuess: Vector.zeros(5))
    let (Xval, yval) = data.validation
    @differentiable(reverse)
    func validationLoss(_ logθ: Vector<Double>) -> Double {
      (-(yval * (Xval * fit(logθ.exp())))).softplus().mean()
    }
    let s = Vector([-3.0, -2, -1, -2.5, -1.5])
    let implicit = gradient(at: s, of: validationLoss)
    let h = 1e-5
    for j in 0..<5 {
      let e = Vector<Double>.basis(j, count: 5)
      let fd = (validationLoss(s + h * e) - validationLoss(s - h * e)) / (2 * h)
      #expect(abs(implicit[j] - fd) <= 1e-7 * max(abs(fd), 1e-3), "coordinate \(j): \(implicit[j]) vs \(fd)")
    }
  }

  /// The outer loop: on `½‖s − c‖²` it converges to `c`, and no coordinate ever moves by more
  /// than `maxMove` in one step.
  @Test func descentConvergesAndCapsEveryMove() throws {
    let c = Vector([3.0, -40, 0.5])
    @differentiable(reverse)
    func loss(_ s: Vector<Double>) -> Double { 0.5 * (s - c).squaredNorm() }
    let descent = HyperparameterDescent(learningRate: 0.5, steps: 200, maxMove: 1)
    var previous: Vector<Double>?
    let result = try descent.run(from: Vector.zeros(3), loss: loss) { step in
      if let p = previous { #expect((step.logθ - p).scalars.allSatisfy { abs($0) <= 1 + 1e-15 }) }
      previous = step.logθ
    }
    #expect((result.logθ - c).norm() < 1e-10)
    #expect(result.history.count == 201)
    #expect(zip(result.history.dropFirst(), result.history).allSatisfy { $0 <= $1 })
  }

  /// A non-finite loss is reported as an error, not followed.
  @Test func nonFiniteLossThrows() {
    @differentiable(reverse)
    func loss(_ s: Vector<Double>) -> Double { s.log().sum() }  // NaN for negative s
    #expect(throws: ImplicitError.self) {
      try HyperparameterDescent(learningRate: 1, steps: 3).run(from: Vector([-1.0]), loss: loss) { _ in }
    }
  }
}
