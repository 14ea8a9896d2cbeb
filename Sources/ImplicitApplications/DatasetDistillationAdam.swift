import Foundation
import ImplicitCore

/// Adam (Kingma & Ba 2015), the outer optimiser of the demos: per-coordinate steps scaled by
/// running estimates of the gradient's first and second moments, robust to badly scaled
/// hypergradients.
struct Adam {
  var learningRate: Double
  var beta1 = 0.9
  var beta2 = 0.999
  var epsilon = 1e-8
  private var firstMoment: [Double] = []
  private var secondMoment: [Double] = []
  private var steps = 0

  init(learningRate: Double) { self.learningRate = learningRate }

  /// Moves `x` one step against `gradient`.
  mutating func step(_ x: inout Vector<Double>, along gradient: Vector<Double>) {
    if firstMoment.count != x.count {
      firstMoment = [Double](repeating: 0, count: x.count)
      secondMoment = firstMoment
    }
    steps += 1
    let correction1 = 1 - pow(beta1, Double(steps)), correction2 = 1 - pow(beta2, Double(steps))
    for i in 0..<x.count {
      let g = gradient.scalars[i]
      firstMoment[i] = beta1 * firstMoment[i] + (1 - beta1) * g
      secondMoment[i] = beta2 * secondMoment[i] + (1 - beta2) * g * g
      let mHat = firstMoment[i] / correction1, vHat = secondMoment[i] / correction2
      x.scalars[i] -= learningRate * mHat / (vHat.squareRoot() + epsilon)
    }
  }
}
