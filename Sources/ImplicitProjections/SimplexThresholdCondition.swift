public import ImplicitCore
import _Differentiation

/// The threshold `τ(z)` of the simplex projection `P(z) = relu(z − τ)` as the root of a scalar
/// optimality condition (`Solution = Double`, `Parameter = z`):
///
///     F(τ, z) = Σᵢ relu(zᵢ − τ) − s
///
/// Solve it with any root finder (e.g. ``SimplexThresholdBisection``) and differentiate `τ*`
/// with ``ImplicitDifferentiator``: with `S = {zᵢ > τ}`, `A = ∂F/∂τ = −|S|`, `B = ∂F/∂z = 𝟙_Sᵀ`,
/// so `∂τ/∂z = 𝟙_Sᵀ/|S|`; then `p = relu(z − τ(z))` and, by the chain rule,
/// `∂p/∂z = diag(𝟙_S)(I − 𝟙 ∂τ/∂z) = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|` (JAXopt's `Bisection` +
/// implicit differentiation route to sparsemax). `relu` has derivative 0 at 0, so ties count
/// as outside `S`.
public struct SimplexThresholdCondition: OptimalityCondition, Sendable {
  /// The simplex value `s` (1 for the probability simplex).
  public let simplexValue: Double

  public init(simplexValue: Double = 1) { self.simplexValue = simplexValue }

  @differentiable(reverse)
  public func callAsFunction(_ tau: Double, _ z: Vector<Double>) -> Double {
    (z - tau).relu().sum() - simplexValue
  }

  /// Requires a finite `τ`, finite `z` with at least one entry and `s > 0` (else `A = 0` at
  /// the root).
  public func validate(_ tau: Double, _ z: Vector<Double>) throws {
    try ProjectionChecks.finite("the threshold τ", tau)
    try ImplicitError.checkFinite("z", z)
    if z.isEmpty { throw ImplicitError.invalidArgument("the simplex threshold needs at least one entry") }
    if !(simplexValue > 0) || !simplexValue.isFinite {
      throw ImplicitError.invalidArgument("the simplex value must be positive and finite, got \(simplexValue)")
    }
  }
}
