public import ImplicitCore

/// The geometry of mirror descent: a strictly convex function `φ` on a convex domain, used
/// through its gradient `∇φ` (the *mirror map*, primal → dual) and the gradient `∇φ*` of its
/// convex conjugate (dual → primal; for a constrained domain, the Bregman projection back
/// onto it).
///
/// One mirror-descent step is `x⁺ = ∇φ*(∇φ(x) − η∇f(x))`, and ``MirrorDescentCondition`` is
/// that step's fixed-point residual. Differentiating the condition needs, besides the two maps,
/// their derivatives: `∂∇φ(x) = ∇²φ(x)` and `∂∇φ*(y) = ∇²φ*(y)`.
///
/// ## Plugging in another geometry
/// Conform a type and implement the four requirements below; nothing else in the module
/// changes. The derivative products must be exact (closed form): they are what the implicit
/// function theorem linearises. Both are Hessians of convex functions, hence symmetric, so the
/// transposed products default to the forward ones; override ``mirrorVJP(at:_:)`` and
/// ``inverseMirrorVJP(at:_:)`` only for a map that is not a gradient.
///
/// ```swift
/// /// Mirror descent on the positive orthant with the Burg entropy φ(x) = −Σ log xᵢ.
/// struct BurgMirrorMap: MirrorMap {
///   func mirror(_ x: Vector<Double>) -> Vector<Double> { x.mapScalars { -1 / $0 } }
///   func mirrorJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> { v / (x * x) }
///   func inverseMirror(_ y: Vector<Double>) -> Vector<Double> { y.mapScalars { -1 / $0 } }  // needs y < 0
///   func inverseMirrorJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> { v / (y * y) }
/// }
/// ```
///
/// Points on the boundary of the domain may map to `−∞` (e.g. `log 0`). The condition treats a
/// coordinate whose mirror image is `−∞` as pinned to the boundary: the gradient step leaves it
/// at `−∞` (so an infinite gradient there cannot produce `−∞ + ∞ = NaN`), and the map's
/// derivative must be zero there (see ``KLSimplexMirrorMap``).
public protocol MirrorMap {
  /// `∇φ(x)`. May contain `−∞` for coordinates on the boundary of the domain.
  func mirror(_ x: Vector<Double>) -> Vector<Double>

  /// `∇²φ(x) · v`, the forward product of the mirror map (zero on boundary coordinates).
  func mirrorJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double>

  /// `(∇²φ(x))ᵀ · u`. Default: ``mirrorJVP(at:_:)`` (a Hessian is symmetric).
  func mirrorVJP(at x: Vector<Double>, _ u: Vector<Double>) -> Vector<Double>

  /// `∇φ*(y)`: back from the dual space to the (feasible) primal domain.
  func inverseMirror(_ y: Vector<Double>) -> Vector<Double>

  /// `∇²φ*(y) · v`, the forward product of the inverse map.
  func inverseMirrorJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double>

  /// `(∇²φ*(y))ᵀ · u`. Default: ``inverseMirrorJVP(at:_:)`` (a Hessian is symmetric).
  func inverseMirrorVJP(at y: Vector<Double>, _ u: Vector<Double>) -> Vector<Double>

  /// Throws a typed error unless `x` has a shape this geometry handles. Default: accepts all.
  func validate(_ x: Vector<Double>) throws

  /// Throws a typed error unless `x` lies in the domain (within `tolerance`), e.g. on the
  /// simplex. Solvers check their starting point with it. Default: calls ``validate(_:)``.
  func validateFeasible(_ x: Vector<Double>, tolerance: Double) throws
}

extension MirrorMap {
  public func mirrorVJP(at x: Vector<Double>, _ u: Vector<Double>) -> Vector<Double> { mirrorJVP(at: x, u) }
  public func inverseMirrorVJP(at y: Vector<Double>, _ u: Vector<Double>) -> Vector<Double> {
    inverseMirrorJVP(at: y, u)
  }
  public func validate(_ x: Vector<Double>) throws {}
  public func validateFeasible(_ x: Vector<Double>, tolerance: Double) throws { try validate(x) }

  /// The dual point of a step, `∇φ(x) − η g`. Coordinates on the boundary (`∇φ(x)ᵢ = −∞`) stay
  /// at `−∞`, so that an infinite gradient there cannot turn them into NaN.
  public func dualPoint(at x: Vector<Double>, gradient g: Vector<Double>, stepSize η: Double) -> Vector<Double> {
    Vector(zip(mirror(x).scalars, g.scalars).map { $0 == -.infinity ? $0 : $0 - η * $1 })
  }
}
