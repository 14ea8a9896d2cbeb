public import ImplicitCore
public import ImplicitProjections

/// The prox of the indicator of a convex set `C(θ)`, `g = ι_{C(θ)}`: the Euclidean projection,
/// whatever the step, `prox_{ηg}(z, θ) = P_{C(θ)}(z)`.
///
/// Wraps any ``Projection`` from `ImplicitProjections`; the Jacobians are the projection's own
/// hand-written ones (`∂prox/∂z = ∂P/∂z`, `∂prox/∂θ = ∂P/∂θ`). With it, the proximal-gradient
/// condition is the projected-gradient fixed point `P(x − η∇f(x)) − x = 0`.
public struct ProjectionProximal<Base: Projection>: ProximalOperator {
  public typealias Parameter = Base.Parameter

  /// The projection's ``Projection/jacobianIsOrthogonalProjector``.
  public var jacobianIsOrthogonalProjector: Bool { projection.jacobianIsOrthogonalProjector }

  /// The projection's ``Projection/preparedJacobianProduct(at:_:)``.
  public func preparedJacobianProduct(at z: Vector<Double>, _ θ: Base.Parameter, scaling η: Double) -> (
    Vector<Double>
  ) -> Vector<Double> {
    let product = projection.preparedJacobianProduct(at: z, θ)
    return { v in product(v.orZeros(z.count)) }
  }

  /// The projection.
  public let projection: Base
  /// Distance to `C(θ)` (relative to `1 + ‖x‖`) up to which ``penalty(_:_:)`` counts `x` as inside.
  public let feasibilityTolerance: Double

  public init(_ projection: Base, feasibilityTolerance: Double = 1e-10) {
    self.projection = projection
    self.feasibilityTolerance = feasibilityTolerance
  }

  /// `0` on `C(θ)` (up to ``feasibilityTolerance``), `+∞` outside.
  public func penalty(_ x: Vector<Double>, _ θ: Base.Parameter) -> Double {
    (projection.project(x, θ) - x).norm() <= feasibilityTolerance * (1 + x.norm()) ? 0 : .infinity
  }

  public func prox(_ z: Vector<Double>, _ θ: Base.Parameter, scaling η: Double) -> Vector<Double> {
    projection.project(z, θ)
  }

  public func jvp(
    at z: Vector<Double>, _ θ: Base.Parameter, scaling η: Double, _ dz: Vector<Double>, _ dθ: Base.Parameter
  ) -> Vector<Double> {
    // A symbolic zero (dimension 0) becomes a zero of θ's shape; any other tangent is passed on
    // as is (never replaced by zero: a wrongly shaped tangent is a programming error).
    projection.jvp(at: z, θ, dz.orZeros(z.count), dθ.isSymbolicZero && θ.dimension > 0 ? θ.zeroLike : dθ)
  }

  public func vjp(
    at z: Vector<Double>, _ θ: Base.Parameter, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Base.Parameter) {
    projection.vjp(at: z, θ, u.orZeros(z.count))
  }

  /// The projection's kink margins (``Projection/kinkMargin(at:_:)``); the step does not matter.
  public func kinkMargin(at z: Vector<Double>, _ θ: Base.Parameter, scaling η: Double) -> Vector<Double>? {
    projection.kinkMargin(at: z, θ)
  }

  /// The projection's own checks of `θ` for points of dimension `n`
  /// (``Projection/validate(dimension:_:)``: shapes, signs, a non-empty set), and a finite
  /// non-negative ``feasibilityTolerance``.
  public func validate(dimension n: Int, _ θ: Base.Parameter) throws {
    guard feasibilityTolerance >= 0, feasibilityTolerance.isFinite else {
      throw ImplicitError.invalidArgument(
        "the feasibility tolerance must be finite and ≥ 0, got \(feasibilityTolerance)")
    }
    try projection.validate(dimension: n, θ)
  }
}

extension ProjectionProximal: Sendable where Base: Sendable {}
