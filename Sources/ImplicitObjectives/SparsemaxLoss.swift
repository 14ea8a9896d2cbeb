public import ImplicitCore
import _Differentiation

/// The sparsemax loss of a linear model with an l2 penalty: the ``FenchelYoungLoss`` with
/// `Ω = ½‖·‖² + ι_Δ` (Martins & Astudillo, 2016):
///
///     f(W, θ) = (1/n) Σᵢ [ ⟨zᵢ, pᵢ⟩ − ½‖pᵢ‖² + ½‖yᵢ‖² − ⟨zᵢ, yᵢ⟩ ] + ½θ‖W‖²_F,
///     pᵢ = sparsemax(zᵢ),  zᵢ = xᵢᵀW (+ c)
///
/// `∇ₓf = X̃ᵀ(sparsemax(Z) − Y)/n + θ ⊙ W`. Its Hessian is piecewise constant (it changes when
/// the support of a `pᵢ` does), exact away from those boundaries.
public struct SparsemaxLoss: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The same objective, as a Fenchel–Young loss.
  public let loss: FenchelYoungLoss

  /// Targets `Y` (`n × k`, rows in the simplex).
  public init(features: Matrix<Double>, targets: Matrix<Double>, fitIntercept: Bool = false) throws {
    loss = try FenchelYoungLoss(
      features: features, targets: targets, regularizer: .squaredNorm, fitIntercept: fitIntercept)
  }

  /// Hard labels `0..<classes` (given as reals).
  public init(features: Matrix<Double>, labels: Vector<Double>, classes: Int, fitIntercept: Bool = false) throws {
    loss = try FenchelYoungLoss(
      features: features, labels: labels, classes: classes, regularizer: .squaredNorm, fitIntercept: fitIntercept)
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S { loss(x, θ) }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws { try loss.validate(x, θ) }

  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double { loss.gradientLipschitzConstant(θ) }
}
