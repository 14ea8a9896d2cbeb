public import ImplicitCore

/// Projection onto the l1 ball `{‖p‖₁ ≤ r}` (`θ = r`).
///
/// Inside (`‖z‖₁ ≤ r`) `P(z) = z`. Outside, `P(z) = sign(z) ⊙ P_Δ(|z|, r)` with `P_Δ` the
/// projection onto the simplex of value `r` (``SimplexProjection``), i.e. soft thresholding
/// `pᵢ = sign(zᵢ)·max(|zᵢ| − τ, 0)` at the `τ` that puts `p` on the sphere. With `S` the support
/// of `p` and `σ = sign(z) ⊙ 𝟙_S`:
///
///     outside:  ∂P/∂z = diag(𝟙_S) − σσᵀ/|S|,   ∂P/∂r = σ/|S|
///     inside:   ∂P/∂z = I,                      ∂P/∂r = 0
///
/// (from `dτ = (σᵀdz − dr)/|S|` and `dpᵢ = 𝟙_S(dzᵢ − sign(zᵢ)dτ)`). On the sphere
/// (`‖z‖₁ = r` exactly) the one-sided choice is "inside"; at `|zᵢ| = τ` entries count as
/// outside the support.
public struct L1BallProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ r: Double) -> Vector<Double> {
    if isInside(z, r) { return z }
    return L1SphereProjection().project(z, r)
  }

  func isInside(_ z: Vector<Double>, _ r: Double) -> Bool { z.scalars.reduce(0) { $0 + abs($1) } <= r }

  public func jvp(at z: Vector<Double>, _ r: Double, _ dz: Vector<Double>, _ dr: Double) -> Vector<Double> {
    if isInside(z, r) { return dz.expanded(to: z.count) }
    return L1SphereProjection().jvp(at: z, r, dz, dr)
  }

  public func vjp(at z: Vector<Double>, _ r: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    if isInside(z, r) { return (u.expanded(to: z.count), 0) }
    return L1SphereProjection().vjp(at: z, r, u)
  }

  /// Requires a finite radius `r ≥ 0`.
  public func validate(dimension n: Int, _ r: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the radius r", r)
  }

  /// Also requires finite `z` and a finite result.
  public func validate(_ z: Vector<Double>, _ r: Double) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, r)
    try ProjectionChecks.finiteResult(project(z, r), "the projection onto the l1 ball")
  }
}
