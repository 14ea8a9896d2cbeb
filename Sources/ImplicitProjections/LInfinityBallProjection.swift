public import ImplicitCore

/// Projection onto the l∞ ball `{‖p‖∞ ≤ r}` (`θ = r`): `P(z) = clip(z, −r, r)`.
///
/// With `F = {|zᵢ| < r}` (free) and `σ = sign(z) ⊙ 𝟙_{not F}` (clipped coordinates):
///
///     ∂P/∂z = diag(𝟙_F),   ∂P/∂r = σ
///
/// At a tie `|zᵢ| = r` the one-sided choice is "clipped" (`pᵢ` follows `±r`), as for
/// ``BoxProjection``.
public struct LInfinityBallProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    z.mapScalars { min(max($0, -r), r) }
  }

  /// `σᵢ`: 0 for a free coordinate, ±1 for one clipped at `±r`.
  func clippedSigns(_ z: Vector<Double>, _ r: Double) -> [Double] {
    z.scalars.map { $0 >= r ? 1 : ($0 <= -r ? -1 : 0) }
  }

  public func jvp(at z: Vector<Double>, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<Double> {
    let dz = dz.expanded(to: z.count)
    return Vector(zip(clippedSigns(z, r), dz.scalars).map { $0 == 0 ? $1 : $0 * dr })
  }

  public func vjp(at z: Vector<Double>, _ r: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let u = u.expanded(to: z.count)
    let sign = clippedSigns(z, r)
    return (Vector(zip(sign, u.scalars).map { $0 == 0 ? $1 : 0 }), zip(sign, u.scalars).map { $0 * $1 }.reduce(0, +))
  }

  /// Requires a finite radius `r ≥ 0`.
  public func validate(dimension n: Int, _ r: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the radius r", r)
  }
}
