public import ImplicitCore
import ImplicitProximal

/// The `lasso` family of reference cases, `x* = argmin_x ½‖Ax − b‖² + lam·‖x‖₁`, differentiated
/// with respect to any of `A`, `b`, `lam` (a scalar, or one strength per column of `A`) through
/// the proximal-gradient fixed point with soft thresholding (``LassoProximal``):
///
///     F(x, θ) = prox_{η·lam‖·‖₁}(x − ηAᵀ(Ax − b)) − x,      η = 1/‖A‖₂²
///
/// **Why this condition.** Stationarity `Aᵀ(Ax − b) + lam·sign(x) = 0` does not define the lasso
/// (the ℓ₁ norm is not differentiable), and `AᵀA` is singular off the support whenever there are
/// more features than samples. The proximal-gradient `A = D(I − ηAᵀA) − I` (`D = diag(mask)`)
/// is instead `−ηA_SᵀA_S` on the support `S` and `−I` off it: invertible whenever `A_S` has full
/// column rank and strict complementarity holds (`|Aᵢᵀ(Ax* − b)| < lam` off `S`). Then, on `S`
/// with `s = sign(x*_S)`: `∂x_S/∂lam = −(A_SᵀA_S)⁻¹s`, `∂x_S/∂b = (A_SᵀA_S)⁻¹A_Sᵀ`, and zero off `S`.
///
/// **Zero-width margin.** When a coordinate sits exactly at the threshold (`x*ᵢ = 0` with
/// `|Aᵢᵀ(Ax* − b)| = lam`), the solution map has a kink: the derivative is not unique (one
/// one-sided Jacobian keeps `xᵢ` at 0, the other lets it enter the support). The prox Jacobian's
/// convention (mask 0 at the kink) keeps `A` invertible and yields the first one — JAXopt's
/// result. The family returns it and says so in the case notes ("zero-width margin at
/// coordinates …"); the library's ``ImplicitDifferentiator`` throws ``ImplicitError/degenerate(_:)``
/// naming the coordinates unless `options.policy.degeneracy` is `.flag`, which returns it
/// flagged. Never NaN.
///
/// **Non-unique solutions.** When `A_S` is rank-deficient (e.g. duplicated columns on the support)
/// `A` is singular: the dense LU reports `.singular` and the derivative fails with
/// ``ImplicitError/linearSolveFailed(_:)`` — no silent number. A regularised derivative is the
/// library's ridge path: `ImplicitOptions(linearSolver: DenseLU(), ridge: −r)`, flagged
/// (negative, because `A`'s eigenvalues lie in `[−1, 0]`).
public enum LassoFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "lasso",
    formula: "F(x, θ) = prox_{η·lam‖·‖₁}(x − ηAᵀ(Ax − b)) − x   (x* = argmin ½‖Ax − b‖² + lam‖x‖₁)",
    assumptions: [
      "A_S (the columns on the support) has full column rank: the minimiser is unique",
      "strict complementarity |A_iᵀ(Ax* − b)| < lam off the support; at a zero-width margin the "
        + "one-sided Jacobian (coordinate held at 0) is returned and noted",
      "lam ≥ 0, a scalar or one entry per column of A",
    ],
    module: "ImplicitProximalGradient",
    makeInstance: { c in
      try PenalizedLeastSquaresCase.makeInstance(c, prox: LassoProximal(), proxName: "soft thresholding")
    })

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

}
