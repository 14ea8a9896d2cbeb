public import ImplicitCore

/// Projection onto the l2 sphere `{‖p‖₂ = r}` (`θ = r`; a non-convex set, projected exactly):
/// `P(z) = r·z/‖z‖`.
///
/// With `ẑ = z/‖z‖`: `∂P/∂z = (r/‖z‖)(I − ẑẑᵀ)` (symmetric), `∂P/∂r = ẑ`.
///
/// At `z = 0` every point of the sphere is a projection: ``project(_:_:)`` returns `r·e₁`,
/// the products return `∂P/∂z = 0`, `∂P/∂r = e₁` (the derivative along `z` does not exist), and
/// ``validate(_:_:)`` throws.
public struct L2SphereProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    let norm = stableNorm(z)
    guard norm > 0 else { return z.isEmpty ? z : r * Vector.basis(0, count: z.count) }
    return (r / norm) * z
  }

  public func jvp(at z: Vector<Double>, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<Double> {
    let norm = stableNorm(z)
    guard norm > 0 else { return z.isEmpty ? z : dr * Vector.basis(0, count: z.count) }
    return L2SphereProjection.sphereJVP(z, norm, r, dz.expanded(to: z.count), dr)
  }

  public func vjp(at z: Vector<Double>, _ r: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let norm = stableNorm(z)
    let u = u.expanded(to: z.count)
    guard norm > 0 else { return (Vector.zeros(z.count), z.isEmpty ? 0 : u[0]) }
    return L2SphereProjection.sphereVJP(z, norm, r, u)
  }

  /// `(r/‖z‖)(dz − ẑ(ẑᵀdz)) + ẑ·dr`.
  static func sphereJVP(_ z: Vector<Double>, _ norm: Double, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<
    Double
  > {
    let unit = (1 / norm) * z
    return (r / norm) * (dz - unit.dot(dz) * unit) + dr * unit
  }

  /// `((r/‖z‖)(u − ẑ(ẑᵀu)), ẑᵀu)`.
  static func sphereVJP(_ z: Vector<Double>, _ norm: Double, _ r: Double, _ u: Vector<Double>) -> (
    z: Vector<Double>, θ: Double
  ) {
    let unit = (1 / norm) * z
    let along = unit.dot(u)
    return ((r / norm) * (u - along * unit), along)
  }

  /// Requires a finite radius `r ≥ 0`, and `n > 0` when `r > 0`.
  public func validate(dimension n: Int, _ r: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the radius r", r)
    if n == 0 && r > 0 { throw ImplicitError.invalidArgument("the l2 sphere in dimension 0 is empty") }
  }

  /// Also requires a finite non-zero `z` and a finite result.
  public func validate(_ z: Vector<Double>, _ r: Double) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, r)
    if !(stableNorm(z) > 0) {
      throw ImplicitError.invalidArgument("the projection onto the l2 sphere is not unique at z = 0")
    }
    try ProjectionChecks.finiteResult(project(z, r), "the projection onto the l2 sphere")
  }
}
