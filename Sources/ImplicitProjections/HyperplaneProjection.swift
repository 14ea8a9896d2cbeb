public import ImplicitCore

/// Projection onto the hyperplane `{p : aᵀp = b}` (`θ = (a, b)`, a ``Hyperplane``):
/// `P(z) = z − c·a` with `c = (aᵀz − b)/‖a‖²`.
///
/// Differentiating `c` and `p = z − c·a`:
///
///     dc = (aᵀdz + zᵀda − db − 2c·aᵀda)/‖a‖²,   dp = dz − dc·a − c·da
///
/// so `∂P/∂z = I − aaᵀ/‖a‖²` (symmetric), `∂P/∂b = a/‖a‖²`, `∂P/∂a = −c·I − a(z − 2c·a)ᵀ/‖a‖²`.
/// Reverse: with `k = aᵀu/‖a‖²`, `(∂P/∂z)ᵀu = u − k·a`, `(∂P/∂b)ᵀu = k`,
/// `(∂P/∂a)ᵀu = −c·u − k(z − 2c·a)`. Smooth everywhere (`a ≠ 0`).
public struct HyperplaneProjection: Projection, Sendable {
  public init() {}

  func coefficient(_ z: Vector<Double>, _ θ: Hyperplane) -> (c: Double, squaredNorm: Double) {
    let squaredNorm = θ.normal.squaredNorm()
    return ((θ.normal.dot(z) - θ.offset) / squaredNorm, squaredNorm)
  }

  public func project(_ z: Vector<Double>, _ θ: Hyperplane) -> Vector<Double> {
    z - coefficient(z, θ).c * θ.normal
  }

  public func jvp(at z: Vector<Double>, _ θ: Hyperplane, _ dz: Vector<Double>, _ dθ: Hyperplane) -> Vector<Double> {
    let n = z.count
    let (c, squaredNorm) = coefficient(z, θ)
    let a = θ.normal, dz = dz.expanded(to: n), da = dθ.normal.expanded(to: n)
    let dc = (a.dot(dz) + z.dot(da) - dθ.offset - 2 * c * a.dot(da)) / squaredNorm
    return dz - dc * a - c * da
  }

  public func vjp(at z: Vector<Double>, _ θ: Hyperplane, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Hyperplane) {
    let (c, squaredNorm) = coefficient(z, θ)
    let a = θ.normal, u = u.expanded(to: z.count)
    let k = a.dot(u) / squaredNorm
    return (u - k * a, Hyperplane(normal: -c * u - k * (z - 2 * c * a), offset: k))
  }

  /// Requires a finite non-zero normal with one entry per coordinate (‖a‖² finite) and a
  /// finite `b`.
  public func validate(dimension n: Int, _ θ: Hyperplane) throws { try θ.check(dimension: n) }

  /// Also requires finite `z` and no overflow in `aᵀz`.
  public func validate(_ z: Vector<Double>, _ θ: Hyperplane) throws { try θ.check(z) }
}
