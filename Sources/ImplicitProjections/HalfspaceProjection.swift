public import ImplicitCore

/// Projection onto the halfspace `{p : aᵀp ≤ b}` (`θ = (a, b)`, a ``Hyperplane``).
///
/// Inside (`aᵀz ≤ b`): `P(z) = z`, `∂P/∂z = I`, `∂P/∂θ = 0`. Outside: the projection onto the
/// bounding hyperplane, with the Jacobians of ``HyperplaneProjection``
/// (`∂P/∂z = I − aaᵀ/‖a‖²`, `∂P/∂b = a/‖a‖²`, `∂P/∂a = −c·I − a(z − 2c·a)ᵀ/‖a‖²`,
/// `c = (aᵀz − b)/‖a‖²`). On the hyperplane (`aᵀz = b` exactly) the one-sided choice is "inside".
public struct HalfspaceProjection: Projection, Sendable {
  public init() {}

  func isInside(_ z: Vector<Double>, _ θ: Hyperplane) -> Bool { θ.normal.dot(z) <= θ.offset }

  public func project(_ z: Vector<Double>, _ θ: Hyperplane) -> Vector<Double> {
    isInside(z, θ) ? z : HyperplaneProjection().project(z, θ)
  }

  public func jvp(at z: Vector<Double>, _ θ: Hyperplane, _ dz: Vector<Double>, _ dθ: Hyperplane) -> Vector<Double> {
    isInside(z, θ) ? dz.expanded(to: z.count) : HyperplaneProjection().jvp(at: z, θ, dz, dθ)
  }

  public func vjp(at z: Vector<Double>, _ θ: Hyperplane, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Hyperplane) {
    isInside(z, θ) ? (u.expanded(to: z.count), θ.zeroLike) : HyperplaneProjection().vjp(at: z, θ, u)
  }

  /// Requires a finite non-zero normal with one entry per coordinate (‖a‖² finite) and a
  /// finite `b`.
  public func validate(dimension n: Int, _ θ: Hyperplane) throws { try θ.check(dimension: n) }

  /// Also requires finite `z` and no overflow in `aᵀz`.
  public func validate(_ z: Vector<Double>, _ θ: Hyperplane) throws { try θ.check(z) }
}
