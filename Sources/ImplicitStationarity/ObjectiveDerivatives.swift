public import ImplicitCore
import ImplicitObjectives
import _Differentiation

// Derivatives of a `ParametricObjective` that take only what they need: the core's
// `gradientPullback` pulls back into both `x` and `θ`, which costs an outer product when `θ`
// holds a data matrix. These differentiate one argument at a time (closures of one argument
// over a protocol method, the safe form). Objectives with closed-form products
// (``ClosedFormDerivatives``) answer each from those instead.

extension ParametricObjective {
  /// `∇ₓf(x, θ)` (one reverse pass, `θ` held constant).
  public func solutionGradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    if let closed = self as? any ClosedFormDerivatives { return closed.gradient(at: x, θ) }
    let g = _Differentiation.gradient(at: x) { x in self(x, θ) }
    return g.isSymbolicZero ? Vector.zeros(x.count) : g
  }

  /// `f(x, θ)` and `∇ₓf(x, θ)`.
  public func valueWithSolutionGradient(
    at x: Vector<Double>, _ θ: Vector<Double>
  ) -> (value: Double, gradient: Vector<Double>) {
    let (v, g) = _Differentiation.valueWithGradient(at: x) { x in self(x, θ) }
    return (v, g.isSymbolicZero ? Vector.zeros(x.count) : g)
  }

  /// The exact Hessian-vector product `∇²ₓₓf(x, θ)·v` (reverse mode over dual numbers).
  public func hessianVectorProduct(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>
  ) -> Vector<Double> {
    if isZero(v) { return Vector.zeros(x.count) }
    if let closed = self as? any ClosedFormDerivatives {
      return closed.gradientJVP(at: x, θ, along: v, Vector.zeros(θ.count))
    }
    let constantθ = Vector<Dual>(converting: θ.scalars)
    let g = pullback(at: Vector<Dual>(values: x, derivatives: v)) { x in self(x, constantθ) }(Dual(1))
    return g.isSymbolicZero ? Vector.zeros(x.count) : g.derivatives
  }

  /// The exact mixed product `(∂∇ₓf/∂θ)·t` (the derivative of the gradient along `θ + εt`).
  public func mixedJacobianProduct(
    at x: Vector<Double>, _ θ: Vector<Double>, along t: Vector<Double>
  ) -> Vector<Double> {
    if isZero(t) { return Vector.zeros(x.count) }
    if let closed = self as? any ClosedFormDerivatives {
      return closed.gradientJVP(at: x, θ, along: Vector.zeros(x.count), t)
    }
    let liftedθ = Vector<Dual>(values: θ, derivatives: t)
    let g = pullback(at: Vector<Dual>(converting: x.scalars)) { x in self(x, liftedθ) }(Dual(1))
    return g.isSymbolicZero ? Vector.zeros(x.count) : g.derivatives
  }

  /// The exact transposed mixed product `(∂∇ₓf/∂θ)ᵀ·u = ∂/∂θ ⟨∇ₓf, u⟩`: the `θ`-gradient of `f`
  /// at `x + εu`, whose ε part is the wanted product.
  public func mixedJacobianTransposedProduct(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> Vector<Double> {
    if isZero(u) { return Vector.zeros(θ.count) }
    if let closed = self as? any ClosedFormDerivatives { return closed.gradientPullback(at: x, θ, u).θ }
    let liftedX = Vector<Dual>(values: x, derivatives: u)
    let g = pullback(at: Vector<Dual>(converting: θ.scalars)) { θ in self(liftedX, θ) }(Dual(1))
    return g.isSymbolicZero ? Vector.zeros(θ.count) : g.derivatives
  }
}

/// Whether every entry is zero (products along zero directions are zero without evaluating).
func isZero(_ v: Vector<Double>) -> Bool { v.scalars.allSatisfy { $0 == 0 } }
