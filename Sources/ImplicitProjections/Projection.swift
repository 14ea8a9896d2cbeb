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
/// Tangents and cotangents may be symbolic zeros (`Vector.zero`, or a parameter struct
/// built from them): products treat them as zeros of the right shape.
///
/// ``project(_:_:)``, ``jvp(at:_:_:_:)`` and ``vjp(at:_:_:)`` assume input that
/// ``validate(_:_:)`` accepts, as `Array` subscripts assume a valid index: on anything else they
/// may trap or return NaN. Every library entry point that takes user data calls `validate` first.
public protocol Projection {
  /// The parameters of the set (a radius, bounds, …): `Double`, `Vector<Double>`, or a
  /// struct. A set without parameters uses a zero-dimensional `Vector<Double>`.
  associatedtype Parameter: InnerProductSpace

  /// `P(z, θ)`. Assumes `(z, θ)` accepted by ``validate(_:_:)``.
  func project(_ z: Vector<Double>, _ θ: Parameter) -> Vector<Double>

  /// The forward product `∂P/∂z · dz + ∂P/∂θ · dθ` at `z`. Assumes `(z, θ)` accepted by
  /// ``validate(_:_:)``, `dz` shaped like `z` and `dθ` like `θ` (or symbolic zeros).
  func jvp(at z: Vector<Double>, _ θ: Parameter, _ dz: Vector<Double>, _ dθ: Parameter) -> Vector<Double>

  /// The reverse product `((∂P/∂z)ᵀ u, (∂P/∂θ)ᵀ u)` at `z`. Assumes `(z, θ)` accepted by
  /// ``validate(_:_:)`` and `u` shaped like `z` (or a symbolic zero).
  func vjp(at z: Vector<Double>, _ θ: Parameter, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Parameter)

  /// Throws a typed error (``ImplicitError``) unless `θ` describes a non-empty set of points of
  /// dimension `n`: shapes, NaN and infinities, signs, structure (crossed bounds, an empty
  /// section, dependent constraints, unequal marginal totals). The checks that do not need the
  /// point; a prox built on the projection (``ImplicitProximal``'s `ProjectionProximal`) calls it.
  func validate(dimension n: Int, _ θ: Parameter) throws

  /// Throws a typed error (``ImplicitError``) unless `z` is finite and `(z, θ)` can be projected:
  /// ``validate(dimension:_:)`` with `n = z.count`, plus what depends on the point (the
  /// projection onto a sphere at its centre, a solve that does not converge, an overflow). Call
  /// it on user input before ``project(_:_:)``, which does not check. Default: finite `z` and
  /// ``validate(dimension:_:)``.
  func validate(_ z: Vector<Double>, _ θ: Parameter) throws

  /// Whether `∂P/∂z` as ``jvp(at:_:_:_:)`` applies it (one-sided at kinks) is an orthogonal
  /// projector at every `z` — symmetric, idempotent: true for projections onto polyhedral sets
  /// (box, simplex, l1 ball, halfspace, affine set), false for curved ones (l2 ball, sphere).
  /// Lets gradient-step conditions solve an equivalent symmetric system. Default `false`.
  var jacobianIsOrthogonalProjector: Bool { get }

  /// `v ↦ ∂P/∂z · v` at a fixed `(z, θ)`, with the work that depends only on `z` (a support, a
  /// threshold) done once, for the many products a linear solve takes at one point. The same
  /// one-sided Jacobian as ``jvp(at:_:_:_:)``. Default: ``jvp(at:_:_:_:)`` with `dθ = 0`.
  func preparedJacobianProduct(at z: Vector<Double>, _ θ: Parameter) -> (Vector<Double>) -> Vector<Double>

  /// For each coordinate of `z`, the distance from `z` to the nearest input where `P(·, θ)` is
  /// not differentiable in that coordinate (`+∞` where it is smooth), or `nil` when `P` is smooth
  /// everywhere or the distance is not known. A zero entry is a zero-width margin: the products
  /// return a one-sided derivative there, and the projected-gradient condition reports the
  /// coordinate as a ``Degeneracy/Kind/kink``. Default: `nil`. The polyhedral projections
  /// (box, non-negative orthant, simplex, row simplices, l1 ball, halfspace) and the l2 ball
  /// report margins (see `KinkMargins.swift`); affine sets (hyperplane, ``AffineSetProjection``)
  /// have none, being affine; the others (l2 sphere, l∞ ball, l1 sphere, polyhedron, transport,
  /// sparse simplex, box section) report none for now.
  func kinkMargin(at z: Vector<Double>, _ θ: Parameter) -> Vector<Double>?
}

extension Projection {
  public var jacobianIsOrthogonalProjector: Bool { false }

  public func preparedJacobianProduct(at z: Vector<Double>, _ θ: Parameter) -> (Vector<Double>) -> Vector<Double> {
    let zero = θ.zeroLike
    return { v in self.jvp(at: z, θ, v, zero) }
  }

  public func kinkMargin(at z: Vector<Double>, _ θ: Parameter) -> Vector<Double>? { nil }

  public func validate(_ z: Vector<Double>, _ θ: Parameter) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, θ)
  }

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
        if u.isSymbolicZero { return (Vector.zeros(z.count), θ.zeroLike) }
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
  /// `self`, or `count` zeros when `self` is the symbolic zero (`Vector.zero`).
  @usableFromInline func expanded(to count: Int) -> Vector<Double> {
    isSymbolicZero && count > 0 ? Vector.zeros(count) : self
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

  static func dimension(_ n: Int) throws {
    if n < 0 { throw ImplicitError.invalidArgument("the dimension must be non-negative, got \(n)") }
  }

  /// Throws when a projection of validated-looking data still overflowed (entries near the
  /// largest `Double`): a typed error rather than a vector of ±∞ or NaN.
  static func finiteResult(_ p: Vector<Double>, _ what: String) throws {
    if !p.isFinite { throw ImplicitError.nonFinite(what: "\(what) (the data overflow)") }
  }
}

/// `‖z‖₂` without overflow or underflow of the squares (scaled by `max|zᵢ|` when needed).
func stableNorm(_ z: Vector<Double>) -> Double {
  let direct = z.norm
  if direct.isFinite && direct > 1e-150 { return direct }
  let top = z.scalars.reduce(0) { max($0, abs($1)) }
  guard top > 0, top.isFinite else { return top }
  return top * z.scalars.reduce(0) { $0 + ($1 / top) * ($1 / top) }.squareRoot()
}
