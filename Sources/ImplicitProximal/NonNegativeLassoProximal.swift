public import ImplicitCore

/// The prox of the non-negative lasso penalty `g(x, λ) = Σᵢ λᵢxᵢ + ι(x ≥ 0)`.
///
/// `θ = λ`, shared or one per coordinate (`λ ≥ 0`). With `tᵢ = ηλᵢ`:
///
///     prox_{ηg}(z)ᵢ = max(zᵢ − tᵢ, 0)
///
/// Jacobian (off the kinks `zᵢ = tᵢ`), with `mᵢ = [zᵢ > tᵢ]`:
///
///     ∂prox/∂z = diag(m)                 ∂proxᵢ/∂λᵢ = −η·mᵢ
///
/// At a kink the mask is 0 (the coordinate stays at zero).
public struct NonNegativeLassoProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = diag(mask)`: an orthogonal projector (`D⁺ = D`).
  public var jacobianIsOrthogonalProjector: Bool { true }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    if x.scalars.contains(where: { $0 < 0 }) { return .infinity }
    return (0..<x.count).reduce(0) { $0 + λ.strength($1) * x[$1] }
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    Vector((0..<z.count).map { max(z[$0] - η * λ.strength($0), 0) })
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    let dz = dz.orZeros(z.count)
    return Vector(
      (0..<z.count).map { i in z[i] > η * λ.strength(i) ? dz[i] - η * dλ.strengthTangent(i) : 0 })
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let mask = (0..<z.count).map { z[$0] > η * λ.strength($0) ? 1.0 : 0.0 }
    return (
      Vector((0..<z.count).map { mask[$0] * u[$0] }),
      strengthCotangent((0..<z.count).map { -η * mask[$0] * u[$0] }, like: λ)
    )
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    try validateStrengths(λ, count: n, what: "the non-negative lasso strength λ")
  }

  /// `|zᵢ − ηλᵢ|`.
  public func kinkMargin(at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double>? {
    Vector((0..<z.count).map { abs(z[$0] - η * λ.strength($0)) })
  }
}
