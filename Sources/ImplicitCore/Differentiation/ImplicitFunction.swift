import Synchronization
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
/// A pullback cannot throw, so when its linear solve fails the gradient is filled with NaN —
/// never a plausible number — and the diagnostics of every backward pass are kept in
/// ``lastDiagnostics``. For typed errors call ``vjp(_:at:)`` or ``jacobian(at:)``.
public struct ImplicitFunction<Condition: OptimalityCondition> {
  public typealias Solution = Condition.Solution
  public typealias Parameter = Condition.Parameter

  /// Derivatives of the root, configured by the options given at creation.
  public var differentiator: ImplicitDifferentiator<Condition>
  /// The solver: any function returning (an approximation of) the root for `θ`.
  public let solver: (Parameter) -> Solution
  let log: DiagnosticsLog

  /// Wraps `solver`, differentiated through `condition`.
  public init(
    condition: Condition, options: ImplicitOptions = ImplicitOptions(),
    solver: @escaping (Parameter) -> Solution
  ) {
    differentiator = ImplicitDifferentiator(condition, options: options)
    self.solver = solver
    log = DiagnosticsLog()
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
    let log = self.log
    let linearization = Result { try differentiator.linearize(at: x, θ) }
    return (
      x,
      { v in
        do {
          let d = try differentiator.vjp(v, linearization: linearization.get())
          log.record(.success(d.diagnostics))
          return d.value
        } catch {
          log.record(.failure(error))
          return θ.unflattened([Double](repeating: .nan, count: θ.dimension))
        }
      }
    )
  }

  /// The outcome of the most recent backward pass through this function (or a copy of it).
  public var lastDiagnostics: Result<DerivativeDiagnostics, any Error>? { log.last }

  /// `vᵀ ∂x*/∂θ` with typed errors, solving first.
  public func vjp(_ v: Solution, at θ: Parameter) throws -> Derivative<Parameter> {
    try differentiator.vjp(v, at: solver(θ), θ)
  }

  /// `∂x*/∂θ · t` with typed errors, solving first.
  public func jvp(_ t: Parameter, at θ: Parameter) throws -> Derivative<Solution> {
    try differentiator.jvp(t, at: solver(θ), θ)
  }

  /// The full Jacobian `∂x*/∂θ`, solving first.
  public func jacobian(at θ: Parameter) throws -> JacobianResult {
    try differentiator.jacobian(at: solver(θ), θ)
  }
}

/// Thread-safe record of the last backward pass's outcome.
final class DiagnosticsLog: Sendable {
  private let state = Mutex<Result<DerivativeDiagnostics, any Error>?>(nil)
  func record(_ outcome: Result<DerivativeDiagnostics, any Error>) { state.withLock { $0 = outcome } }
  var last: Result<DerivativeDiagnostics, any Error>? { state.withLock { $0 } }
}
