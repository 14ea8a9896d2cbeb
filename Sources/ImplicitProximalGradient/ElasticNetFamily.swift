public import ImplicitCore
import ImplicitProximal

/// The elastic-net families of reference cases, in both parametrisations, differentiated with
/// respect to any of `A`, `b`, `lam = [λ₁, λ₂]` through the proximal-gradient fixed point
/// `F(x, θ) = prox_{ηg}(x − ηAᵀ(Ax − b)) − x` (`η = 1/‖A‖₂²`):
///
/// - `elastic-net`: `argmin ½‖Ax − b‖² + λ₁‖x‖₁ + ½λ₂‖x‖²` (``ElasticNetProximal``);
/// - `elastic-net-jaxopt`: `argmin ½‖Ax − b‖² + λ₁(‖x‖₁ + ½λ₂‖x‖²)`, JAXopt's
///   `prox_elastic_net` convention (``JAXoptElasticNetProximal``).
///
/// On the support `S`, with `s = sign(x*_S)` and penalty `a₁‖x‖₁ + ½a₂‖x‖²`
/// (`a = λ` or `a = (λ₁, λ₁λ₂)`): `(A_SᵀA_S + a₂I)x_S = A_Sᵀb − a₁s`, zero off `S`. `A` is
/// invertible when `A_SᵀA_S + a₂I` is (always, for `a₂ > 0`) and strict complementarity holds;
/// at a zero-width margin the one-sided Jacobian is returned and noted, as for ``LassoFamily``.
public enum ElasticNetFamily {
  /// The `elastic-net` descriptor (standard parametrisation).
  public static let standard = ConditionFamily(
    name: "elastic-net",
    formula: "F(x, θ) = prox_{ηg}(x − ηAᵀ(Ax − b)) − x,  g = lam[0]‖x‖₁ + ½lam[1]‖x‖²",
    assumptions: [
      "A_SᵀA_S + lam[1]·I invertible (automatic for lam[1] > 0)",
      "strict complementarity off the support (else the one-sided Jacobian, noted)",
      "lam = [λ₁, λ₂] ≥ 0",
    ],
    module: "ImplicitProximalGradient",
    makeInstance: { c in
      try PenalizedLeastSquaresCase.makeInstance(c, prox: ElasticNetProximal(), proxName: "elastic net")
    })

  /// The `elastic-net-jaxopt` descriptor (JAXopt's parametrisation).
  public static let jaxopt = ConditionFamily(
    name: "elastic-net-jaxopt",
    formula: "F(x, θ) = prox_{ηg}(x − ηAᵀ(Ax − b)) − x,  g = lam[0](‖x‖₁ + ½lam[1]‖x‖²)",
    assumptions: [
      "A_SᵀA_S + lam[0]·lam[1]·I invertible (automatic for lam[0]·lam[1] > 0)",
      "strict complementarity off the support (else the one-sided Jacobian, noted)",
      "lam = [λ₁, λ₂] ≥ 0",
    ],
    module: "ImplicitProximalGradient",
    makeInstance: { c in
      try PenalizedLeastSquaresCase.makeInstance(c, prox: JAXoptElasticNetProximal(), proxName: "elastic net (JAXopt)")
    })

  /// Registers both parametrisations with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try registry.register(standard)
    try registry.register(jaxopt)
  }
}
