import _Differentiation

/// An optimality condition: a map `F(x, θ)` whose root in `x` is the solution `x*(θ)` of a
/// problem parametrised by `θ`.
///
/// The implicit function theorem turns `F(x*(θ), θ) = 0` into derivatives of `x*`:
/// with `A = ∂F/∂x` and `B = ∂F/∂θ` at `(x*, θ)`, `∂x*/∂θ = −A⁻¹B`. The library needs only
/// products with `A`, `Aᵀ`, `B` and `Bᵀ`, which it takes from reverse-mode differentiation of
/// ``callAsFunction(_:_:)`` unless the condition supplies them itself.
///
/// Why a protocol method rather than a stored closure: the compiler silently returns wrong
/// derivatives when a `@differentiable` function *value* is differentiated with respect to a
/// subset of its arguments that does not start at the first. Protocol witnesses do not have
/// that defect, and the library always differentiates through one.
///
/// ```swift
/// struct Ridge: OptimalityCondition {            // F = Aᵀ(Ax − b) + θx
///   var A: Matrix<Double>, b: Vector<Double>
///   @differentiable(reverse)
///   func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> {
///     A.transposedTimes(A * x - b) + θ * x
///   }
///   var structure: LinearStructure { .symmetricPositiveDefinite }
/// }
/// ```
public protocol OptimalityCondition {
  /// The type of `x` (and of `F(x, θ)`).
  associatedtype Solution: InnerProductSpace
  /// The type of `θ`.
  associatedtype Parameter: InnerProductSpace

  /// The residual `F(x, θ)`; zero exactly at solutions.
  @differentiable(reverse)
  func callAsFunction(_ x: Solution, _ θ: Parameter) -> Solution

  /// What is known about `A = ∂F/∂x`. Declaring `.symmetricPositiveDefinite` lets the
  /// automatic solver choice use CG. Default: ``LinearStructure/general``.
  var structure: LinearStructure { get }

  /// Throws a typed error when `x` or `θ` has the wrong shape for this condition. Called before
  /// `F` is evaluated, so that bad input is reported instead of trapping in the algebra.
  /// Default: accepts everything.
  func validate(_ x: Solution, _ θ: Parameter) throws

  /// Where this condition's own derivative products come from (its pullback and hand-written
  /// products). Default ``ForwardProductSource/exact``. A condition whose derivatives are
  /// approximations — e.g. central differences of a gradient that AD cannot see through —
  /// declares ``ForwardProductSource/finiteDifference``, and every derivative taken through it
  /// (VJPs and dense Jacobians too, not only JVPs) is labelled so in its diagnostics.
  var derivativeSource: ForwardProductSource { get }

  /// Where the solution map is not differentiable at `(x, θ)` — a prox input on a kink, a weakly
  /// active constraint — naming the coordinates or constraints, with margins judged relative to
  /// `tolerance`. The differentiator reports them in ``DerivativeDiagnostics/degeneracies`` on
  /// every path and applies ``DerivativePolicy/degeneracy``. Default: none.
  func degeneracies(at x: Solution, _ θ: Parameter, tolerance: Double) -> [Degeneracy]

  /// An equivalent symmetric positive-definite system for `A w = r` and `Aᵀ q = r` at `(x, θ)`,
  /// or `nil` when none is known (default). The differentiator solves it instead of `A` (CG or
  /// Cholesky rather than GMRES or normal-equation CG) unless ``ImplicitOptions/reformulation``
  /// is ``ReformulationChoice/none``, a ridge or a preconditioner is set. It must be exact: the
  /// differentiator judges the result by the true residual of `A`. The gradient-step conditions
  /// (proximal and projected gradient, block coordinate descent) offer one when their prox
  /// declares its Jacobian's pseudo-inverse.
  func symmetricReformulation(at x: Solution, _ θ: Parameter) -> SymmetricReformulation<Solution>?

  /// `A v`, or `nil` to let the library derive it (default `nil`).
  func solutionJacobianProduct(_ v: Solution, at x: Solution, _ θ: Parameter) -> Solution?
  /// `Aᵀ u`, or `nil` to use reverse-mode AD of `F` (default `nil`).
  func solutionJacobianTransposedProduct(_ u: Solution, at x: Solution, _ θ: Parameter) -> Solution?
  /// `B t`, or `nil` to let the library derive it (default `nil`).
  func parameterJacobianProduct(_ t: Parameter, at x: Solution, _ θ: Parameter) -> Solution?
  /// `Bᵀ u`, or `nil` to use reverse-mode AD of `F` (default `nil`).
  func parameterJacobianTransposedProduct(_ u: Solution, at x: Solution, _ θ: Parameter) -> Parameter?
}

extension OptimalityCondition {
  public var structure: LinearStructure { .general }
  public var derivativeSource: ForwardProductSource { .exact }
  public func validate(_ x: Solution, _ θ: Parameter) throws {}
  public func degeneracies(at x: Solution, _ θ: Parameter, tolerance: Double) -> [Degeneracy] { [] }
  public func symmetricReformulation(at x: Solution, _ θ: Parameter) -> SymmetricReformulation<Solution>? { nil }
  public func solutionJacobianProduct(_ v: Solution, at x: Solution, _ θ: Parameter) -> Solution? { nil }
  public func solutionJacobianTransposedProduct(_ u: Solution, at x: Solution, _ θ: Parameter) -> Solution? {
    nil
  }
  public func parameterJacobianProduct(_ t: Parameter, at x: Solution, _ θ: Parameter) -> Solution? { nil }
  public func parameterJacobianTransposedProduct(_ u: Solution, at x: Solution, _ θ: Parameter) -> Parameter? {
    nil
  }
}

/// A map `T(x, θ)` whose fixed point `x = T(x, θ)` is the solution; its optimality condition
/// is ``FixedPointCondition``: `F(x, θ) = T(x, θ) − x`.
public protocol FixedPointMap {
  associatedtype Solution: InnerProductSpace
  associatedtype Parameter: InnerProductSpace
  /// `T(x, θ)`.
  @differentiable(reverse)
  func callAsFunction(_ x: Solution, _ θ: Parameter) -> Solution
  /// Shape checks, as for ``OptimalityCondition/validate(_:_:)``. Default: none.
  func validate(_ x: Solution, _ θ: Parameter) throws
}

extension FixedPointMap {
  public func validate(_ x: Solution, _ θ: Parameter) throws {}
}

/// The optimality condition `F(x, θ) = T(x, θ) − x` of a fixed-point map `T`
/// (JAXopt's `custom_fixed_point`): `A = ∂T/∂x − I`, `B = ∂T/∂θ`.
public struct FixedPointCondition<Map: FixedPointMap>: OptimalityCondition {
  /// The map `T`.
  public var map: Map
  public init(_ map: Map) { self.map = map }

  @differentiable(reverse)
  public func callAsFunction(_ x: Map.Solution, _ θ: Map.Parameter) -> Map.Solution {
    map(x, θ) - x
  }

  // Written by hand: `-` on a generic `AdditiveArithmetic` value is not differentiable.
  @derivative(of: callAsFunction)
  @usableFromInline func _vjpCallAsFunction(_ x: Map.Solution, _ θ: Map.Parameter) -> (
    value: Map.Solution, pullback: (Map.Solution) -> (Map.Solution, Map.Parameter)
  ) {
    let (tx, pullbackT) = valueWithPullback(at: x, θ, of: map.callAsFunction)
    return (
      tx - x,
      { u in
        let u = u.materialized(like: x)
        let (dTx, dTθ) = pullbackT(u)
        var dx = dTx.materialized(like: x)
        dx.addScaled(-1, u)
        return (dx, dTθ.materialized(like: θ))
      }
    )
  }

  public func validate(_ x: Map.Solution, _ θ: Map.Parameter) throws {
    try map.validate(x, θ)
    // A map whose output is not shaped like x would trap in T(x, θ) − x.
    try ImplicitError.checkDimension("T(x, θ)", map(x, θ).dimension, expected: x.dimension)
  }
}

extension FixedPointCondition: Sendable where Map: Sendable {}
