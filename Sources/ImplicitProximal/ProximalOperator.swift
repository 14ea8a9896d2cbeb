public import ImplicitCore
import _Differentiation

/// A proximal operator `prox_{ηg}(z, θ) = argmin_p ½‖p − z‖² + η·g(p, θ)` of a convex penalty
/// `g(·, θ)` with parameters `θ`, scaled by a step `η > 0`, with its derivatives written by hand.
///
/// Conforming types give the closed form ``prox(_:_:scaling:)`` and its structured Jacobian
/// products with respect to **both** the input `z` and the penalty's parameters `θ`
/// (``jvp(at:_:scaling:_:_:)`` and ``vjp(at:_:scaling:_:)``). Automatic differentiation is never
/// run through the branches of a prox (a soft threshold, a clip, a norm at zero): the protocol
/// extension makes ``callAsFunction(_:_:scaling:)`` `@differentiable(reverse)` in `(z, θ)` from
/// the hand-written products, so a prox can sit inside any differentiable Swift code — in
/// particular inside a proximal-gradient optimality condition, or an unrolled solver.
///
/// Where a prox is not differentiable (a kink: `|zᵢ| = ηλ` for soft thresholding), the products
/// use the one-sided convention that treats the kink as *inactive* (the branch that outputs the
/// constant), so they are always finite; ``kinkMargin(at:_:scaling:)`` tells how far `z` is from
/// a kink.
///
/// ``prox(_:_:scaling:)``, ``jvp(at:_:scaling:_:_:)`` and ``vjp(at:_:scaling:_:)`` assume input
/// that ``validate(dimension:_:)`` accepts, a finite `z` and a finite step `η > 0`, as `Array`
/// subscripts assume a valid index: on anything else they may trap (a group index out of range,
/// a strength vector of the wrong length) or return a wrong number (`η < 0`);
/// ``validate(_:_:scaling:)`` checks all of it. Every library entry point that takes user data
/// validates first (the proximal-gradient condition checks `η` when it
/// is built and calls ``validate(dimension:_:)`` in its `validate`; FISTA's `solve` does too).
///
/// ```swift
/// let prox = LassoProximal()
/// let p = prox(z, Vector([0.3]), scaling: 0.5)                  // soft threshold at 0.15
/// let (dz, dλ) = prox.vjp(at: z, Vector([0.3]), scaling: 0.5, u)
/// ```
public protocol ProximalOperator {
  /// The penalty's parameters (a strength, two strengths, a set's parameters, …). A penalty
  /// without parameters uses an empty `Vector<Double>`.
  associatedtype Parameter: InnerProductSpace

  /// The penalty `g(x, θ)` (`+∞` outside the domain of an indicator).
  func penalty(_ x: Vector<Double>, _ θ: Parameter) -> Double

  /// `prox_{ηg}(z, θ)`; `η` is the `scaling` (a step size), not differentiated. Assumes `θ`
  /// accepted by ``validate(dimension:_:)`` for `n = z.count`, finite `z` and `η > 0`.
  func prox(_ z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> Vector<Double>

  /// The forward product `∂prox/∂z · dz + ∂prox/∂θ · dθ` at `(z, θ)`. `dz` has the dimension of
  /// `z` and `dθ` the shape of `θ`.
  func jvp(
    at z: Vector<Double>, _ θ: Parameter, scaling η: Double, _ dz: Vector<Double>, _ dθ: Parameter
  ) -> Vector<Double>

  /// The reverse product `((∂prox/∂z)ᵀ u, (∂prox/∂θ)ᵀ u)` at `(z, θ)`; `u` has the dimension of `z`.
  func vjp(
    at z: Vector<Double>, _ θ: Parameter, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Parameter)

  /// Throws a typed error (``ImplicitError``) unless `θ` fits inputs of dimension `n`: every
  /// shape, NaN, sign or structure problem (groups out of range, a set that is empty) that
  /// would make the prox or its products trap or return a plausible wrong number. No default:
  /// each penalty states what it accepts.
  func validate(dimension n: Int, _ θ: Parameter) throws

  /// For each coordinate of `z`, the distance from `z` to the nearest point where the prox is
  /// not differentiable in that coordinate (`+∞` where it is smooth), or `nil` when the prox is
  /// smooth everywhere or the distance is unknown. A zero entry is a zero-width margin: the
  /// derivative there is one-sided. Default: `nil`.
  func kinkMargin(at z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> Vector<Double>?

  /// Whether `D = ∂prox/∂z` (the one-sided Jacobian of ``jvp(at:_:scaling:_:_:)``) is an orthogonal
  /// projector at every `z` — symmetric with eigenvalues 0 and 1, as for soft thresholding and
  /// every projection onto a polyhedral set. Then `D⁺ = D`. Default `false`.
  var jacobianIsOrthogonalProjector: Bool { get }

  /// `D⁺v`, the Moore–Penrose pseudo-inverse of the symmetric Jacobian `D = ∂prox/∂z` at `(z, θ)`
  /// (the same one-sided Jacobian ``jvp(at:_:scaling:_:_:)`` applies, kinks included), or `nil`
  /// when unknown. With it the proximal-gradient condition offers an equivalent symmetric
  /// positive-definite system (``OptimalityCondition/symmetricReformulation(at:_:)``). Default:
  /// ``jvp(at:_:scaling:_:_:)`` when ``jacobianIsOrthogonalProjector``, else `nil`.
  func jacobianPseudoInverseProduct(
    at z: Vector<Double>, _ θ: Parameter, scaling η: Double, _ v: Vector<Double>
  ) -> Vector<Double>?

  /// `v ↦ ∂prox/∂z · v` at a fixed `(z, θ, η)`, with the work that depends only on the point done
  /// once, for the many products a linear solve takes there. Default: ``jvp(at:_:scaling:_:_:)``
  /// with `dθ = 0`.
  func preparedJacobianProduct(at z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> (Vector<Double>) ->
    Vector<Double>
}

extension ProximalOperator {
  /// Everything ``prox(_:_:scaling:)`` assumes, for a direct call on user data: finite `z`, a
  /// finite step `η > 0`, and ``validate(dimension:_:)`` with `n = z.count`.
  public func validate(_ z: Vector<Double>, _ θ: Parameter, scaling η: Double) throws {
    try ImplicitError.checkFinite("z", z)
    guard η > 0, η.isFinite else {
      throw ImplicitError.invalidArgument("the prox scaling η must be finite and positive, got \(η)")
    }
    try validate(dimension: z.count, θ)
  }

  public func kinkMargin(at z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> Vector<Double>? { nil }

  public var jacobianIsOrthogonalProjector: Bool { false }

  public func preparedJacobianProduct(at z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> (Vector<Double>) ->
    Vector<Double>
  {
    let zero = θ.zeroLike
    return { v in self.jvp(at: z, θ, scaling: η, v, zero) }
  }

  public func jacobianPseudoInverseProduct(
    at z: Vector<Double>, _ θ: Parameter, scaling η: Double, _ v: Vector<Double>
  ) -> Vector<Double>? {
    jacobianIsOrthogonalProjector ? jvp(at: z, θ, scaling: η, v, θ.zeroLike) : nil
  }

  /// `prox_{ηg}(z, θ)`, differentiable in `(z, θ)` through the hand-written products.
  @differentiable(reverse,wrt: (z, θ))
  public func callAsFunction(_ z: Vector<Double>, _ θ: Parameter, scaling η: Double = 1) -> Vector<Double> {
    prox(z, θ, scaling: η)
  }

  @derivative(of: callAsFunction, wrt: (z, θ))
  public func _vjpCallAsFunction(_ z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Parameter)
  ) {
    (
      prox(z, θ, scaling: η),
      { u in
        if u.isSymbolicZero { return (Vector.zeros(z.count), θ.zeroLike) }
        let (dz, dθ) = self.vjp(at: z, θ, scaling: η, u)
        return (dz, dθ)
      }
    )
  }

  // A separate derivative in `z` alone, so that code differentiating only through `z` never
  // pays for the parameter cotangent.
  @derivative(of: callAsFunction, wrt: z)
  public func _vjpCallAsFunctionInput(_ z: Vector<Double>, _ θ: Parameter, scaling η: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>
  ) {
    (
      prox(z, θ, scaling: η),
      { u in
        if u.isSymbolicZero { return Vector.zeros(z.count) }
        return self.vjp(at: z, θ, scaling: η, u).z
      }
    )
  }

  /// The dense Jacobian `∂prox/∂z` (`n × n`), column by column from ``jvp(at:_:scaling:_:_:)``.
  public func jacobian(at z: Vector<Double>, _ θ: Parameter, scaling η: Double = 1) -> Matrix<Double> {
    let n = z.count
    var m = Matrix<Double>.zeros(rows: n, columns: n)
    for j in 0..<n {
      let column = jvp(at: z, θ, scaling: η, .basis(j, count: n), θ.zeroLike)
      for i in 0..<n { m[i, j] = column[i] }
    }
    return m
  }

  /// The dense Jacobian `∂prox/∂θ` (`n × dim θ`, columns in `θ.flattened` order), column by
  /// column from ``jvp(at:_:scaling:_:_:)``.
  public func parameterJacobian(at z: Vector<Double>, _ θ: Parameter, scaling η: Double = 1) -> Matrix<Double> {
    let n = z.count, k = θ.dimension
    var m = Matrix<Double>.zeros(rows: n, columns: k)
    var e = [Double](repeating: 0, count: k)
    for j in 0..<k {
      e[j] = 1
      let column = jvp(at: z, θ, scaling: η, Vector.zeros(n), θ.unflattened(e))
      e[j] = 0
      for i in 0..<n { m[i, j] = column[i] }
    }
    return m
  }
}
