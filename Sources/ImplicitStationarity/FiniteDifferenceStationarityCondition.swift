public import ImplicitCore
import _Differentiation

/// A gradient map `∇ₓf(x, θ)` that automatic differentiation cannot see through (a call into C,
/// a simulator, code with non-differentiable steps): second derivatives can then only come from
/// finite differences. See ``FiniteDifferenceStationarityCondition``.
public protocol OpaqueObjectiveGradient {
  /// The type of `x` (and of the gradient).
  associatedtype Solution: InnerProductSpace
  /// The type of `θ`.
  associatedtype Parameter: InnerProductSpace
  /// `∇ₓf(x, θ)`.
  func callAsFunction(_ x: Solution, _ θ: Parameter) -> Solution
  /// Shape checks (default: none).
  func validate(_ x: Solution, _ θ: Parameter) throws
}

extension OpaqueObjectiveGradient {
  public func validate(_ x: Solution, _ θ: Parameter) throws {}
}

/// FINITE-DIFFERENCE FALLBACK. Stationarity `F(x, θ) = g(x, θ) = 0` for a gradient map `g = ∇ₓf`
/// that is not differentiable (``OpaqueObjectiveGradient``), with `A = ∂g/∂x` and `B = ∂g/∂θ`
/// approximated by central differences of `g`.
///
/// Step rule (central differences, balancing the O(h²) truncation error against the O(ε/h)
/// rounding error): along a direction `d` at a point `z`,
///
///     (g(z + h d) − g(z − h d)) / 2h,   h = ε^{1/3} · max(1, ‖z‖) / ‖d‖,   ε^{1/3} ≈ 6.06e-6
///
/// - `A v` and `Aᵀu` (equal: a Hessian is symmetric): one difference along `v` in `x` (2 calls
///   of `g`);
/// - `B t`: one difference along `t` in `θ`;
/// - `Bᵀu`: `B` is formed once per point, one difference per coordinate of `θ` (2·dim θ calls),
///   and reused for every product at that point.
///
/// Expect about 1e-8 relative accuracy at best (1e-6 when `g` is itself noisy), against ~1e-15
/// for ``StationarityCondition`` and ``GradientStationarityCondition``. Use this only when
/// neither applies. The condition declares ``derivativeSource`` `.finiteDifference`, so every
/// derivative taken through it — by ``ImplicitDifferentiator`` directly or by the helpers
/// ``jacobian(at:_:options:)``, ``vjp(_:at:_:options:)``, ``jvp(_:at:_:options:)`` — carries
/// diagnostics labelled `finite-difference`.
///
/// When `g` itself carries noise above rounding (an inner solver, a simulator), the products are
/// accurate only to about that noise divided by the step, and a linear solve checked against
/// them cannot meet the default relative residual of 1e-10: pass
/// `ImplicitOptions(linearSolver: AutomaticLinearSolver(relativeTolerance: 1e-7))` (or what the noise
/// allows) instead of accepting a failed solve.
public struct FiniteDifferenceStationarityCondition<Gradient: OpaqueObjectiveGradient>: OptimalityCondition {
  /// The gradient map `g = ∇ₓf`.
  public let gradient: Gradient
  /// Whether `f(·, θ)` was declared strongly convex (so that `A` is positive definite).
  public let isStronglyConvex: Bool

  /// How this condition's second derivatives are obtained.
  public static var derivativeMethod: String { "finite-difference (central, h = ε^{1/3}·max(1, ‖z‖)/‖d‖)" }

  public init(_ gradient: Gradient, stronglyConvex: Bool = false) {
    self.gradient = gradient
    isStronglyConvex = stronglyConvex
  }

  /// `g(x, θ)`.
  @differentiable(reverse)
  public func callAsFunction(_ x: Gradient.Solution, _ θ: Gradient.Parameter) -> Gradient.Solution {
    gradient(x, θ)
  }

  // Not differentiable by AD: the pullback is (A u, Bᵀu) by central differences, with B formed
  // lazily on first use and reused by every product at this point.
  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ x: Gradient.Solution, _ θ: Gradient.Parameter) -> (
    value: Gradient.Solution, pullback: (Gradient.Solution) -> (Gradient.Solution, Gradient.Parameter)
  ) {
    let b = LazyParameterJacobian(self, x, θ)
    return (
      gradient(x, θ),
      { [self] u in
        (self.hessianProduct(u, at: x, θ), b.transposedProduct(u))
      }
    )
  }

  /// `.symmetric`, plus `.positiveDefinite` when declared strongly convex.
  public var structure: LinearStructure { isStronglyConvex ? .symmetricPositiveDefinite : .symmetric }

  /// `.finiteDifference`: every product of this condition is a central difference.
  public var derivativeSource: ForwardProductSource { .finiteDifference }

  public func validate(_ x: Gradient.Solution, _ θ: Gradient.Parameter) throws { try gradient.validate(x, θ) }

  /// `A u ≈ (g(x + hu, θ) − g(x − hu, θ)) / 2h`.
  public func hessianProduct(_ u: Gradient.Solution, at x: Gradient.Solution, _ θ: Gradient.Parameter)
    -> Gradient.Solution
  {
    centralDifference(of: { x in gradient(x, θ) }, at: x, along: u)
  }

  /// `B t ≈ (g(x, θ + ht) − g(x, θ − ht)) / 2h`.
  public func parameterProduct(_ t: Gradient.Parameter, at x: Gradient.Solution, _ θ: Gradient.Parameter)
    -> Gradient.Solution
  {
    centralDifference(of: { θ in gradient(x, θ) }, at: θ, along: t)
  }

  public func solutionJacobianProduct(
    _ v: Gradient.Solution, at x: Gradient.Solution, _ θ: Gradient.Parameter
  ) -> Gradient.Solution? {
    hessianProduct(v, at: x, θ)
  }

  public func solutionJacobianTransposedProduct(
    _ u: Gradient.Solution, at x: Gradient.Solution, _ θ: Gradient.Parameter
  ) -> Gradient.Solution? {
    hessianProduct(u, at: x, θ)
  }

  // `parameterJacobianProduct` is deliberately not provided: the core then labels JVPs
  // `finite-difference` and computes `B t` by the same central difference.

  /// An implicit differentiator for this condition.
  public func differentiator(options: ImplicitOptions = ImplicitOptions()) -> ImplicitDifferentiator<Self> {
    ImplicitDifferentiator(self, options: options)
  }

  /// `∂x*/∂θ` (diagnostics labelled `finite-difference`; the assembly names the method).
  public func jacobian(
    at x: Gradient.Solution, _ θ: Gradient.Parameter, options: ImplicitOptions = ImplicitOptions()
  ) throws -> JacobianResult {
    var result = try differentiator(options: options).jacobian(at: x, θ)
    result.assembly = "finite-difference second derivatives; " + result.assembly
    return result
  }

  /// `vᵀ∂x*/∂θ` (diagnostics labelled `finite-difference`).
  public func vjp(
    _ v: Gradient.Solution, at x: Gradient.Solution, _ θ: Gradient.Parameter,
    options: ImplicitOptions = ImplicitOptions()
  ) throws -> Derivative<Gradient.Parameter> {
    try differentiator(options: options).vjp(v, at: x, θ)
  }

  /// `∂x*/∂θ·t` (diagnostics labelled `finite-difference`).
  public func jvp(
    _ t: Gradient.Parameter, at x: Gradient.Solution, _ θ: Gradient.Parameter,
    options: ImplicitOptions = ImplicitOptions()
  ) throws -> Derivative<Gradient.Solution> {
    try differentiator(options: options).jvp(t, at: x, θ)
  }
}

/// `B = ∂g/∂θ` by central differences, one column per coordinate of `θ`, formed on first use.
final class LazyParameterJacobian<Gradient: OpaqueObjectiveGradient> {
  let condition: FiniteDifferenceStationarityCondition<Gradient>
  let x: Gradient.Solution
  let θ: Gradient.Parameter
  private var columns: [Gradient.Solution]?

  init(_ condition: FiniteDifferenceStationarityCondition<Gradient>, _ x: Gradient.Solution, _ θ: Gradient.Parameter) {
    self.condition = condition
    self.x = x
    self.θ = θ
  }

  /// `Bᵀu`: the inner products of `u` with the columns `B eⱼ`.
  func transposedProduct(_ u: Gradient.Solution) -> Gradient.Parameter {
    if columns == nil {
      let p = θ.dimension
      var e = [Double](repeating: 0, count: p)
      columns = (0..<p).map { j in
        e[j] = 1
        defer { e[j] = 0 }
        return condition.parameterProduct(θ.unflattened(e), at: x, θ)
      }
    }
    return θ.unflattened(columns!.map { $0.innerProduct(with: u) })
  }
}

/// Central difference `(f(z + h d) − f(z − h d)) / 2h` with `h = ε^{1/3}·max(1, ‖z‖)/‖d‖`.
func centralDifference<In: InnerProductSpace, Out: InnerProductSpace>(
  of f: (In) -> Out, at z: In, along d: In
) -> Out {
  let dNorm = d.norm
  guard dNorm > 0 else { return f(z).zeroLike }
  let h = 6.0554544523933395e-06 * max(1, z.norm) / dNorm
  var plus = z, minus = z
  plus.addScaled(h, d)
  minus.addScaled(-h, d)
  var difference = f(plus)
  difference.addScaled(-1, f(minus))
  return difference.scaled(by: 1 / (2 * h))
}

extension FiniteDifferenceStationarityCondition: Sendable where Gradient: Sendable {}
