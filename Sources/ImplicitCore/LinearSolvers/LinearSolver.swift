/// A method for square linear systems `A x = b`, open to third parties (lineax-style).
///
/// A solver is a small value holding its settings. ``prepare(_:preconditioner:)`` does the
/// per-operator work once (a dense solver factorises there) and returns a
/// ``PreparedLinearSolver`` that solves `A x = b` and `Aᵀ y = c` for any number of right-hand
/// sides. The prepared solver, not the method, computes the reported residual from scratch and
/// decides the final status, so every conformer meets the same contract: a `.converged` status
/// means a small *true* residual.
///
/// ```swift
/// let result = ConjugateGradient(relativeTolerance: 1e-8).solve(operator, rhs)
/// guard result.isConverged else { … }   // status, iterations and true residual are always there
/// ```
///
/// The library's conformers: ``ConjugateGradient``, ``GMRES``, ``BiCGSTAB``,
/// ``NormalConjugateGradient``, ``DenseLU``, ``DenseCholesky``, ``DenseQR`` and the selector
/// ``AutomaticLinearSolver``.
public protocol LinearSolver: Sendable, CustomStringConvertible {
  /// When to stop, and what the true residual is judged against.
  var tolerance: LinearSolverTolerance { get set }
  /// The products of `A` that ``PreparedLinearSolver/solve(_:initialGuess:)`` applies;
  /// ``PreparedLinearSolver/solveTransposed(_:initialGuess:)`` applies their transposes.
  var products: OperatorProducts { get }
  /// Whether the solver returns a chosen solution (e.g. of minimum norm) of a singular system
  /// on purpose: then the differentiator does not refuse a singular `A` (default `false`).
  var acceptsSingularSystems: Bool { get }
  /// The concrete solver used for `rightHandSides` solves with an operator of this dimension
  /// and structure (a selector resolves here; every other solver returns itself).
  func resolved(dimension: Int, structure: LinearStructure, rightHandSides: Int) -> any LinearSolver
  /// Does the per-operator work once (factorisation, checks) for many solves with `a`.
  func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V>
}

extension LinearSolver {
  public var acceptsSingularSystems: Bool { false }

  /// A concrete solver resolves to itself.
  public func resolved(dimension: Int, structure: LinearStructure, rightHandSides: Int) -> any LinearSolver { self }

  /// Solves `A x = b` once. Never traps and never returns an unflagged wrong answer: check
  /// ``LinearSolveResult/status``.
  public func solve<V: InnerProductSpace>(
    _ a: LinearOperator<V>, _ b: V, preconditioner: Preconditioner<V>? = nil, initialGuess: V? = nil
  ) -> LinearSolveResult<V> {
    prepare(a, preconditioner: preconditioner).solve(b, initialGuess: initialGuess)
  }
}

/// A Krylov method configured by its stopping rule alone (``ConjugateGradient``,
/// ``NormalConjugateGradient``, ``BiCGSTAB``), which gives each the same convenience initialiser.
public protocol IterativeLinearSolver: LinearSolver {
  /// The method with the given stopping rule.
  init(tolerance: LinearSolverTolerance)
}

extension IterativeLinearSolver {
  /// The method stopping at `‖b − A x‖ ≤ max(relativeTolerance·‖b‖, absoluteTolerance)`, within
  /// `maxIterations` (default `max(2n, 50)`).
  public init(relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0, maxIterations: Int? = nil) {
    self.init(
      tolerance: LinearSolverTolerance(
        relative: relativeTolerance, absolute: absoluteTolerance, maxIterations: maxIterations))
  }
}

/// Which products of an operator a solver applies.
public struct OperatorProducts: OptionSet, Sendable, Hashable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// `v ↦ A v`.
  public static let forward = OperatorProducts(rawValue: 1)
  /// `v ↦ Aᵀ v`.
  public static let transposed = OperatorProducts(rawValue: 2)
  /// The dense matrix of `A` (``LinearOperator/matrix``, else built from `A v` products).
  public static let matrix = OperatorProducts(rawValue: 4)
}

/// Stopping rule and iteration budget of a linear solve.
public struct LinearSolverTolerance: Sendable, Hashable {
  /// Stop when `‖b − A x‖ ≤ max(relative·‖b‖, absolute)`.
  public var relative: Double
  /// See ``relative``.
  public var absolute: Double
  /// Iteration budget; `nil` picks `max(2n, 50)` (capped at 20 000).
  public var maxIterations: Int?

  /// A stopping rule; both tolerances must be finite and non-negative, and one positive.
  public init(relative: Double = 1e-10, absolute: Double = 0, maxIterations: Int? = nil) {
    self.relative = relative
    self.absolute = absolute
    self.maxIterations = maxIterations
  }

  /// The residual norm below which a solve counts as converged.
  public func target(rightHandSideNorm: Double) -> Double { max(relative * rightHandSideNorm, absolute) }

  /// The iteration budget for dimension `n`.
  public func budget(dimension n: Int) -> Int { maxIterations ?? min(max(2 * n, 50), 20_000) }

  /// Why these settings cannot stop a solve honestly, or `nil` when they can. A NaN or
  /// negative tolerance would make every comparison false (a NaN target "converges" at once).
  public var invalidity: String? {
    if !relative.isFinite || relative < 0 { return "relative tolerance \(relative) must be finite and ≥ 0" }
    if !absolute.isFinite || absolute < 0 { return "absolute tolerance \(absolute) must be finite and ≥ 0" }
    if relative == 0 && absolute == 0 { return "relative and absolute tolerance are both 0" }
    if let m = maxIterations, m < 0 { return "maxIterations \(m) must be ≥ 0" }
    return nil
  }
}

/// What a method's core returns before the library checks it: the iterate, how the method
/// thinks it ended, and the work done.
public struct RawLinearSolve<V> {
  /// The computed solution (or last iterate).
  public var solution: V
  /// The method's own verdict; the true residual may overrule a `.converged`.
  public var status: LinearSolveStatus
  /// Iterations (1 for a direct solve).
  public var iterations: Int

  /// A method's raw outcome.
  public init(_ solution: V, _ status: LinearSolveStatus, iterations: Int) {
    self.solution = solution
    self.status = status
    self.iterations = iterations
  }
}

/// A solver prepared for one operator: solve `A x = b` and `Aᵀ y = c` for many right-hand sides.
///
/// Conformers of ``LinearSolver`` build one from their two raw solves; the wrapper checks the
/// inputs, recomputes the true residual and decides the final status.
public struct PreparedLinearSolver<V: InnerProductSpace> {
  /// The operator `A`.
  public let linearOperator: LinearOperator<V>
  /// The method's name, for summaries.
  public let method: String
  /// The stopping rule the true residual is judged against.
  public let tolerance: LinearSolverTolerance
  /// Whether the method is direct: a direct solve whose residual misses the tolerance is `.singular`.
  public let isDirect: Bool
  let rawSolve: (V, V?) -> RawLinearSolve<V>
  let rawSolveTransposed: (V, V?) -> RawLinearSolve<V>

  /// A prepared solver from its raw solves (`b, initialGuess ↦ raw outcome`).
  public init(
    linearOperator: LinearOperator<V>, method: String, tolerance: LinearSolverTolerance, isDirect: Bool = false,
    solve: @escaping (V, V?) -> RawLinearSolve<V>, solveTransposed: @escaping (V, V?) -> RawLinearSolve<V>
  ) {
    self.linearOperator = linearOperator
    self.method = method
    self.tolerance = tolerance
    self.isDirect = isDirect
    self.rawSolve = solve
    self.rawSolveTransposed = solveTransposed
  }

  /// Solves `A x = b`.
  public func solve(_ b: V, initialGuess: V? = nil) -> LinearSolveResult<V> {
    run(b, initialGuess, rawSolve, residualOf: linearOperator.apply)
  }

  /// Solves `Aᵀ y = c`.
  public func solveTransposed(_ c: V, initialGuess: V? = nil) -> LinearSolveResult<V> {
    guard let at = linearOperator.transposed?.apply else {
      return result(c.zeroLike, .unsupported("Aᵀ is not available"), 0, .nan, c.norm)
    }
    return run(c, initialGuess, rawSolveTransposed, residualOf: at)
  }

  func result(_ x: V, _ s: LinearSolveStatus, _ k: Int, _ r: Double, _ bNorm: Double) -> LinearSolveResult<V> {
    LinearSolveResult(
      solution: x, status: s, iterations: k, residualNorm: r, rightHandSideNorm: bNorm, method: method)
  }

  func run(
    _ b: V, _ guess: V?, _ raw: (V, V?) -> RawLinearSolve<V>, residualOf apply: (V) -> V
  ) -> LinearSolveResult<V> {
    let bNorm = b.norm
    if let why = tolerance.invalidity { return result(b.zeroLike, .invalidTolerance(why), 0, .nan, bNorm) }
    // A right-hand side of the wrong length would trap in the operator's algebra.
    let n = linearOperator.template.dimension
    guard b.dimension == n else {
      return result(b.zeroLike, .dimensionMismatch(expected: n, actual: b.dimension), 0, .nan, bNorm)
    }
    if let guess, guess.dimension != n {
      return result(b.zeroLike, .dimensionMismatch(expected: n, actual: guess.dimension), 0, .nan, bNorm)
    }
    guard b.isFinite else { return result(b.zeroLike, .nonFiniteInput, 0, .nan, bNorm) }
    if bNorm == 0 { return result(b.zeroLike, .converged, 0, 0, 0) }
    let out = raw(b, guess)
    var status = out.status
    var residual = Double.nan
    if !out.solution.isFinite {
      if status == .converged || status == .maxIterationsReached { status = .nonFiniteOutput }
    } else if out.solution.dimension == b.dimension {
      var r = b
      r.addScaled(-1, apply(out.solution))
      residual = r.norm
      if !residual.isFinite {
        status = .nonFiniteInput
      } else if status == .converged && residual > 10 * tolerance.target(rightHandSideNorm: bNorm) {
        // The method claimed convergence the true residual does not confirm.
        status = isDirect ? .singular : .breakdown("true residual \(residual) above tolerance")
      }
    }
    return result(out.solution, status, out.iterations, residual, bNorm)
  }
}

/// Prepares an iterative method: it needs no set-up, and the transposed system runs the same
/// method on `Aᵀ` with the transposed preconditioner.
func iterativePreparation<V: InnerProductSpace>(
  _ a: LinearOperator<V>, _ m: Preconditioner<V>?, method: String, tolerance: LinearSolverTolerance,
  _ iterate: @escaping (LinearOperator<V>, V, Preconditioner<V>?, V?) -> RawLinearSolve<V>
) -> PreparedLinearSolver<V> {
  let at = a.transposed
  return PreparedLinearSolver(
    linearOperator: a, method: method, tolerance: tolerance,
    solve: { b, guess in iterate(a, b, m, guess) },
    solveTransposed: { c, guess in
      guard let at else { return RawLinearSolve(c.zeroLike, .unsupported("Aᵀ is not available"), iterations: 0) }
      return iterate(at, c, m?.transposed, guess)
    })
}

/// Picks a method from the operator's structure and the work asked of it: a dense factorisation
/// (Cholesky when SPD, else LU) when it is cheaper, else CG when SPD, else restarted GMRES.
///
/// Materialising `A` costs `n` operator products; a Krylov solve is assumed to cost about
/// ``productsPerKrylovSolve``. So for `r` right-hand sides the selector factorises when
/// `n ≤ denseThreshold` (the size a dense factorisation may reach) and
/// `n ≤ r · productsPerKrylovSolve`: a single hypergradient of a 600-unknown problem iterates,
/// the full Jacobian of the same problem factorises once. A factorisation also gives an exact
/// derivative when the condition has no exact forward product.
public struct AutomaticLinearSolver: LinearSolver {
  /// The largest dimension at which the matrix is materialised and factorised.
  public static let defaultDenseThreshold = 1000
  /// The assumed cost of one Krylov solve, in operator products (see the type's documentation).
  public static let productsPerKrylovSolve = 50

  /// Stopping rule handed to the chosen method.
  public var tolerance: LinearSolverTolerance
  /// Dimension at or below which a dense factorisation is used.
  public var denseThreshold: Int

  /// The structure-driven selector.
  public init(
    relativeTolerance: Double = 1e-10, absoluteTolerance: Double = 0, maxIterations: Int? = nil,
    denseThreshold: Int = AutomaticLinearSolver.defaultDenseThreshold
  ) {
    tolerance = LinearSolverTolerance(
      relative: relativeTolerance, absolute: absoluteTolerance, maxIterations: maxIterations)
    self.denseThreshold = denseThreshold
  }

  public var description: String { "automatic" }

  /// The union of what the candidates may use; ask ``resolved(dimension:structure:rightHandSides:)`` for one operator.
  public var products: OperatorProducts { [.forward, .matrix] }

  /// Dense Cholesky / LU when `n ≤ denseThreshold` and `n ≤ rightHandSides · productsPerKrylovSolve`;
  /// else CG (SPD) or GMRES(50).
  public func resolved(dimension n: Int, structure: LinearStructure, rightHandSides: Int) -> any LinearSolver {
    let spd = structure.isSuperset(of: .symmetricPositiveDefinite)
    if n <= denseThreshold && n <= max(1, rightHandSides) * Self.productsPerKrylovSolve {
      return spd ? DenseCholesky(tolerance: tolerance) as any LinearSolver : DenseLU(tolerance: tolerance)
    }
    return spd ? ConjugateGradient(tolerance: tolerance) as any LinearSolver : GMRES(restart: 50, tolerance: tolerance)
  }

  /// Prepares the method chosen for `a`.
  public func prepare<V: InnerProductSpace>(
    _ a: LinearOperator<V>, preconditioner: Preconditioner<V>?
  ) -> PreparedLinearSolver<V> {
    resolved(dimension: a.dimension, structure: a.structure, rightHandSides: 1).prepare(
      a, preconditioner: preconditioner)
  }
}
