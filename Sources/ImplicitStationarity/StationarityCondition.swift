public import ImplicitCore
import ImplicitObjectives
import _Differentiation

/// The stationarity condition of a smooth objective: `x*(θ)` minimises `f(·, θ)`, so
///
///     F(x, θ) = ∇ₓf(x, θ) = 0,   A = ∂F/∂x = ∇²ₓₓf,   B = ∂F/∂θ = ∂∇ₓf/∂θ
///
/// and `∂x*/∂θ = −(∇²ₓₓf)⁻¹ ∂∇ₓf/∂θ`. `A` is a Hessian, hence symmetric; declare the objective
/// strongly convex (`stronglyConvex: true`) and `A` is positive definite, which lets the
/// automatic linear solver use CG (or dense Cholesky for small problems).
///
/// Every product with `A`, `Aᵀ`, `B`, `Bᵀ` is exact: automatic differentiation cannot
/// differentiate `∇ₓf` again, so they come from reverse mode over ``Dual`` numbers applied to the
/// objective (``ParametricObjective/hessianVectorProduct(at:_:along:)`` and the mixed products),
/// and `callAsFunction` has an explicit derivative built from
/// ``ParametricObjective/gradientPullback(at:_:_:)``.
///
/// ```swift
/// let f = try BinaryLogisticRegression(features: X, labels: y)
/// let condition = StationarityCondition(f, stronglyConvex: true)
/// let w = try NewtonCG().solve(f, θ, from: .zeros(X.columns)).converged()
/// let J = try ImplicitDifferentiator(condition).jacobian(at: w, θ).matrix
/// ```
public struct StationarityCondition<Objective: ParametricObjective>: OptimalityCondition {
  /// The objective `f(x, θ)`.
  public let objective: Objective
  /// Whether the user declared `f(·, θ)` strongly convex (so that `A` is positive definite).
  public let isStronglyConvex: Bool

  /// The condition `∇ₓf = 0` of `objective`. Set `stronglyConvex` only when `f(·, θ)` is
  /// strongly convex near the solution: it selects CG / Cholesky for the implicit solve.
  public init(_ objective: Objective, stronglyConvex: Bool = false) {
    self.objective = objective
    isStronglyConvex = stronglyConvex
  }

  /// `∇ₓf(x, θ)`.
  @differentiable(reverse)
  public func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    objective.solutionGradient(at: x, θ)
  }

  // The gradient cannot be differentiated by AD again: its pullback is the exact
  // (∇²ₓₓf·u, (∂∇ₓf/∂θ)ᵀu) from one reverse pass over dual numbers.
  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let objective = self.objective
    return (
      objective.solutionGradient(at: x, θ),
      { u in
        if u.isSymbolicZero { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
        return objective.gradientPullback(at: x, θ, u)
      }
    )
  }

  /// `.symmetric`, plus `.positiveDefinite` when declared strongly convex.
  public var structure: LinearStructure { isStronglyConvex ? .symmetricPositiveDefinite : .symmetric }

  /// Checks shapes when the objective can (``ShapeCheckedObjective``).
  public func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    if let checked = objective as? any ShapeCheckedObjective { try checked.validate(x, θ) }
  }

  /// `A v = ∇²ₓₓf·v`, exact.
  public func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>?
  {
    objective.hessianVectorProduct(at: x, θ, along: v)
  }

  /// `Aᵀu = A u` (a Hessian is symmetric), exact.
  public func solutionJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    objective.hessianVectorProduct(at: x, θ, along: u)
  }

  /// `B t = (∂∇ₓf/∂θ)·t`, exact.
  public func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    objective.mixedJacobianProduct(at: x, θ, along: t)
  }

  /// `Bᵀu = (∂∇ₓf/∂θ)ᵀ·u`, exact.
  public func parameterJacobianTransposedProduct(
    _ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>
  ) -> Vector<Double>? {
    objective.mixedJacobianTransposedProduct(at: x, θ, u)
  }
}

extension StationarityCondition: Sendable where Objective: Sendable {}
