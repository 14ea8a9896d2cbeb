public import ImplicitCore

/// Projection onto the non-negative orthant `{p ≥ 0}`: `P(z) = max(z, 0)`. No parameters
/// (`θ` is a zero-dimensional vector).
///
/// Jacobian: `∂P/∂z = diag(𝟙[z > 0])` (diagonal, so symmetric). At `zᵢ = 0` the one-sided
/// choice is `0` (the coordinate counts as clipped), as for `relu`.
public struct NonNegativeProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    z.mapScalars { max($0, 0) }
  }

  public func jvp(at z: Vector<Double>, _ θ: Vector<Double>, _ dz: Vector<Double>, _ dθ: Vector<Double>) -> Vector<
    Double
  > {
    let dz = dz.expanded(to: z.count)
    return Vector(zip(z.scalars, dz.scalars).map { $0 > 0 ? $1 : 0 })
  }

  public func vjp(at z: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>) -> (
    z: Vector<Double>, θ: Vector<Double>
  ) {
    (jvp(at: z, θ, u, θ), θ.zeroLike)
  }

  /// Requires an empty `θ`.
  public func validate(dimension n: Int, _ θ: Vector<Double>) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.count("θ (NonNegativeProjection has no parameters)", θ, 0)
  }
}
