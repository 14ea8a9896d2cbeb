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

/// A point where the implicit function theorem's hypotheses fail, reported by a condition
/// (``OptimalityCondition/degeneracies(at:_:tolerance:)``): the solution map is only
/// directionally differentiable there, and the derivative returned is one of several one-sided ones.
public struct Degeneracy: Sendable, Hashable, CustomStringConvertible {
  /// What kind of degeneracy.
  public enum Kind: String, Sendable, Hashable {
    /// The prox input sits on a kink of the prox (a zero-width margin), in coordinates of `x`.
    case kink = "prox input on a kink (zero-width margin) at coordinates"
    /// Inequality constraints with zero multiplier and zero slack, by constraint index.
    case weaklyActiveConstraint = "weakly active inequality constraints"
    /// Coordinates of `x` on the boundary of the mirror map's domain with a zero-width margin.
    case boundary = "coordinates on the boundary of the domain with a zero-width margin"
  }
  /// What kind.
  public var kind: Kind
  /// The coordinates of `x` or the constraint indices concerned (see ``Kind``).
  public var indices: [Int]

  /// A degeneracy of `kind` at `indices`.
  public init(_ kind: Kind, indices: [Int]) {
    self.kind = kind
    self.indices = indices
  }

  public var description: String { "\(kind.rawValue) \(indices)" }
}

/// What comes with every implicit derivative: its certificate.
///
/// Theorem 1 of Blondel et al. (2021): the derivative computed at an approximate root `x̂`
/// differs from the true one by `O(‖x̂ − x*‖)`, and `‖x̂ − x*‖ ≲ ‖A⁻¹‖·‖F(x̂, θ)‖`. The library
/// makes both factors concrete instead of asking for constants: it takes Newton steps
/// `x̃ = x̂ − A⁻¹F(x̂, θ)` from `x̂` with the prepared linear solver (up to three, while `‖F‖`
/// falls), recomputes the same derivative at `x̃` and reports twice the difference — a finite
/// difference of the derivative along the solution-error direction — plus the error that the
/// inexact linear solves can cause (`‖A⁻¹‖·‖residual‖`). Measured on ridge, lasso and the
/// multiclass SVM dual for `‖F‖` from 1e-2 to 1e-10 the bound is never below the true error and
/// within 30× of it (see `CertificateTests`). When no Newton step can be taken the estimate falls
/// back to `‖A⁻¹‖²·‖F‖·(1 + ‖J‖)`. It is an estimate, not a proof: a solution map with kinks can
/// jump between `x̂` and `x*` unseen.
public struct DerivativeDiagnostics: Sendable, Hashable, CustomStringConvertible {
  /// `‖F(x̂, θ)‖` at the point the derivative was taken.
  public var residualNorm: Double
  /// The linear solves performed (for a full Jacobian, the worst one and the count).
  public var linearSolve: LinearSolveSummary
  /// How many linear systems were solved for the derivative (not counting the certificate's).
  public var linearSolveCount: Int
  /// Where forward products came from; ``ForwardProductSource/finiteDifference`` whenever the
  /// condition declares finite-difference derivatives (``OptimalityCondition/derivativeSource``),
  /// whatever kind of derivative this is.
  public var forwardProducts: ForwardProductSource
  /// An estimate of `‖A⁻¹‖` (the largest ratio `‖solution‖ / ‖right-hand side‖` of the solves).
  public var inverseNormEstimate: Double
  /// `‖x̂ − x̃‖`: estimated distance of `x̂` from the exact root (Newton steps from `x̂`).
  public var solutionErrorEstimate: Double
  /// The error bound of the derivative, in the norm of ``derivativeNorm`` (Frobenius for a Jacobian).
  public var jacobianErrorEstimate: Double
  /// The norm of the derivative returned.
  public var derivativeNorm: Double
  /// Where the solution map is not differentiable at `x̂` (empty: no degeneracy known).
  public var degeneracies: [Degeneracy]
  /// The solve of `A y = z` for a random `z` when it failed (`nil`: passed or not run): a right-hand
  /// side in the range of a singular `A` solves fine, a random one does not, so this is how a
  /// singular `A` is detected whatever the solver. Under the ``DerivativePolicy/linearSolveFailure``
  /// policy, like the derivative's own solves.
  public var failedSingularityProbe: LinearSolveSummary?
  /// `false` when a solve (or the singularity probe) did not converge, the error bound exceeds
  /// ``DerivativePolicy/relativeErrorThreshold`` of the derivative, or a degeneracy was found —
  /// each unless its ``DerivativePolicy`` action is ``DerivativePolicy/Action/ignore``.
  public var isReliable: Bool

  /// ``jacobianErrorEstimate`` relative to ``derivativeNorm`` (`∞` for a non-zero bound on a zero derivative).
  public var relativeErrorEstimate: Double {
    derivativeNorm > 0 ? jacobianErrorEstimate / derivativeNorm : (jacobianErrorEstimate == 0 ? 0 : .infinity)
  }

  public var description: String {
    "‖F‖ = \(residualNorm); \(linearSolve)\(linearSolveCount > 1 ? " (worst of \(linearSolveCount))" : ""); "
      + "forward products: \(forwardProducts.rawValue); ‖A⁻¹‖ ≈ \(inverseNormEstimate); "
      + "solution error ≈ \(solutionErrorEstimate); Jacobian error ≤ \(jacobianErrorEstimate) "
      + "(relative \(relativeErrorEstimate))"
      + (degeneracies.isEmpty ? "" : "; " + degeneracies.map(\.description).joined(separator: "; "))
      + (failedSingularityProbe.map { "; singular or too ill-conditioned A (\($0))" } ?? "")
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

extension Derivative: Sendable where Value: Sendable {}

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

/// What the differentiator does about each way a derivative can be untrustworthy. The throwing
/// ``ImplicitDifferentiator`` throws; an ``ImplicitFunction``'s pullback, which cannot throw,
/// reports the error to ``ImplicitOptions/onDiagnostics`` and returns NaN.
///
/// ```swift
/// var options = ImplicitOptions()
/// options.policy.inaccuracy = .throwError        // refuse derivatives at unconverged solutions
/// options.policy.relativeErrorThreshold = 1e-6
/// options.policy.degeneracy = .flag               // one-sided derivatives at kinks, flagged
/// ```
public struct DerivativePolicy: Sendable, Hashable {
  /// One response.
  public enum Action: Sendable, Hashable {
    /// Return the derivative; the diagnostics still record what happened.
    case ignore
    /// Return the derivative with ``DerivativeDiagnostics/isReliable`` set to `false`.
    case flag
    /// Throw a typed ``ImplicitError`` (NaN and a reported error in a pullback).
    case throwError
  }

  /// A linear solve that did not converge: ``ImplicitError/linearSolveFailed(_:)`` (default: throw).
  public var linearSolveFailure: Action
  /// An error bound above ``relativeErrorThreshold`` of the derivative (typically: `x̂` is not
  /// converged): ``ImplicitError/inaccurateDerivative(_:)`` (default: flag).
  public var inaccuracy: Action
  /// The largest acceptable ``DerivativeDiagnostics/relativeErrorEstimate`` (default 1e-4).
  public var relativeErrorThreshold: Double
  /// A kink or weakly active constraint at `x̂`: ``ImplicitError/degenerate(_:)`` (default: throw).
  public var degeneracy: Action
  /// Relative margin below which a condition reports a degeneracy (default 1e-9).
  public var degeneracyTolerance: Double
  /// How much work the certificate may cost (default ``Certificate/refined``).
  public var certificate: Certificate

  /// How the error bound of a derivative is obtained.
  public enum Certificate: Sendable, Hashable {
    /// Measured: a solve with a random right-hand side (which exposes a singular `A` that an
    /// iterative solver would otherwise "solve"), up to three Newton steps from `x̂`, and the
    /// derivative recomputed at the refined point. Costs about two extra linear solves, and a
    /// second derivative when `x̂` is not already converged to rounding. Measured on ridge, lasso
    /// and the SVM dual: never below the true error, within 2× of it.
    case refined
    /// Estimated from what the derivative's own solves tell: `‖F(x̂, θ)‖`, the solves' status
    /// and true residual, and Theorem 1 with `‖A⁻¹‖` estimated from those solves. No extra work,
    /// for hypergradient loops at converged solutions; the bound may be low, and a singular `A`
    /// whose right-hand side lies in its range is not detected.
    case estimated
  }

  /// A policy; every argument has a default.
  public init(
    linearSolveFailure: Action = .throwError, inaccuracy: Action = .flag, relativeErrorThreshold: Double = 1e-4,
    degeneracy: Action = .throwError, degeneracyTolerance: Double = 1e-9, certificate: Certificate = .refined
  ) {
    self.linearSolveFailure = linearSolveFailure
    self.inaccuracy = inaccuracy
    self.relativeErrorThreshold = relativeErrorThreshold
    self.degeneracy = degeneracy
    self.degeneracyTolerance = degeneracyTolerance
    self.certificate = certificate
  }

  /// Flags every problem, throws on none: the derivative always comes back, with its certificate.
  public static let flagAll = DerivativePolicy(linearSolveFailure: .flag, inaccuracy: .flag, degeneracy: .flag)
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
  /// Whether to solve through the condition's ``SymmetricReformulation`` when it offers one
  /// (default ``ReformulationChoice/automatic``: an SPD system for CG or Cholesky instead of a
  /// non-symmetric `A`; the summary's method then ends in "on the symmetric reformulation").
  /// ``ReformulationChoice/none`` solves with `A` itself.
  public var reformulation: ReformulationChoice
  /// What failed solves, inaccurate derivatives and degeneracies do.
  public var policy: DerivativePolicy
  /// Called with the outcome of every backward pass of an ``ImplicitFunction`` (a pullback
  /// cannot throw: on failure it returns NaN and reports the error here). The throwing
  /// ``ImplicitDifferentiator`` returns diagnostics as values and does not call it.
  public var onDiagnostics: (@Sendable (Result<DerivativeDiagnostics, any Error>) -> Void)?

  /// Options; every argument has a default.
  public init(
    linearSolver: any LinearSolver = AutomaticLinearSolver(), ridge: Double = 0,
    reformulation: ReformulationChoice = .automatic, policy: DerivativePolicy = DerivativePolicy(),
    onDiagnostics: (@Sendable (Result<DerivativeDiagnostics, any Error>) -> Void)? = nil
  ) {
    self.linearSolver = linearSolver
    self.ridge = ridge
    self.reformulation = reformulation
    self.policy = policy
    self.onDiagnostics = onDiagnostics
  }
}
