import _Differentiation

/// A real function of a vector, written once, generically over the scalar.
///
/// Because the compiler's AD has no higher order (nested `gradient` does not compile, and a
/// pullback called inside a differentiated closure silently returns zero), exact second
/// derivatives come from running reverse mode over ``Dual`` numbers: the gradient at
/// `x + εv` carries `∇²f(x)·v` in its ε part. That needs `f` generic over ``RealScalar``.
///
/// ```swift
/// struct LogisticLoss: ScalarFunction {
///   var X: Matrix<Double>, y: Vector<Double>
///   @differentiable(reverse)
///   func callAsFunction<S: RealScalar>(_ w: Vector<S>) -> S {
///     (-(Vector<S>(converting: y.scalars) * (Matrix<S>(converting: X) * w))).softplus().mean()
///   }
/// }
/// ```
///
/// The protocol states the two instances the library calls (on `Double` and on `Dual`) rather
/// than one generic requirement: a *generic* `@differentiable` protocol requirement makes the
/// compiler emit a derivative thunk that passes corrupt generic metadata (a crash in debug and
/// release, measured with Swift 6.3.1). One generic method, as in the example, satisfies both.
public protocol ScalarFunction {
  /// `f(x)`.
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>) -> Double
  /// `f(x)` on dual numbers (the same generic method satisfies both requirements).
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Dual>) -> Dual
}

extension ScalarFunction {
  /// `f(x)` and `∇f(x)`.
  public func valueWithGradient(at x: Vector<Double>) -> (value: Double, gradient: Vector<Double>) {
    _Differentiation.valueWithGradient(at: x) { x in self(x) }
  }

  /// The exact Hessian-vector product `∇²f(x)·v` (and the gradient, for free).
  public func hessianVectorProduct(
    at x: Vector<Double>, along v: Vector<Double>
  ) -> (gradient: Vector<Double>, hessianVectorProduct: Vector<Double>) {
    let lifted = Vector<Dual>(values: x, derivatives: v)
    let g = pullback(at: lifted) { x in self(x) }(Dual(1))
    return (g.values, g.derivatives)
  }

  /// The exact directional derivative `⟨∇f(x), v⟩` in one forward pass on dual numbers.
  public func directionalDerivative(at x: Vector<Double>, along v: Vector<Double>) -> Double {
    self(Vector<Dual>(values: x, derivatives: v)).derivative
  }
}

extension Vector where Scalar == Dual {
  /// Dual numbers `values[i] + derivatives[i]·ε`.
  @inlinable public init(values: Vector<Double>, derivatives: Vector<Double>) {
    precondition(
      values.count == derivatives.count, "Vector<Dual>: \(values.count) values, \(derivatives.count) derivatives")
    self.init(zip(values.scalars, derivatives.scalars).map { Dual($0, derivative: $1) })
  }
  /// The real parts.
  @inlinable public var values: Vector<Double> { Vector<Double>(scalars.map(\.value)) }
  /// The ε parts.
  @inlinable public var derivatives: Vector<Double> {
    isSymbolicZero ? .zero : Vector<Double>(scalars.map(\.derivative))
  }
}

/// The exact JVP `J_f(x)·v` of a map written generically over ``RealScalar``, in one evaluation on
/// dual numbers. Conditions use it to supply exact ``OptimalityCondition`` forward products.
@inlinable public func dualJVP(
  at x: Vector<Double>, along v: Vector<Double>, of f: (Vector<Dual>) -> Vector<Dual>
) -> Vector<Double> {
  f(Vector<Dual>(values: x, derivatives: v)).derivatives
}

/// A real objective `f(x, θ)` of a vector `x` and a vector of parameters `θ`, written once,
/// generically over the scalar, so that the library can take exact first *and* second
/// derivatives of it (the latter by reverse mode over ``Dual`` numbers).
///
/// Stationarity (`∇ₓf = 0`), proximal-gradient, projected-gradient and mirror-descent
/// conditions are all built from such an objective. A scalar parameter is a one-entry `θ`.
///
/// Conform with one generic method, which satisfies both requirements (see ``ScalarFunction``
/// for why they are stated separately):
///
/// ```swift
/// struct Quadratic: ParametricObjective {        // f(x, θ) = ½‖x‖² − ⟨θ, x⟩
///   @differentiable(reverse)
///   func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
///     S(0.5) * x.squaredNorm() - θ.dot(x)
///   }
/// }
/// ```
public protocol ParametricObjective {
  /// `f(x, θ)`.
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Double
  /// `f(x, θ)` on dual numbers.
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Dual>, _ θ: Vector<Dual>) -> Dual

  /// `∇ₓ f(x, θ)`. Default: reverse-mode AD. Override with a closed form for speed.
  func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>
  /// `(∇²ₓₓf · u, (∂∇ₓf/∂θ)ᵀ · u)`. Default: exact, by reverse mode over dual numbers.
  /// Override with a closed form (e.g. `Xᵀ(X u)` for least squares) for speed.
  func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>)
  /// `∇²ₓₓf · v + (∂∇ₓf/∂θ) · t`. Default: exact, by reverse mode over dual numbers.
  func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double>
}

extension ParametricObjective {
  /// `f(x, θ)`.
  public func value(at x: Vector<Double>, _ θ: Vector<Double>) -> Double { self(x, θ) }

  /// `∇ₓ f(x, θ)`.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let g = _Differentiation.gradient(at: x, θ) { x, θ in self(x, θ) }.0
    return g.isSymbolicZero ? Vector.zeros(x.count) : g
  }

  /// `f(x, θ)`, `∇ₓ f` and `∇_θ f`.
  public func valueWithGradients(
    at x: Vector<Double>, _ θ: Vector<Double>
  ) -> (value: Double, x: Vector<Double>, θ: Vector<Double>) {
    let (v, g) = _Differentiation.valueWithGradient(at: x, θ) { x, θ in self(x, θ) }
    return (v, g.0.isSymbolicZero ? Vector.zeros(x.count) : g.0, g.1.isSymbolicZero ? Vector.zeros(θ.count) : g.1)
  }

  /// Reverse products with the derivative of the gradient map `(x, θ) ↦ ∇ₓf(x, θ)`:
  /// `(∇²ₓₓf · u, (∂∇ₓf/∂θ)ᵀ · u)`, exact, in one reverse pass over dual numbers.
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let lx = Vector<Dual>(values: x, derivatives: u)
    let lθ = Vector<Dual>(values: θ, derivatives: Vector.zeros(θ.count))
    let (gx, gθ) = pullback(at: lx, lθ) { x, θ in self(x, θ) }(Dual(1))
    return (
      gx.isSymbolicZero ? Vector.zeros(x.count) : gx.derivatives,
      gθ.isSymbolicZero ? Vector.zeros(θ.count) : gθ.derivatives
    )
  }

  /// The forward product `∇²ₓₓf · v + (∂∇ₓf/∂θ) · t`, exact, in one reverse pass over dual numbers.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    let lx = Vector<Dual>(values: x, derivatives: v)
    let lθ = Vector<Dual>(values: θ, derivatives: t)
    let gx = pullback(at: lx, lθ) { x, θ in self(x, θ) }(Dual(1)).0
    return gx.isSymbolicZero ? Vector.zeros(x.count) : gx.derivatives
  }
}
