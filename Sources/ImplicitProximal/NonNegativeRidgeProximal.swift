public import ImplicitCore

/// The prox of the non-negative ridge penalty `g(x, λ) = ½Σᵢ λᵢxᵢ² + ι(x ≥ 0)`
/// (`jaxopt.prox.prox_non_negative_ridge`).
///
/// `θ = λ`, shared or one per coordinate (`λ ≥ 0`). With `mᵢ = [zᵢ > 0]`:
///
///     prox_{ηg}(z)ᵢ = max(zᵢ, 0) / (1 + ηλᵢ)
///     ∂prox/∂z = diag(m / (1 + ηλ))      ∂proxᵢ/∂λᵢ = −η·proxᵢ / (1 + ηλᵢ)
///
/// At the kink `zᵢ = 0` the mask is 0.
public struct NonNegativeRidgeProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = diag([zᵢ > 0]/cᵢ)` with `cᵢ = 1 + ηλᵢ`, so `D⁺ = diag([zᵢ > 0]·cᵢ)`.
  public func jacobianPseudoInverseProduct(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ v: Vector<Double>
  ) -> Vector<Double>? {
    Vector((0..<z.count).map { z[$0] > 0 ? (1 + η * λ.strength($0)) * v[$0] : 0 })
  }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    if x.scalars.contains(where: { $0 < 0 }) { return .infinity }
    return 0.5 * (0..<x.count).reduce(0) { $0 + λ.strength($1) * x[$1] * x[$1] }
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    Vector((0..<z.count).map { max(z[$0], 0) / (1 + η * λ.strength($0)) })
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    let dz = dz.orZeros(z.count)
    return Vector(
      (0..<z.count).map { i in
        guard z[i] > 0 else { return 0 }
        let c = 1 + η * λ.strength(i)
        return (dz[i] - η * (z[i] / c) * dλ.strengthTangent(i)) / c
      })
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let c = (0..<z.count).map { 1 + η * λ.strength($0) }
    return (
      Vector((0..<z.count).map { z[$0] > 0 ? u[$0] / c[$0] : 0 }),
      strengthCotangent((0..<z.count).map { z[$0] > 0 ? -η * z[$0] / (c[$0] * c[$0]) * u[$0] : 0 }, like: λ)
    )
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    try validateStrengths(λ, count: n, what: "the non-negative ridge strength λ")
  }

  /// `|zᵢ|`.
  public func kinkMargin(at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double>? {
    Vector(z.scalars.map { abs($0) })
  }
}
