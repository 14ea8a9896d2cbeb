public import ImplicitCore
import _Differentiation

/// The gradient `∇ₓf(x, θ)` of an objective, given directly by the user as a differentiable map
/// (when `f` itself is not available, or its gradient is cheaper written by hand).
///
/// ```swift
/// struct RidgeGradient: ObjectiveGradient {       // ∇ₓ[½‖Ax − b‖² + ½θ‖x‖²]
///   let A: Matrix<Double>, b: Vector<Double>
///   @differentiable(reverse)
///   func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> {
///     A.transposedTimes(A * x - b) + θ * x
///   }
/// }
/// ```
public protocol ObjectiveGradient {
  /// The type of `x` (and of the gradient).
  associatedtype Solution: InnerProductSpace
  /// The type of `θ`.
  associatedtype Parameter: InnerProductSpace
  /// `∇ₓf(x, θ)`.
  @differentiable(reverse)
  func callAsFunction(_ x: Solution, _ θ: Parameter) -> Solution
  /// Shape checks (default: none).
  func validate(_ x: Solution, _ θ: Parameter) throws
}

extension ObjectiveGradient {
  public func validate(_ x: Solution, _ θ: Parameter) throws {}
}

/// Stationarity `F(x, θ) = g(x, θ) = 0` for a user-given gradient map `g = ∇ₓf`
/// (``ObjectiveGradient``).
///
/// The second derivatives `A = ∂g/∂x` (symmetric: a Hessian) and `B = ∂g/∂θ` come from reverse-mode
/// AD of the given gradient, so they are exact whenever `g` is. Forward products: `A v = Aᵀv` by
/// symmetry (exact); `B t` has no reverse-mode form, so JVPs that iterate take it from central
/// differences (reported as `finite-difference` in their diagnostics); full Jacobians and VJPs
/// use reverse products only and are exact.
public struct GradientStationarityCondition<Gradient: ObjectiveGradient>: OptimalityCondition {
  /// The gradient map `g = ∇ₓf`.
  public let gradient: Gradient
  /// Whether `f(·, θ)` was declared strongly convex (so that `A` is positive definite).
  public let isStronglyConvex: Bool

  public init(_ gradient: Gradient, stronglyConvex: Bool = false) {
    self.gradient = gradient
    isStronglyConvex = stronglyConvex
  }

  /// `g(x, θ)`.
  @differentiable(reverse)
  public func callAsFunction(_ x: Gradient.Solution, _ θ: Gradient.Parameter) -> Gradient.Solution {
    gradient(x, θ)
  }

  /// `.symmetric`, plus `.positiveDefinite` when declared strongly convex.
  public var structure: LinearStructure { isStronglyConvex ? .symmetricPositiveDefinite : .symmetric }

  public func validate(_ x: Gradient.Solution, _ θ: Gradient.Parameter) throws { try gradient.validate(x, θ) }
}

extension GradientStationarityCondition: Sendable where Gradient: Sendable {}
