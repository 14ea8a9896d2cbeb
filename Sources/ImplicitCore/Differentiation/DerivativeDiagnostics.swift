/// Where derivative products came from: for a derivative's diagnostics, the forward products
/// `A v` and `B t` it used; for a condition (``OptimalityCondition/derivativeSource``), all of
/// its own products.
public enum ForwardProductSource: String, Sendable, Hashable {
  /// None were needed (reverse mode, or a dense Jacobian built from reverse products of a
  /// condition whose derivatives are exact).
  case notUsed = "not-used"
  /// Exact: hand-written by the condition, or `Aᵀ` reused for a symmetric `A`.
  case exact
  /// Central finite differences (the documented fallback; about 1e-8 relative): of `F` by the
  /// library, or inside a condition that declares so.
  case finiteDifference = "finite-difference"
}

/// What comes with every implicit derivative: how trustworthy it is.
///
/// The error estimate follows Theorem 1 of Blondel et al. (2021): the Jacobian computed at an
/// approximate solution `x̂` differs from the true one by at most `C·‖x̂ − x*‖`, and
/// `‖x̂ − x*‖ ≲ ‖A⁻¹‖·‖F(x̂, θ)‖`. The library estimates `‖A⁻¹‖` from its own solves
/// (`σ̂ = ‖solution‖ / ‖right-hand side‖`, a lower bound that is usually tight within a small
/// factor) and the Jacobian's size from the result, and takes `C = σ̂·L·(1 + ‖J‖)` with
/// `L` the Lipschitz constant of `(A, B)` in `x` (``ImplicitOptions/lipschitzConstant``,
/// default 1: set it when known). The bound is an estimate, not a certificate.
public struct DerivativeDiagnostics: Sendable, CustomStringConvertible {
  /// `‖F(x̂, θ)‖` at the point the derivative was taken.
  public var residualNorm: Double
  /// The linear solves performed (for a full Jacobian, the worst one and the count).
  public var linearSolve: LinearSolveSummary
  /// How many linear systems were solved.
  public var linearSolveCount: Int
  /// Where forward products came from; ``ForwardProductSource/finiteDifference`` whenever the
  /// condition declares finite-difference derivatives (``OptimalityCondition/derivativeSource``),
  /// whatever kind of derivative this is.
  public var forwardProducts: ForwardProductSource
  /// `σ̂`, the estimate of `‖A⁻¹‖`.
  public var inverseNormEstimate: Double
  /// `σ̂·‖F(x̂, θ)‖`: estimated distance of `x̂` from the exact root.
  public var solutionErrorEstimate: Double
  /// `C·‖F(x̂, θ)‖`: estimated error of the derivative (see the type's documentation).
  public var jacobianErrorEstimate: Double
  /// `false` when a solve did not converge (only possible with ``FailurePolicy/flag``).
  public var isReliable: Bool

  public var description: String {
    "‖F‖ = \(residualNorm); \(linearSolve)\(linearSolveCount > 1 ? " (worst of \(linearSolveCount))" : ""); "
      + "forward products: \(forwardProducts.rawValue); ‖A⁻¹‖ ≈ \(inverseNormEstimate); "
      + "solution error ≈ \(solutionErrorEstimate); Jacobian error ≈ \(jacobianErrorEstimate)"
      + (isReliable ? "" : " [UNRELIABLE]")
  }
}

/// A derivative together with its diagnostics.
public struct Derivative<Value> {
  /// The derivative (a VJP's cotangent, a JVP's tangent).
  public var value: Value
  /// How trustworthy it is.
  public var diagnostics: DerivativeDiagnostics
}

/// A full Jacobian `∂x*/∂θ` (rows: coordinates of `x`, columns: coordinates of `θ`, both in
/// `flattened` order) with its diagnostics.
public struct JacobianResult: Sendable {
  /// The Jacobian, `dim(x) × dim(θ)`.
  public var matrix: Matrix<Double>
  /// How trustworthy it is.
  public var diagnostics: DerivativeDiagnostics
  /// Whether it was assembled from rows (VJPs) or columns (JVPs), or by a dense solve.
  public var assembly: String
}

/// What to do when the implicit linear solve fails.
public enum FailurePolicy: Sendable, Hashable {
  /// Throw ``ImplicitError/linearSolveFailed(_:)`` (the default).
  case throwError
  /// Return the result with ``DerivativeDiagnostics/isReliable`` set to `false`.
  case flag
}

/// Options of implicit differentiation, shared by ``ImplicitFunction`` and ``ImplicitDifferentiator``.
///
/// ```swift
/// var options = ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12))
/// options.onDiagnostics = { outcome in if case .failure(let e) = outcome { print("backward pass failed:", e) } }
/// ```
public struct ImplicitOptions: Sendable {
  /// The linear solver for `Aᵀu = v` / `A w = −B t` (default: ``AutomaticLinearSolver``,
  /// relative tolerance 1e-10). Any ``LinearSolver`` conformer, the library's or your own.
  public var linearSolver: any LinearSolver
  /// Solve with `A + ridge·I` instead of `A`: regularises singular or indefinite systems.
  public var ridge: Double
  /// What a failed linear solve does.
  public var onFailure: FailurePolicy
  /// `L` in the error estimate (see ``DerivativeDiagnostics``).
  public var lipschitzConstant: Double
  /// Called with the outcome of every backward pass of an ``ImplicitFunction`` (a pullback
  /// cannot throw: on failure it returns NaN and reports the error here). The throwing
  /// ``ImplicitDifferentiator`` returns diagnostics as values and does not call it.
  public var onDiagnostics: (@Sendable (Result<DerivativeDiagnostics, any Error>) -> Void)?

  /// Options; every argument has a default.
  public init(
    linearSolver: any LinearSolver = AutomaticLinearSolver(), ridge: Double = 0,
    onFailure: FailurePolicy = .throwError, lipschitzConstant: Double = 1,
    onDiagnostics: (@Sendable (Result<DerivativeDiagnostics, any Error>) -> Void)? = nil
  ) {
    self.linearSolver = linearSolver
    self.ridge = ridge
    self.onFailure = onFailure
    self.lipschitzConstant = lipschitzConstant
    self.onDiagnostics = onDiagnostics
  }
}
