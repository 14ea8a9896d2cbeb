public import ImplicitCore

/// Projection onto the l1 sphere `{‖p‖₁ = r}` (`θ = r`; a non-convex set, projected exactly):
/// `P(z) = σ(z) ⊙ P_Δ(|z|, r)` with `P_Δ` the simplex projection of value `r` and `σ(z)` the
/// signs of `z`, taking `σ(0) = +1` so that the result lies on the sphere even when `z` has
/// zeros (a projection onto the sphere, not unique there).
///
/// With `S` the support of `P_Δ(|z|, r)` (`|zᵢ| > τ`) and `σ_S = σ ⊙ 𝟙_S`:
///
///     ∂P/∂z = diag(𝟙_S) − σ_Sσ_Sᵀ/|S|,   ∂P/∂r = σ_S/|S|
///
/// inside as well as outside the ball (when `‖z‖₁ < r`, `τ < 0` and the entries grow).
/// At `zᵢ = 0` the derivative is the right derivative (from the `σ = +1` side).
public struct L1SphereProjection: Projection, Sendable {
  public init() {}

  func signs(_ z: Vector<Double>) -> [Double] { z.scalars.map { $0 < 0 ? -1 : 1 } }

  public func project(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    let magnitude = SimplexProjection().project(z.mapScalars { abs($0) }, r)
    return Vector(zip(signs(z), magnitude.scalars).map { $0 * $1 })
  }

  /// `σ_S` and `|S|`.
  func signedSupport(_ z: Vector<Double>, _ r: Double) -> (sign: [Double], size: Double) {
    let (indicator, size) = SimplexProjection().support(z.mapScalars { abs($0) }, r)
    return (zip(signs(z), indicator).map { $0 * $1 }, size)
  }

  public func jvp(at z: Vector<Double>, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<Double> {
    let (sign, size) = signedSupport(z, r)
    guard size > 0 else { return Vector.zeros(z.count) }
    let dz = dz.expanded(to: z.count)
    let dtau = (zip(sign, dz.scalars).map { $0 * $1 }.reduce(0, +) - dr) / size
    return Vector((0..<z.count).map { i in sign[i] == 0 ? 0 : dz[i] - sign[i] * dtau })
  }

  public func vjp(at z: Vector<Double>, _ r: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let (sign, size) = signedSupport(z, r)
    guard size > 0 else { return (Vector.zeros(z.count), 0) }
    let u = u.expanded(to: z.count)
    let mean = zip(sign, u.scalars).map { $0 * $1 }.reduce(0, +) / size
    return (Vector((0..<z.count).map { i in sign[i] == 0 ? 0 : u[i] - sign[i] * mean }), mean)
  }

  /// Requires a finite radius `r ≥ 0`, and `n > 0` when `r > 0`.
  public func validate(dimension n: Int, _ r: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the radius r", r)
    if n == 0 && r > 0 { throw ImplicitError.invalidArgument("the l1 sphere in dimension 0 is empty") }
  }

  /// Also requires finite `z` and a finite result.
  public func validate(_ z: Vector<Double>, _ r: Double) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, r)
    try ProjectionChecks.finiteResult(project(z, r), "the projection onto the l1 sphere")
  }
}
