public import ImplicitCore

/// The prox of the zero penalty `g = 0`: `prox_{ηg}(z) = z`.
///
/// Jacobian: `∂prox/∂z = I`; no parameters (`θ` is an empty vector). With it, the
/// proximal-gradient condition reduces to gradient descent's fixed point `−η∇f(x) = 0`.
public struct IdentityProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>
  public init() {}

  /// `D = I`.
  public var jacobianIsOrthogonalProjector: Bool { true }

  public func penalty(_ x: Vector<Double>, _ θ: Vector<Double>) -> Double { 0 }

  public func prox(_ z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double) -> Vector<Double> { z }

  public func jvp(
    at z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dθ: Vector<Double>
  ) -> Vector<Double> { dz.orZeros(z.count) }

  public func vjp(
    at z: Vector<Double>, _ θ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) { (u.orZeros(z.count), Vector.zeros(θ.count)) }

  public func validate(dimension n: Int, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("θ of the zero penalty (no parameters)", θ.count, expected: 0)
  }
}
