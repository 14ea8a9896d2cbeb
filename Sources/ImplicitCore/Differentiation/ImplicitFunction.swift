import _Differentiation

/// Any solver, made differentiable: `θ ↦ x*(θ)` as a `@differentiable(reverse)` function whose
/// derivative comes from the optimality condition, not from the solver's iterations.
///
/// This is JAXopt's `custom_root`. The solver can be anything — a closed form, a hand-written
/// loop, a call into C — and it is never differentiated. The result composes with the user's
/// own differentiable Swift code:
///
/// ```swift
/// let ridge = ImplicitFunction(condition: RidgeCondition(A: A, b: b)) { θ in solveRidge(θ) }
/// let g = gradient(at: 0.5) { θ in validationLoss(ridge(θ)) }
/// ```
///
/// A pullback cannot throw, so where the throwing API would throw — a failed linear solve, or an
/// inaccurate derivative or a degeneracy when ``ImplicitOptions/policy`` says `.throwError` —
/// the gradient is filled with NaN, never a plausible number. The outcome of every backward pass
/// (the error, or the derivative's certificate with its ``DerivativeDiagnostics/isReliable``
/// flag) goes to ``ImplicitOptions/onDiagnostics`` when one is set. For typed errors and diagnostics as
/// values use the one throwing API, ``differentiator``:
/// `try f.differentiator.jacobian(at: f.solver(θ), θ)`.
///
/// With a `Sendable` condition the function is `Sendable`, so a global `let` of it and a global
/// differentiable function using it compile in Swift 6 language mode.
public struct ImplicitFunction<Condition: OptimalityCondition> {
  /// The type of `x`.
  public typealias Solution = Condition.Solution
  /// The type of `θ`.
  public typealias Parameter = Condition.Parameter

  /// Derivatives of the root, configured by the options given at creation.
  public var differentiator: ImplicitDifferentiator<Condition>
  /// The solver: any function returning (an approximation of) the root for `θ`.
  public let solver: @Sendable (Parameter) -> Solution

  /// Wraps `solver`, differentiated through `condition`.
  public init(
    condition: Condition, options: ImplicitOptions = ImplicitOptions(),
    solver: @escaping @Sendable (Parameter) -> Solution
  ) {
    differentiator = ImplicitDifferentiator(condition, options: options)
    self.solver = solver
  }

  /// The condition.
  public var condition: Condition { differentiator.condition }

  /// `x*(θ)`, differentiable in `θ`.
  @differentiable(reverse,wrt: θ)
  public func callAsFunction(_ θ: Parameter) -> Solution { solver(θ) }

  @derivative(of: callAsFunction, wrt: θ)
  @usableFromInline func _vjpCallAsFunction(_ θ: Parameter) -> (
    value: Solution, pullback: (Solution) -> Parameter
  ) {
    let x = solver(θ)
    let differentiator = self.differentiator
    let report = differentiator.options.onDiagnostics
    let linearization = Result { try differentiator.linearize(at: x, θ) }
    return (
      x,
      { v in
        do {
          let d = try differentiator.vjp(v, linearization: linearization.get())
          report?(.success(d.diagnostics))
          return d.value
        } catch {
          report?(.failure(error))
          return θ.unflattened([Double](repeating: .nan, count: θ.dimension))
        }
      }
    )
  }
}

extension ImplicitFunction: Sendable where Condition: Sendable {}
