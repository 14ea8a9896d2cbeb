public import ImplicitCore

/// The prox of the ridge penalty `g(x, λ) = ½Σᵢ λᵢxᵢ²` (`jaxopt.prox.prox_ridge`).
///
/// `θ = λ`, shared or one per coordinate (`λ ≥ 0`). Smooth everywhere:
///
///     prox_{ηg}(z)ᵢ = zᵢ / (1 + ηλᵢ)
///     ∂prox/∂z = diag(1 / (1 + ηλ))      ∂proxᵢ/∂λᵢ = −η·proxᵢ / (1 + ηλᵢ)
public struct RidgeProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = diag(1/cᵢ)` with `cᵢ = 1 + ηλᵢ`, so `D⁺ = diag(cᵢ)`.
  public func jacobianPseudoInverseProduct(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ v: Vector<Double>
  ) -> Vector<Double>? {
    Vector((0..<z.count).map { (1 + η * λ.strength($0)) * v[$0] })
  }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    0.5 * (0..<x.count).reduce(0) { $0 + λ.strength($1) * x[$1] * x[$1] }
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    Vector((0..<z.count).map { z[$0] / (1 + η * λ.strength($0)) })
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    let dz = dz.orZeros(z.count)
    return Vector(
      (0..<z.count).map { i in
        let c = 1 + η * λ.strength(i)
        return (dz[i] - η * (z[i] / c) * dλ.strengthTangent(i)) / c
      })
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let c = (0..<z.count).map { 1 + η * λ.strength($0) }
    return (
      Vector((0..<z.count).map { u[$0] / c[$0] }),
      strengthCotangent((0..<z.count).map { -η * z[$0] / (c[$0] * c[$0]) * u[$0] }, like: λ)
    )
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    try validateStrengths(λ, count: n, what: "the ridge strength λ")
  }
}
