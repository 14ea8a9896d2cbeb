public import ImplicitCore

/// Soft thresholding: the prox of the lasso penalty `g(x, λ) = Σᵢ λᵢ|xᵢ|`.
///
/// `θ = λ` holds one strength shared by every coordinate or one per coordinate (`λ ≥ 0`).
/// With `tᵢ = ηλᵢ`:
///
///     prox_{ηg}(z)ᵢ = sign(zᵢ)·max(|zᵢ| − tᵢ, 0)
///
/// Jacobian (off the kinks `|zᵢ| = tᵢ`), with the mask `mᵢ = [|zᵢ| > tᵢ]`:
///
///     ∂prox/∂z = diag(m)                 ∂proxᵢ/∂λᵢ = −η·sign(zᵢ)·mᵢ
///
/// (summed over coordinates for a shared `λ`). At a kink the mask is 0 (the one-sided choice
/// that keeps the coordinate at zero), which is also JAX's convention.
public struct LassoProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = diag(mask)`: an orthogonal projector (`D⁺ = D`).
  public var jacobianIsOrthogonalProjector: Bool { true }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    (0..<x.count).reduce(0) { $0 + λ.strength($1) * abs(x[$1]) }
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    Vector((0..<z.count).map { softThreshold(z[$0], η * λ.strength($0)) })
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    let dz = dz.orZeros(z.count)
    return Vector(
      (0..<z.count).map { i in
        let s = survivingSign(z[i], η * λ.strength(i))
        return s == 0 ? 0 : dz[i] - η * s * dλ.strengthTangent(i)
      })
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    let signs = (0..<z.count).map { survivingSign(z[$0], η * λ.strength($0)) }
    let dz = Vector((0..<z.count).map { signs[$0] == 0 ? 0 : u[$0] })
    return (dz, strengthCotangent((0..<z.count).map { -η * signs[$0] * u[$0] }, like: λ))
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    try validateStrengths(λ, count: n, what: "the lasso strength λ")
  }

  /// `||zᵢ| − ηλᵢ|`.
  public func kinkMargin(at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double>? {
    Vector((0..<z.count).map { abs(abs(z[$0]) - η * λ.strength($0)) })
  }
}

/// Soft thresholding (the lasso prox) under its other name.
public typealias SoftThresholding = LassoProximal
