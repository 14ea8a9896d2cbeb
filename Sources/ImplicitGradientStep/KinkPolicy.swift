public import ImplicitCore

/// What ``ProximalGradientCondition/implicitJacobian(at:_:options:kinkTolerance:onKink:)`` does
/// when the prox input sits on a kink of the prox (a zero-width margin: for the lasso, a
/// coordinate with `xᵢ = 0` and `|∇ᵢf| = λ` exactly, or `xᵢ ≠ 0` but vanishingly small).
///
/// There the solution map is only directionally differentiable: perturbing `θ` one way keeps the
/// coordinate at zero, the other way lets it enter the support, and the two one-sided
/// Jacobians differ. No Jacobian is "the" derivative.
public enum KinkPolicy: Sendable, Hashable {
  /// Throw ``ProximalGradientError/zeroWidthMargin(coordinates:)`` (the default).
  case throwError
  /// Return the one-sided Jacobian of the prox's convention (the kink treated as inactive: for
  /// the lasso, the coordinate held at zero — JAXopt's result), flagged by
  /// ``ProximalGradientJacobian/kinks``.
  case oneSided
}

/// Why a proximal-gradient derivative was refused.
public enum ProximalGradientError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The prox input is on a kink in these coordinates: the derivative is not unique.
  case zeroWidthMargin(coordinates: [Int])

  public var description: String {
    switch self {
    case .zeroWidthMargin(let coordinates):
      "zero-width margin (prox input on a kink) at coordinates \(coordinates): the solution is only "
        + "directionally differentiable there; pass onKink: .oneSided for the one-sided derivative"
    }
  }
}

/// An implicit Jacobian of a proximal-gradient root, with what is known about its uniqueness.
public struct ProximalGradientJacobian: Sendable {
  /// The Jacobian `∂x*/∂θ` and its diagnostics.
  public var result: JacobianResult
  /// Coordinates whose prox input is within the tolerance of a kink (empty: strict complementarity
  /// holds and the derivative is unique, if `A` is invertible).
  public var kinks: [Int]
  /// The ridge of the linear solver (non-zero: the derivative of a regularised system, used when
  /// `A` is singular, i.e. the solution is not unique).
  public var ridge: Double

  /// `∂x*/∂θ`.
  public var matrix: Matrix<Double> { result.matrix }
  /// Whether the Jacobian is one of several one-sided ones, or regularised: not a unique derivative.
  public var isFlagged: Bool { !kinks.isEmpty || ridge != 0 }
}

extension ProximalGradientCondition {
  /// The coordinates whose prox input `z = x − η∇f(x)` lies within
  /// `tolerance·(1 + ‖z‖∞)` of a kink of the prox (empty for a smooth prox).
  public func kinks(at x: Vector<Double>, _ θ: Vector<Double>, tolerance: Double = 1e-9) -> [Int] {
    let z = proxInput(at: x, θ)
    guard let margin = prox.kinkMargin(at: z, splitParameters(θ).prox, scaling: stepSize) else { return [] }
    let scale = 1 + (z.scalars.map(abs).max() ?? 0)
    return margin.scalars.indices.filter { margin[$0] <= tolerance * scale }
  }

  /// The implicit Jacobian `∂x*/∂θ = −A⁻¹B` at the root `x`, through ``ImplicitDifferentiator``,
  /// after checking for zero-width margins (see ``KinkPolicy``).
  ///
  /// When `A` is singular (the minimiser is not unique, e.g. the lasso with duplicated columns on
  /// the support) the solve fails with ``ImplicitError/linearSolveFailed(_:)``. A regularised
  /// derivative is then available with `options.ridge`; for this condition the
  /// ridge should be **negative** (`ImplicitOptions(ridge: -1e-6)`): with `η ≤ 1/L` the
  /// eigenvalues of `A` lie in `[−1, 0]`, so `A − rI` is invertible for every `r > 0`. The result
  /// is flagged by ``ProximalGradientJacobian/ridge``.
  public func implicitJacobian(
    at x: Vector<Double>, _ θ: Vector<Double>, options: ImplicitOptions = ImplicitOptions(),
    kinkTolerance: Double = 1e-9, onKink: KinkPolicy = .throwError
  ) throws -> ProximalGradientJacobian {
    try ImplicitError.checkFinite("the solution x", x)
    try ImplicitError.checkFinite("the parameter θ", θ)
    try validate(x, θ)
    let kinks = kinks(at: x, θ, tolerance: kinkTolerance)
    if !kinks.isEmpty && onKink == .throwError { throw ProximalGradientError.zeroWidthMargin(coordinates: kinks) }
    let result = try ImplicitDifferentiator(self, options: options).jacobian(at: x, θ)
    return ProximalGradientJacobian(result: result, kinks: kinks, ridge: options.ridge)
  }
}
