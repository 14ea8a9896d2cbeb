public import ImplicitCore
import _Differentiation

/// The KKT conditions of the quadratic program `min ½xᵀQx + cᵀx s.t. Ex = d, Gx ≤ h`
/// (a ``QuadraticProgram``), over `z = (x, ν, λ)` and with the whole program as the parameter:
///
///     F(z, θ) = ( ½(Q + Qᵀ)x + c + Eᵀν + Gᵀλ ,  Ex − d ,  λ ∘ (Gx − h) )
///
/// (Lagrangian `½xᵀQx + cᵀx + νᵀ(Ex − d) + λᵀ(Gx − h)`, `λ ≥ 0`).
///
///     A = ∂F/∂z = [ Q_s    Eᵀ   Gᵀ        ]      Q_s = ½(Q + Qᵀ)
///                 [ E      0    0         ]
///                 [ Λ G    0    diag(Gx−h) ]     Λ = diag(λ)
///
/// `A` is invertible when `E` and the active rows of `G` are linearly independent (LICQ),
/// every active constraint has `λᵢ > 0` (strict complementarity) and `Q_s` is positive definite
/// on the null space of the active constraints: an inactive row reads `(Gx − h)ᵢ dλᵢ = 0` with
/// `(Gx − h)ᵢ < 0`, so `dλᵢ = 0`, and an active row reads `λᵢ G_i dx = …` with `λᵢ > 0`, so the
/// constraint stays active; what remains is the equality-constrained KKT matrix of the active
/// set. Unlike a BoxOSQP-style splitting (where the reference needed a min-norm least-squares
/// solve), this system is square and non-singular under those assumptions, and dense LU solves it.
/// A weakly active constraint (`λᵢ = 0 = (Gx − h)ᵢ`) makes its row zero: see
/// ``ComplementarityMask`` and ``QuadraticProgramSolution/weaklyActiveConstraints(tolerance:)``.
///
/// `F` is written with differentiable matrix operations (no gradient of a user function
/// appears), so the compiler's AD gives `Aᵀu` and `Bᵀu`; `A v` and `B t` are written by hand.
///
/// ```swift
/// let solution = try ActiveSetQPSolver().solve(program).converged()
/// // A weakly active constraint throws ImplicitError.degenerate, naming it.
/// let j = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobian(at: solution.point, program)
/// // j.matrix: rows x, ν, λ; columns Q, c, E, d, G, h (row-major), as QuadraticProgram orders them
/// ```
public struct QuadraticProgramKKTCondition: OptimalityCondition, Sendable {
  /// Complementarity rows linearised as inactive (default: none).
  public var mask: ComplementarityMask

  /// The condition, with the complementarity rows of `mask` linearised as inactive.
  public init(mask: ComplementarityMask = ComplementarityMask()) { self.mask = mask }

  @differentiable(reverse)
  public func callAsFunction(_ z: KKTSolution, _ program: QuadraticProgram) -> KKTSolution {
    let x = z.primal
    var stationarity = 0.5 * (program.Q * x + program.Q.transposedTimes(x)) + program.c
    var equality = Vector<Double>([])
    var inequality = Vector<Double>([])
    if z.equality.count > 0 {
      stationarity = stationarity + program.E.transposedTimes(z.equality)
      equality = program.E * x - program.d
    }
    if z.inequality.count > 0 {
      stationarity = stationarity + program.G.transposedTimes(z.inequality)
      // Constants of the mask: no derivative flows through them.
      let keep = withoutDerivative(at: mask.weights(count: z.inequality.count).keep)
      let drop = withoutDerivative(at: mask.weights(count: z.inequality.count).drop)
      inequality = z.inequality * (keep * (program.G * x - program.h) + drop)
    }
    return KKTSolution(primal: stationarity, equality: equality, inequality: inequality)
  }

  /// Throws unless the program is valid and `z` has one entry per variable and per constraint.
  public func validate(_ z: KKTSolution, _ program: QuadraticProgram) throws {
    try program.validate()
    try ImplicitError.checkDimension("x (one entry per variable)", z.primal.count, expected: program.variableCount)
    try ImplicitError.checkDimension(
      "ν (one per equality constraint)", z.equality.count, expected: program.equalityCount)
    try ImplicitError.checkDimension(
      "λ (one per inequality constraint)", z.inequality.count, expected: program.inequalityCount)
  }

  /// The weakly active inequality constraints (not masked): `λᵢ ≤ tolerance·max(1, ‖λ‖∞)` and
  /// `|(Gx − h)ᵢ| ≤ tolerance·max(1, ‖Gx‖∞, ‖h‖∞)`. Their rows of `A` vanish.
  public func degeneracies(at z: KKTSolution, _ program: QuadraticProgram, tolerance: Double) -> [Degeneracy] {
    guard z.inequality.count > 0, z.inequality.count == program.inequalityCount else { return [] }
    let weak = QuadraticProgramSolution(program: program, point: z, activeSet: [])
      .weaklyActiveConstraints(tolerance: tolerance).filter { !mask.inactive.contains($0) }
    return weak.isEmpty ? [] : [Degeneracy(.weaklyActiveConstraint, indices: weak)]
  }

  /// `A v`.
  public func solutionJacobianProduct(_ v: KKTSolution, at z: KKTSolution, _ program: QuadraticProgram) -> KKTSolution?
  {
    let v = v.materialized(like: z)
    let x = z.primal
    var stationarity = 0.5 * (program.Q * v.primal + program.Q.transposedTimes(v.primal))
    var equality = Vector<Double>([])
    var inequality = Vector<Double>([])
    if z.equality.count > 0 {
      stationarity = stationarity + program.E.transposedTimes(v.equality)
      equality = program.E * v.primal
    }
    if z.inequality.count > 0 {
      stationarity = stationarity + program.G.transposedTimes(v.inequality)
      let (keep, drop) = mask.weights(count: z.inequality.count)
      let slack = program.G * x - program.h
      inequality = keep * z.inequality * (program.G * v.primal) + (keep * slack + drop) * v.inequality
    }
    return KKTSolution(primal: stationarity, equality: equality, inequality: inequality)
  }

  /// `B t` for a tangent `t` of the program's data.
  public func parameterJacobianProduct(_ t: QuadraticProgram, at z: KKTSolution, _ program: QuadraticProgram)
    -> KKTSolution?
  {
    let x = z.primal, n = x.count, p = z.equality.count, m = z.inequality.count
    var stationarity = t.c.isSymbolicZero ? Vector.zeros(n) : t.c
    if !t.Q.isEmpty { stationarity = stationarity + 0.5 * (t.Q * x + t.Q.transposedTimes(x)) }
    var equality = Vector<Double>([])
    var inequality = Vector<Double>([])
    if p > 0 {
      equality = t.d.isSymbolicZero ? Vector.zeros(p) : -t.d
      if !t.E.isEmpty {
        stationarity = stationarity + t.E.transposedTimes(z.equality)
        equality = equality + t.E * x
      }
    }
    if m > 0 {
      var slackDot = t.h.isSymbolicZero ? Vector.zeros(m) : -t.h
      if !t.G.isEmpty {
        stationarity = stationarity + t.G.transposedTimes(z.inequality)
        slackDot = slackDot + t.G * x
      }
      inequality = mask.weights(count: m).keep * z.inequality * slackDot
    }
    return KKTSolution(primal: stationarity, equality: equality, inequality: inequality)
  }
}
