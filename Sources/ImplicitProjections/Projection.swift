public import ImplicitCore
import _Differentiation

/// A Euclidean projection `P(z, θ) = argmin_{p ∈ C(θ)} ‖p − z‖²` onto a convex set `C(θ)`,
/// with its derivatives written by hand (closed form or implicit), never by differentiating
/// through the projection's branches and sorts.
///
/// Conforming types implement ``project(_:_:)`` and the two derivative products; the protocol
/// extension makes `callAsFunction` `@differentiable(reverse)` from them, so a projection can
/// sit inside any differentiable code — in particular inside a projected-gradient optimality
/// condition.
///
/// Projections are piecewise smooth. At the points where the pieces meet (ties in a sort, an
/// input exactly on the boundary of the set) each conformer documents which one-sided
/// derivative its products return.
///
/// Tangents and cotangents may be symbolic zeros (an empty `Vector`, or a parameter struct
/// built from empty vectors): products treat them as zeros of the right shape.
public protocol Projection {
  /// The parameters of the set (a radius, bounds, …): `Double`, `Vector<Double>`, or a
  /// struct. A set without parameters uses a zero-dimensional `Vector<Double>`.
  associatedtype Parameter: InnerProductSpace

  /// `P(z, θ)`.
  func project(_ z: Vector<Double>, _ θ: Parameter) -> Vector<Double>

  /// The forward product `∂P/∂z · dz + ∂P/∂θ · dθ` at `z`.
  func jvp(at z: Vector<Double>, _ θ: Parameter, _ dz: Vector<Double>, _ dθ: Parameter) -> Vector<Double>

  /// The reverse product `((∂P/∂z)ᵀ u, (∂P/∂θ)ᵀ u)` at `z`.
  func vjp(at z: Vector<Double>, _ θ: Parameter, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Parameter)

  /// Throws a typed error (``ImplicitError``) when `z` and `θ` do not fit together (sizes) or
  /// `θ` describes no set (a negative radius, crossed bounds, an infeasible section). Call it
  /// on user input before ``project(_:_:)``, which does not check. Default: accepts everything.
  func validate(_ z: Vector<Double>, _ θ: Parameter) throws
}

extension Projection {
  public func validate(_ z: Vector<Double>, _ θ: Parameter) throws {}

  /// `P(z, θ)`, differentiable through the hand-written derivatives.
  @differentiable(reverse)
  public func callAsFunction(_ z: Vector<Double>, _ θ: Parameter) -> Vector<Double> { project(z, θ) }

  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ z: Vector<Double>, _ θ: Parameter) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Parameter)
  ) {
    (
      project(z, θ),
      { u in
        if u.isEmpty { return (Vector.zeros(z.count), θ.zeroLike) }
        let (dz, dθ) = self.vjp(at: z, θ, u)
        return (dz, dθ)
      }
    )
  }

  /// The dense Jacobian `∂P/∂z` (`n × n`), column by column from ``jvp(at:_:_:_:)``.
  public func jacobian(at z: Vector<Double>, _ θ: Parameter) -> Matrix<Double> {
    let n = z.count
    var m = Matrix<Double>.zeros(rows: n, columns: n)
    for j in 0..<n {
      let column = jvp(at: z, θ, .basis(j, count: n), θ.zeroLike)
      for i in 0..<n { m[i, j] = column[i] }
    }
    return m
  }

  /// The dense Jacobian `∂P/∂θ` (`n × dim θ`, columns in `θ.flattened` order), column by column
  /// from ``jvp(at:_:_:_:)``.
  public func parameterJacobian(at z: Vector<Double>, _ θ: Parameter) -> Matrix<Double> {
    let n = z.count, p = θ.dimension
    var m = Matrix<Double>.zeros(rows: n, columns: p)
    var e = [Double](repeating: 0, count: p)
    for j in 0..<p {
      e[j] = 1
      let column = jvp(at: z, θ, Vector.zeros(n), θ.unflattened(e))
      e[j] = 0
      for i in 0..<n { m[i, j] = column[i] }
    }
    return m
  }
}

extension Vector where Scalar == Double {
  /// `self`, or `count` zeros when `self` is the symbolic zero (empty).
  @usableFromInline func expanded(to count: Int) -> Vector<Double> {
    isEmpty && count > 0 ? Vector.zeros(count) : self
  }
}

/// Shape and finiteness checks shared by the projections.
enum ProjectionChecks {
  static func finite(_ what: String, _ v: Vector<Double>) throws { try ImplicitError.checkFinite(what, v) }

  static func finite(_ what: String, _ x: Double) throws {
    if !x.isFinite { throw ImplicitError.nonFinite(what: what) }
  }

  static func nonNegative(_ what: String, _ x: Double) throws {
    try finite(what, x)
    if x < 0 { throw ImplicitError.invalidArgument("\(what) must be non-negative, got \(x)") }
  }

  static func count(_ what: String, _ v: Vector<Double>, _ n: Int) throws {
    try ImplicitError.checkDimension(what, v.count, expected: n)
  }
}
