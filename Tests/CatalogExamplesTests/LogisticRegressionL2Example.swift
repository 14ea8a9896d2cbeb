import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: logistic-regression-l2")
func logisticRegressionL2Example() throws {
  var rng = SeededGenerator(seed: 17)
  let truth = rng.normalVector(4)
  func sample(_ n: Int) -> (Matrix<Double>, Vector<Double>) {
    let X = rng.normalMatrix(rows: n, columns: 4)
    let noisy = X * truth + rng.normalVector(n)
    return (X, Vector(noisy.scalars.map { $0 > 0 ? 1 : -1 }))
  }
  let (X, y) = sample(30)
  let (Xval, yval) = sample(20)
  let θ = Vector([0.1, 0.2, 0.3, 0.4])  // one l2 strength per feature
  // catalog-example: logistic-regression-l2
  let f = try BinaryLogisticRegression(features: X, labels: y)  // mean log(1 + e^{−yxᵀw}) + ½Σθⱼwⱼ²
  let validation = try BinaryLogisticRegression(features: Xval, labels: yval)
  let fit = ImplicitFunction(
    minimizing: f, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-12), initialGuess: .zeros(4))
  let dwdθ = try fit.differentiator.jacobian(at: fit.solver(θ), θ).matrix  // ∂w*/∂θ, 4 × 4
  let hypergradient = gradient(at: θ) { θ in validation(fit(θ), Vector([0])) }  // ∇_θ val_loss(w*(θ))
  // end-catalog-example
  // Independent check: central differences of re-solving (the validation loss at the re-solved w*).
  func valLoss(_ θ: Vector<Double>) throws -> Double {
    let w = try NewtonCG(tolerance: 1e-12).solve(f, θ, from: .zeros(4)).converged()
    let margins = (0..<20).map { i in yval[i] * (0..<4).reduce(0) { $0 + Xval[i, $1] * w[$1] } }
    return margins.map { Foundation.log1p(Foundation.exp(-$0)) }.reduce(0, +) / 20
  }
  let fd = resolvedJacobian(at: θ) { θ in Vector([try valLoss(θ)]) }
  #expect(TestSupport.relativeError(hypergradient.scalars, fd.scalars) < 1e-6)
  let fdw = resolvedJacobian(at: θ) { θ in try NewtonCG(tolerance: 1e-12).solve(f, θ, from: .zeros(4)).converged() }
  #expect(TestSupport.relativeError(dwdθ, fdw) < 1e-6)
}
