public import ImplicitCore
import _Differentiation

/// Huber-loss (robust) linear regression with an l2 penalty:
///
///     f(x, θ) = (1/m) Σᵢ H_δ(aᵢᵀx − bᵢ) + ½θ‖x‖²     (or ½Σⱼ θⱼxⱼ² with one strength per feature)
///     H_δ(r) = ½r²            if |r| ≤ δ
///            = δ(|r| − ½δ)    otherwise
///
/// `H_δ` is C¹ with `H_δ' = clip(r, −δ, δ)` and `H_δ'' = 1{|r| ≤ δ}`, so
/// `∇ₓf = Aᵀclip(Ax − b, −δ, δ)/m + θ ⊙ x` and `∇²ₓₓf = Aᵀ D A/m + diag(θ)` with `D` the
/// indicator of the residuals inside the quadratic zone (exact except at `|r| = δ`, where `H''`
/// jumps and the one-sided value `1` is used). `θ > 0` makes the Hessian positive definite.
/// `δ` is a constant of the objective, not a parameter.
public struct HuberRegression: ShapeCheckedObjective, SmoothObjective, Sendable {
  /// The design matrix `A` (`m × n`).
  public let A: Matrix<Double>
  /// The targets `b` (`m`).
  public let b: Vector<Double>
  /// The threshold `δ > 0` between the quadratic and the linear zone.
  public let delta: Double
  let spectrum: SquaredSpectralNorm

  /// Throws on shape mismatch, non-finite data or `δ ≤ 0`.
  public init(A: Matrix<Double>, b: Vector<Double>, delta: Double = 1) throws {
    try checkFinite("A", A)
    try ImplicitError.checkFinite("b", b)
    try checkCount("b (one entry per row of A)", b, A.rows)
    guard delta > 0, delta.isFinite else {
      throw ImplicitError.invalidArgument("Huber δ must be positive, got \(delta)")
    }
    self.A = A
    self.b = b
    self.delta = delta
    spectrum = SquaredSpectralNorm(A)
  }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    huber(A.times(x) - Vector<S>(converting: b.scalars), delta: delta).mean() + l2Penalty(x, θ)
  }

  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try checkCount("x (one entry per column of A)", x, A.columns)
    try validatePenalty(θ, coordinates: A.columns)
  }

  /// `‖A‖₂²/m + maxⱼ θⱼ` (`H_δ''` is at most 1).
  public func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double {
    spectrum.value / Double(max(A.rows, 1)) + largestStrength(θ)
  }
}

/// The Huber function `H_δ` of every entry (see ``HuberRegression``). Its pullback is written in
/// the scalar type, so on dual numbers it carries the exact second derivative `1{|r| ≤ δ}`.
@differentiable(reverse,wrt: r)
public func huber<S: RealScalar>(_ r: Vector<S>, delta: Double) -> Vector<S> {
  let d = S(delta)
  return r.mapScalars { r in
    let magnitude = r.primal < 0 ? -r : r
    return magnitude.primal <= delta ? S(0.5) * r * r : d * (magnitude - S(0.5) * d)
  }
}

@derivative(of: huber, wrt: r)
public func _vjpHuber<S: RealScalar>(_ r: Vector<S>, delta: Double) -> (
  value: Vector<S>, pullback: (Vector<S>) -> Vector<S>
) {
  let d = S(delta)
  // H' = clip(r, −δ, δ): r itself inside the quadratic zone (carrying its tangent), ±δ outside.
  let slope = r.mapScalars { r in r.primal > delta ? d : (r.primal < -delta ? -d : r) }
  return (huber(r, delta: delta), { v in v.isSymbolicZero ? Vector.zeros(slope.count) : v * slope })
}
