public import ImplicitCore
import _Differentiation

/// A smooth constrained problem `min_x f(x, θ) s.t. h(x, θ) = 0, g(x, θ) ≤ 0`, written once,
/// generically over the scalar, so that ``KKTCondition`` can take exact second derivatives of
/// its Lagrangian (reverse mode over ``Dual`` numbers, as ``ParametricObjective`` does).
///
/// ```swift
/// // Projection of θ onto the unit ball intersected with the hyperplane Σx = 1.
/// struct BallSlice: ConstrainedProblem {
///   @differentiable(reverse)
///   func objective<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S { S(0.5) * (x - θ).squaredNorm() }
///   @differentiable(reverse)
///   func equalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
///     Vector([x.sum() - S(1)])     // h(x, θ) = 0
///   }
///   @differentiable(reverse)
///   func inequalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
///     Vector([x.squaredNorm() - S(1)])   // g(x, θ) ≤ 0
///   }
/// }
/// ```
///
/// A problem without equality (inequality) constraints returns the empty vector `Vector([])`
/// from `equalityConstraints` (`inequalityConstraints`). The number of entries returned must not
/// depend on `x` or `θ`.
///
/// The protocol states the two instances the library calls (on `Double` and on ``Dual``) rather
/// than generic requirements, for the reason given at ``ParametricObjective``: a generic
/// `@differentiable` requirement makes the compiler pass corrupt generic metadata to the
/// derivative (a crash, Swift 6.3.1). One generic method per function, as in the example,
/// satisfies both instances.
public protocol ConstrainedProblem {
  /// `f(x, θ)`.
  @differentiable(reverse)
  func objective(_ x: Vector<Double>, _ θ: Vector<Double>) -> Double
  /// `f(x, θ)` on dual numbers.
  @differentiable(reverse)
  func objective(_ x: Vector<Dual>, _ θ: Vector<Dual>) -> Dual

  /// `h(x, θ)`, required to be `0` (one entry per equality constraint).
  @differentiable(reverse)
  func equalityConstraints(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>
  /// `h(x, θ)` on dual numbers.
  @differentiable(reverse)
  func equalityConstraints(_ x: Vector<Dual>, _ θ: Vector<Dual>) -> Vector<Dual>

  /// `g(x, θ)`, required to be `≤ 0` (one entry per inequality constraint).
  @differentiable(reverse)
  func inequalityConstraints(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>
  /// `g(x, θ)` on dual numbers.
  @differentiable(reverse)
  func inequalityConstraints(_ x: Vector<Dual>, _ θ: Vector<Dual>) -> Vector<Dual>
}

/// The Lagrangian `L(x, θ, μ) = f(x, θ) + νᵀh(x, θ) + λᵀg(x, θ)` of a problem, with the
/// multipliers stacked as `μ = (ν, λ)` so that the compiler's three-argument pullback covers
/// `(x, θ, μ)` in one pass. Without the objective it is the constraint pairing
/// `νᵀh + λᵀg`, whose gradients are the transposed constraint Jacobians applied to `μ`.
/// Two concrete instances (`Double`, `Dual`) mirror the problem's requirements.
struct Lagrangian<Problem: ConstrainedProblem> {
  let problem: Problem
  let equalityCount: Int
  let inequalityCount: Int
  let includesObjective: Bool

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>, _ μ: Vector<Double>) -> Double {
    var value = includesObjective ? problem.objective(x, θ) : 0
    if equalityCount > 0 {
      value = value + μ.slice(from: 0, count: equalityCount).dot(problem.equalityConstraints(x, θ))
    }
    if inequalityCount > 0 {
      value = value + μ.slice(from: equalityCount, count: inequalityCount).dot(problem.inequalityConstraints(x, θ))
    }
    return value
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Dual>, _ θ: Vector<Dual>, _ μ: Vector<Dual>) -> Dual {
    var value = includesObjective ? problem.objective(x, θ) : Dual(0)
    if equalityCount > 0 {
      value = value + μ.slice(from: 0, count: equalityCount).dot(problem.equalityConstraints(x, θ))
    }
    if inequalityCount > 0 {
      value = value + μ.slice(from: equalityCount, count: inequalityCount).dot(problem.inequalityConstraints(x, θ))
    }
    return value
  }
}
