/// Which algorithm solves `(A + ridge·I) x = b`.
public enum LinearSolverMethod: Sendable, Hashable, CustomStringConvertible {
  /// Follow the operator's structure: SPD → CG; small (≤ ``LinearSolver/denseThreshold``) → dense LU;
  /// otherwise restarted GMRES.
  case automatic
  /// Conjugate gradient: `A` symmetric positive definite.
  case conjugateGradient
  /// Restarted GMRES with the given restart length (clamped to the dimension).
  case gmres(restart: Int)
  /// BiCGSTAB: general `A`, short recurrences, may break down (reported).
  case bicgstab
  /// CG on the normal equations `AᵀA x = Aᵀb`: any non-singular `A`; needs `Aᵀ`.
  case normalConjugateGradient
  /// Dense LU with partial pivoting on the materialised operator.
  case denseLU
  /// Dense Cholesky on the materialised operator: `A` SPD.
  case denseCholesky
  /// Dense Householder QR on the materialised operator: robust for ill-conditioned `A`.
  case denseQR

  public var description: String {
    switch self {
    case .automatic: "automatic"
    case .conjugateGradient: "cg"
    case .gmres(let m): "gmres(\(m))"
    case .bicgstab: "bicgstab"
    case .normalConjugateGradient: "normal-cg"
    case .denseLU: "dense-lu"
    case .denseCholesky: "dense-cholesky"
    case .denseQR: "dense-qr"
    }
  }

  /// Whether the method factorises a materialised matrix.
  public var isDense: Bool {
    switch self {
    case .denseLU, .denseCholesky, .denseQR: true
    default: false
    }
  }
}

/// A linear solver: a method plus its tolerances, iteration budget and ridge.
///
/// ```swift
/// let solver = LinearSolver(.conjugateGradient, relativeTolerance: 1e-8)
/// let result = solver.solve(operator, rhs)
/// guard result.isConverged else { … }   // status, iterations and residual are always there
/// ```
public struct LinearSolver: Sendable, Hashable {
  /// Dimension up to which `.automatic` factorises a dense matrix instead of iterating.
  public static let denseThreshold = 64

  /// The algorithm.
  public var method: LinearSolverMethod
  /// Stop when `‖b − A x‖ ≤ max(relativeTolerance·‖b‖, absoluteTolerance)`.
  public var relativeTolerance: Double
  /// See ``relativeTolerance``.
  public var absoluteTolerance: Double
  /// Iteration budget; `nil` picks `max(2n, 50)` (capped at 20 000).
  public var maxIterations: Int?
  /// Solve `(A + ridge·I) x = b` instead: regularises singular or indefinite systems.
  public var ridge: Double

  public init(
    _ method: LinearSolverMethod = .automatic, relativeTolerance: Double = 1e-10,
    absoluteTolerance: Double = 0, maxIterations: Int? = nil, ridge: Double = 0
  ) {
    self.method = method
    self.relativeTolerance = relativeTolerance
    self.absoluteTolerance = absoluteTolerance
    self.maxIterations = maxIterations
    self.ridge = ridge
  }

  /// The default: structure-driven choice at a tight tolerance.
  public static let automatic = LinearSolver()

  /// The method `.automatic` resolves to for an operator of this dimension and structure.
  public func resolvedMethod(dimension n: Int, structure: LinearStructure) -> LinearSolverMethod {
    guard method == .automatic else { return method }
    let spd = structure.isSuperset(of: .symmetricPositiveDefinite) && ridge >= 0
    if n <= LinearSolver.denseThreshold { return spd ? .denseCholesky : .denseLU }
    return spd ? .conjugateGradient : .gmres(restart: 50)
  }

  /// The iteration budget for dimension `n`.
  public func iterationBudget(dimension n: Int) -> Int { maxIterations ?? min(max(2 * n, 50), 20_000) }

  /// The residual norm below which the solve counts as converged.
  public func targetResidual(rightHandSideNorm: Double) -> Double {
    max(relativeTolerance * rightHandSideNorm, absoluteTolerance)
  }

  /// Solves `(A + ridge·I) x = b`. Never traps and never returns an unflagged wrong answer:
  /// check ``LinearSolveResult/status``.
  public func solve<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, preconditioner: Preconditioner<V>? = nil, initialGuess: V? = nil
  ) -> LinearSolveResult<V> {
    let op = a.shifted(by: ridge)
    let bNorm = b.norm
    let method = resolvedMethod(dimension: op.dimension, structure: op.structure)
    guard b.isFinite else {
      return LinearSolveResult(
        solution: b.zeroLike, status: .nonFiniteInput, iterations: 0, residualNorm: .nan,
        rightHandSideNorm: bNorm, method: method.description)
    }
    if bNorm == 0 {
      return LinearSolveResult(
        solution: b.zeroLike, status: .converged, iterations: 0, residualNorm: 0, rightHandSideNorm: 0,
        method: method.description)
    }
    let raw: (solution: V, status: LinearSolveStatus, iterations: Int)
    switch method {
    case .conjugateGradient:
      raw = conjugateGradient(op, b, preconditioner: preconditioner, initialGuess: initialGuess)
    case .gmres(let restart):
      raw = gmres(op, b, restart: restart, preconditioner: preconditioner, initialGuess: initialGuess)
    case .bicgstab:
      raw = bicgstab(op, b, preconditioner: preconditioner, initialGuess: initialGuess)
    case .normalConjugateGradient:
      raw = normalConjugateGradient(op, b, preconditioner: preconditioner, initialGuess: initialGuess)
    case .automatic, .denseLU, .denseCholesky, .denseQR:  // (.automatic never reaches here)
      raw = denseSolve(method, op, b)
    }
    return finish(op, b, bNorm: bNorm, raw, method: method)
  }

  /// Recomputes the true residual and decides the final status.
  func finish<V: InnerProductSpace>(
    _ op: LinearOperator<V>, _ b: V, bNorm: Double,
    _ raw: (solution: V, status: LinearSolveStatus, iterations: Int), method: LinearSolverMethod
  ) -> LinearSolveResult<V> {
    var status = raw.status
    var residual = Double.nan
    if !raw.solution.isFinite {
      if status == .converged || status == .maxIterationsReached { status = .nonFiniteOutput }
    } else if raw.solution.dimension == b.dimension {
      var r = b
      r.addScaled(-1, op.apply(raw.solution))
      residual = r.norm
      if !residual.isFinite {
        status = .nonFiniteInput
      } else if status == .converged && residual > 10 * targetResidual(rightHandSideNorm: bNorm) {
        // The recurrence claimed convergence the true residual does not confirm.
        status = method.isDense ? .singular : .breakdown("true residual \(residual) above tolerance")
      }
    }
    return LinearSolveResult(
      solution: raw.solution, status: status, iterations: raw.iterations, residualNorm: residual,
      rightHandSideNorm: bNorm, method: method.description)
  }
}
