public import ImplicitCore

/// Projection onto the l2 ball `{‖p‖₂ ≤ r}` (`θ = r`): `P(z) = z · min(1, r/‖z‖)`.
///
/// With `ẑ = z/‖z‖`:
///
///     outside (‖z‖ > r):  ∂P/∂z = (r/‖z‖)(I − ẑẑᵀ),  ∂P/∂r = ẑ
///     inside  (‖z‖ ≤ r):  ∂P/∂z = I,                 ∂P/∂r = 0
///
/// Both `∂P/∂z` are symmetric. On the sphere (`‖z‖ = r` exactly) the one-sided choice is
/// "inside".
public struct L2BallProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    let norm = stableNorm(z)
    return norm <= r ? z : (r / norm) * z
  }

  public func jvp(at z: Vector<Double>, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<Double> {
    let norm = stableNorm(z)
    let dz = dz.expanded(to: z.count)
    if norm <= r { return dz }
    return L2SphereProjection.sphereJVP(z, norm, r, dz, dr)
  }

  public func vjp(at z: Vector<Double>, _ r: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let norm = stableNorm(z)
    let u = u.expanded(to: z.count)
    if norm <= r { return (u, 0) }
    return L2SphereProjection.sphereVJP(z, norm, r, u)
  }

  /// Requires a finite radius `r ≥ 0`.
  public func validate(dimension n: Int, _ r: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the radius r", r)
  }
}
