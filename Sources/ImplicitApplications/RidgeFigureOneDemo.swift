import Foundation
import ImplicitCore
import ImplicitRidge
import _Differentiation

extension Demos {
  /// `implicit demo ridge`: Figure 1 of the paper, end to end.
  public static let ridgeFigureOne = Demo(
    name: "ridge",
    summary:
      "Figure 1 of the paper: ridge regression made differentiable, Jacobian vs closed form, then hyper-parameter tuning",
    run: runRidgeFigureOne)
}

/// The paper's Figure 1, end to end.
func runRidgeFigureOne() throws {
  print("== Ridge regression, made differentiable (Blondel et al. 2021, Figure 1) ==")
  var rng = SeededGenerator(seed: 2021)
  let (n, p) = (120, 40)
  let truth = Vector((0..<p).map { j in j % 4 == 0 ? rng.normal() : 0.1 * rng.normal() })
  func sample(_ rows: Int) -> (Matrix<Double>, Vector<Double>) {
    let X = rng.normalMatrix(rows: rows, columns: p, scale: 1 / Double(p).squareRoot())
    return (X, X * truth + rng.normalVector(rows, scale: 0.3))
  }
  let (X, y) = sample(n)
  let (Xval, yval) = sample(n)
  print("data: \(n)×\(p) training and validation sets (synthetic, seed 2021)")

  // 1. Any solver: here conjugate gradient on (XᵀX + θI) x = Xᵀy, written against the core's
  //    linear solvers but never differentiated.
  let condition = try RidgeCondition(A: X, b: y)
  let ridge = ImplicitFunction(condition: condition) { (θ: Double) -> Vector<Double> in
    let gram = LinearOperator(template: Vector<Double>.zeros(p), structure: .symmetricPositiveDefinite) { v in
      X.normalTimes(v) + θ * v
    }
    return ConjugateGradient(relativeTolerance: 1e-13).solve(gram, X.transposedTimes(y)).solution
  }

  // 2. The Jacobian ∂x*/∂θ by implicit differentiation vs the closed form −(XᵀX + θI)⁻¹ x*.
  let θ0 = 1.0
  let x0 = ridge(θ0)
  let jacobian = try ridge.differentiator.jacobian(at: x0, θ0)
  var gram = X.transposed() * X
  for j in 0..<p { gram[j, j] += θ0 }
  let closedForm = Vector(CholeskyFactorization(gram)!.solve(x0.scalars)).scaled(by: -1)
  let implicitColumn = Vector(jacobian.matrix.scalars)
  let error = (implicitColumn - closedForm).scalars.map { abs($0) }.max() ?? 0
  print("\nθ = \(θ0): ‖F(x*, θ)‖ = \(sci(jacobian.diagnostics.residualNorm))")
  print("∂x*/∂θ, first entries   implicit: \(implicitColumn.scalars.prefix(4).map(sci))")
  print("                     closed form: \(closedForm.scalars.prefix(4).map(sci))")
  print(
    "max |implicit − closed form| = \(sci(error))  (relative \(sci(error / closedForm.scalars.map { abs($0) }.max()!)))  "
      + (error <= 1e-8 * closedForm.norm ? "AGREE" : "DISAGREE"))
  print("diagnostics: \(jacobian.diagnostics)")

  // 3. Hyper-parameter tuning: gradient descent on log θ of the validation error, with the
  //    hypergradient flowing through `ridge` like through any differentiable Swift function.
  @differentiable(reverse)
  func validationLoss(_ logθ: Double) -> Double {
    let residual = Xval * ridge(Double.exp(logθ)) - yval
    return 0.5 * residual.squaredNorm() / Double(n)
  }
  var logθ = Foundation.log(θ0)
  let h = 1e-5
  let fd = (validationLoss(logθ + h) - validationLoss(logθ - h)) / (2 * h)
  print(
    "\nhypergradient d(val loss)/d log θ at θ = \(θ0): implicit \(sci(gradient(at: logθ, of: validationLoss)))  "
      + "finite differences of re-solving \(sci(fd))")
  print("\nstep      θ          val loss     d/dlogθ")
  let learningRate = 60.0
  for step in 0...12 {
    let (loss, g) = valueWithGradient(at: logθ, of: validationLoss)
    print(String(format: "%4d  %10.5f  %12.8f  %+11.3e", step, Foundation.exp(logθ), loss, g))
    logθ -= learningRate * g / max(1, abs(g) * learningRate / 0.5)  // step of at most 0.5 in log θ
  }
  print("tuned θ = \(String(format: "%.5f", Foundation.exp(logθ)))")
}
