public import ImplicitCore

/// The prox of the elastic net in JAXopt's parametrisation (`jaxopt.prox.prox_elastic_net`),
/// `g(x, λ) = λ₁(‖x‖₁ + ½λ₂‖x‖²)`, with `θ = [λ₁, λ₂]` (both `≥ 0`): `λ₂` is relative to `λ₁`.
/// It equals ``ElasticNetProximal`` at `[λ₁, λ₁λ₂]`.
///
/// With `t = ηλ₁` and `c = 1 + ηλ₁λ₂`:
///
///     prox_{ηg}(z)ᵢ = sign(zᵢ)·max(|zᵢ| − t, 0) / c
///
/// Jacobian (off the kinks `|zᵢ| = t`), with `mᵢ = [|zᵢ| > t]` and `p = prox_{ηg}(z)`:
///
///     ∂prox/∂z = diag(m) / c
///     ∂proxᵢ/∂λ₁ = −η·(sign(zᵢ)·mᵢ + λ₂·pᵢ) / c
///     ∂proxᵢ/∂λ₂ = −η·λ₁·pᵢ / c
public struct JAXoptElasticNetProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = diag(mask)/c` with `c = 1 + ηλ₁λ₂`, so `D⁺ = c·diag(mask)` (same mask as ``jvp(at:_:scaling:_:_:)``).
  public func jacobianPseudoInverseProduct(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ v: Vector<Double>
  ) -> Vector<Double>? {
    let t = η * λ[0], c = 1 + η * λ[0] * λ[1]
    return Vector(z.scalars.indices.map { survivingSign(z[$0], t) == 0 ? 0 : c * v[$0] })
  }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    λ[0] * (x.scalars.reduce(0) { $0 + abs($1) } + 0.5 * λ[1] * x.squaredNorm())
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    let t = η * λ[0], c = 1 + η * λ[0] * λ[1]
    return Vector(z.scalars.map { softThreshold($0, t) / c })
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    let t = η * λ[0], c = 1 + η * λ[0] * λ[1]
    let dz = dz.orZeros(z.count), dλ = dλ.orZeros(2)
    return Vector(
      z.scalars.indices.map { i in
        let s = survivingSign(z[i], t)
        let p = softThreshold(z[i], t) / c
        let fromZ = s == 0 ? 0 : dz[i]
        return (fromZ - η * (s + λ[1] * p) * dλ[0] - η * λ[0] * p * dλ[1]) / c
      })
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let t = η * λ[0], c = 1 + η * λ[0] * λ[1]
    var dz = [Double](repeating: 0, count: z.count)
    var d1 = 0.0, d2 = 0.0
    for i in 0..<z.count {
      let s = survivingSign(z[i], t)
      let p = softThreshold(z[i], t) / c
      if s != 0 { dz[i] = u[i] / c }
      d1 -= η * (s + λ[1] * p) * u[i] / c
      d2 -= η * λ[0] * p * u[i] / c
    }
    return (Vector(dz), Vector([d1, d2]))
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    try validateElasticNetStrengths(λ)
  }

  /// `||zᵢ| − ηλ₁|`.
  public func kinkMargin(at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double>? {
    Vector(z.scalars.map { abs(abs($0) - η * λ[0]) })
  }
}
