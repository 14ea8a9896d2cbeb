import ImplicitCore
import ImplicitObjectives
import ImplicitProjections

/// The reference-case families whose solution `x*` minimises a smooth objective over a
/// projection-friendly set: `nonnegative-least-squares`, `simplex-least-squares`, `box-qp`.
///
/// Each is solved with ``FISTA`` plus a semismooth Newton polish
/// (``ProjectedGradientCase``) to a tight tolerance and differentiated through
/// ``ProximalGradientCondition`` with ``ProjectionProximal`` on all the inputs (the objective's `A`, `b` or `Q`, `c`, the
/// projection's `simplex_value` or `lower`, `upper`), reparametrised (``Reparametrized``) by the
/// case's packed parameters through ``InputSelection``.
enum ConstrainedProblemFamilies {
  static let nonnegativeLeastSquares = ConditionFamily(
    name: "nonnegative-least-squares",
    formula: "F(x, θ) = max(x − η Aᵀ(Ax − b), 0) − x   (x* = argmin_{x ≥ 0} ½‖Ax − b‖²)",
    assumptions: [
      "A restricted to the free coordinates {x* > 0} has full column rank",
      "strict complementarity: every coordinate at 0 has a positive gradient",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try nonnegativeLeastSquaresProblem(c).instance(c) { [.solution("x", $0)] } })

  static let simplexLeastSquares = ConditionFamily(
    name: "simplex-least-squares",
    formula: "F(x, θ) = P_Δ(x − η Aᵀ(Ax − b), s) − x   (x* = argmin_{x ≥ 0, Σx = s} ½‖Ax − b‖²)",
    assumptions: [
      "A is injective on {v : Σ_S v = 0, v = 0 off the support S of x*}",
      "strict complementarity on the simplex; s = simplex_value > 0 (default 1)",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try simplexLeastSquaresProblem(c).instance(c) { [.solution("x", $0)] } })

  static let boxQP = ConditionFamily(
    name: "box-qp",
    formula: "F(x, θ) = clip(x − η(½(Q + Qᵀ)x + c), lower, upper) − x   (x* = argmin_{lower ≤ x ≤ upper} ½xᵀQx + cᵀx)",
    assumptions: [
      "Q positive semidefinite, positive definite on the free coordinates",
      "strict complementarity at the bounds; lower ≤ upper",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try boxQPProblem(c).instance(c) { [.solution("x", $0)] } })

  // MARK: - Problems from cases

  /// `θ_f = [vec A; b]` of ``DesignLeastSquares`` and its slots.
  static func leastSquares(_ A: Matrix<Double>, _ b: Vector<Double>) -> (Vector<Double>, [InputSelection.Slot]) {
    let mn = A.rows * A.columns
    return (
      Vector(A.scalars + b.scalars),
      [
        InputSelection.Slot(name: "A", offset: 0, count: mn),
        InputSelection.Slot(name: "b", offset: mn, count: b.count),
      ]
    )
  }

  static func nonnegativeLeastSquaresProblem(
    _ c: any CaseData
  ) throws -> ProjectedGradientCase<DesignLeastSquares, NonNegativeProjection> {
    try c.requireParameters(["A", "b"])
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let (θf, slots) = leastSquares(A, b)
    return try ProjectedGradientCase(
      objective: DesignLeastSquares(rows: A.rows, columns: A.columns), objectiveParameter: θf, objectiveSlots: slots,
      projection: NonNegativeProjection(), projectionParameter: Vector<Double>([]), layout: try ParameterLayout(c),
      start: Vector.zeros(A.columns), lipschitz: A.squaredSpectralNorm())
  }

  static func simplexLeastSquaresProblem(
    _ c: any CaseData
  ) throws -> ProjectedGradientCase<DesignLeastSquares, SimplexProjection> {
    try c.requireParameters(["A", "b", "simplex_value"])
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let s = c.input("simplex_value") == nil ? 1 : try c.scalar("simplex_value")
    guard s > 0 else { throw c.formatError(field: "simplex_value", message: "must be positive, got \(s)") }
    let n = A.columns
    let (θf, slots) = leastSquares(A, b)
    return try ProjectedGradientCase(
      objective: DesignLeastSquares(rows: A.rows, columns: A.columns), objectiveParameter: θf, objectiveSlots: slots,
      projection: SimplexProjection(), projectionParameter: s,
      projectionSlots: [InputSelection.Slot(name: "simplex_value", offset: 0, count: 1)],
      layout: try ParameterLayout(c),
      start: Vector(repeating: s / Double(max(n, 1)), count: n), lipschitz: A.squaredSpectralNorm())
  }

  static func boxQPProblem(_ c: any CaseData) throws -> ProjectedGradientCase<QuadraticOnInputs, BoxProjection> {
    try c.requireParameters(["Q", "c", "lower", "upper"])
    let Q = try c.matrix("Q")
    guard Q.rows == Q.columns else {
      throw c.formatError(field: "Q", message: "must be square, got \(Q.rows)×\(Q.columns)")
    }
    let n = Q.rows
    let linear = try c.vector("c", count: n)
    let bounds = BoxBounds(
      lower: try CaseSupport.broadcastVector(c, "lower", count: n),
      upper: try CaseSupport.broadcastVector(c, "upper", count: n))
    // L = λmax(½(Q + Qᵀ)), the Lipschitz constant of the gradient (power iteration; the solver
    // backtracks if the estimate is low).
    let symmetricPart = LinearOperator(template: Vector<Double>.zeros(n), structure: .symmetric) { v in
      0.5 * (Q * v + Q.transposedTimes(v))
    }
    return try ProjectedGradientCase(
      objective: QuadraticOnInputs(n: n), objectiveParameter: Vector(Q.scalars + linear.scalars),
      objectiveSlots: [
        InputSelection.Slot(name: "Q", offset: 0, count: n * n),
        InputSelection.Slot(name: "c", offset: n * n, count: n),
      ],
      projection: BoxProjection(), projectionParameter: bounds,
      projectionSlots: [
        InputSelection.Slot(name: "lower", offset: 0, count: n),
        InputSelection.Slot(name: "upper", offset: n, count: n),
      ],
      layout: try ParameterLayout(c), start: BoxProjection().project(Vector.zeros(n), bounds),
      lipschitz: symmetricPart.largestEigenvalue())
  }
}
