public import ImplicitCore

/// Projection onto the box `{lower ≤ p ≤ upper}`: `P(z, θ) = clip(z, lower, upper)`, with the
/// bounds as the differentiable parameter ``BoxBounds``.
///
/// With `L = {zᵢ ≤ lowerᵢ}`, `U = {zᵢ ≥ upperᵢ} ∖ L` and `F` the rest (strictly inside):
///
///     ∂P/∂z = diag(𝟙_F),   ∂P/∂lower = diag(𝟙_L),   ∂P/∂upper = diag(𝟙_U)
///
/// At a tie `zᵢ = lowerᵢ` (or `upperᵢ`) the one-sided choice is "clipped": `pᵢ` follows the
/// bound, as for ``NonNegativeProjection``. When `lowerᵢ = upperᵢ = zᵢ`, `pᵢ` follows `lowerᵢ`.
public struct BoxProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ θ: BoxBounds) -> Vector<Double> {
    Vector((0..<z.count).map { i in min(max(z[i], θ.lower[i]), θ.upper[i]) })
  }

  /// Which piece each coordinate is on: −1 clipped at the lower bound, +1 at the upper bound,
  /// 0 free.
  func sides(_ z: Vector<Double>, _ θ: BoxBounds) -> [Int] {
    (0..<z.count).map { i in z[i] <= θ.lower[i] ? -1 : (z[i] >= θ.upper[i] ? 1 : 0) }
  }

  public func jvp(at z: Vector<Double>, _ θ: BoxBounds, _ dz: Vector<Double>, _ dθ: BoxBounds) -> Vector<Double> {
    let n = z.count
    let dz = dz.expanded(to: n), dl = dθ.lower.expanded(to: n), du = dθ.upper.expanded(to: n)
    let side = sides(z, θ)
    return Vector((0..<n).map { i in side[i] < 0 ? dl[i] : (side[i] > 0 ? du[i] : dz[i]) })
  }

  public func vjp(at z: Vector<Double>, _ θ: BoxBounds, _ u: Vector<Double>) -> (z: Vector<Double>, θ: BoxBounds) {
    let n = z.count
    let u = u.expanded(to: n)
    let side = sides(z, θ)
    return (
      Vector((0..<n).map { side[$0] == 0 ? u[$0] : 0 }),
      BoxBounds(
        lower: Vector((0..<n).map { side[$0] < 0 ? u[$0] : 0 }), upper: Vector((0..<n).map { side[$0] > 0 ? u[$0] : 0 })
      )
    )
  }

  /// Requires bounds with one entry per coordinate, no NaN (infinite bounds are fine, but not
  /// `lower = +∞` or `upper = −∞`) and `lower ≤ upper`.
  public func validate(dimension n: Int, _ θ: BoxBounds) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.count("lower (one bound per coordinate)", θ.lower, n)
    try ProjectionChecks.count("upper (one bound per coordinate)", θ.upper, n)
    if θ.lower.scalars.contains(where: \.isNaN) { throw ImplicitError.nonFinite(what: "lower") }
    if θ.upper.scalars.contains(where: \.isNaN) { throw ImplicitError.nonFinite(what: "upper") }
    if let i = (0..<n).first(where: { θ.lower[$0] > θ.upper[$0] }) {
      throw ImplicitError.invalidArgument("empty box: lower[\(i)] = \(θ.lower[i]) > upper[\(i)] = \(θ.upper[i])")
    }
    // lower = +∞ or upper = −∞ leaves no finite point (the projection would be ±∞).
    if let i = (0..<n).first(where: { θ.lower[$0] == .infinity || θ.upper[$0] == -.infinity }) {
      throw ImplicitError.invalidArgument("empty box: coordinate \(i) has bounds [\(θ.lower[i]), \(θ.upper[i])]")
    }
  }
}
