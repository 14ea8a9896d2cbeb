import ImplicitCore
import ImplicitProjections

/// The reference-case families whose solution `x*` minimises a smooth objective over a
/// projection-friendly set: `nonnegative-least-squares`, `simplex-least-squares`, `box-qp`.
///
/// Each is solved with ``FISTA`` plus a semismooth Newton polish
/// (``ProjectedGradientCase``) to a tight tolerance and differentiated through
/// ``ProximalGradientCondition`` with ``ProjectionProximal`` re-parametrised by the case's packed parameters
/// (``PackedProjectedGradientCondition``): the objective reads its differentiated inputs (`A`,
/// `b`, `Q`, `c`) from the pack, the projection's parameters (`simplex_value`, `lower`, `upper`)
/// come from the pack when differentiated and from the data otherwise.
enum ConstrainedProblemFamilies {
  static let nonnegativeLeastSquares = ConditionFamily(
    name: "nonnegative-least-squares",
    formula: "F(x, θ) = max(x − η Aᵀ(Ax − b), 0) − x   (x* = argmin_{x ≥ 0} ½‖Ax − b‖²)",
    assumptions: [
      "A restricted to the free coordinates {x* > 0} has full column rank",
      "strict complementarity: every coordinate at 0 has a positive gradient",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try nonnegativeLeastSquaresProblem(c).instance() },
    evaluate: { c in try nonnegativeLeastSquaresProblem(c).evaluation(c, output: "x") })

  static let simplexLeastSquares = ConditionFamily(
    name: "simplex-least-squares",
    formula: "F(x, θ) = P_Δ(x − η Aᵀ(Ax − b), s) − x   (x* = argmin_{x ≥ 0, Σx = s} ½‖Ax − b‖²)",
    assumptions: [
      "A is injective on {v : Σ_S v = 0, v = 0 off the support S of x*}",
      "strict complementarity on the simplex; s = simplex_value > 0 (default 1)",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try simplexLeastSquaresProblem(c).instance() },
    evaluate: { c in try simplexLeastSquaresProblem(c).evaluation(c, output: "x") })

  static let boxQP = ConditionFamily(
    name: "box-qp",
    formula: "F(x, θ) = clip(x − η(½(Q + Qᵀ)x + c), lower, upper) − x   (x* = argmin_{lower ≤ x ≤ upper} ½xᵀQx + cᵀx)",
    assumptions: [
      "Q positive semidefinite, positive definite on the free coordinates",
      "strict complementarity at the bounds; lower ≤ upper",
    ],
    module: "ImplicitProjectedGradient",
    makeInstance: { c in try boxQPProblem(c).instance() },
    evaluate: { c in try boxQPProblem(c).evaluation(c, output: "x") })

  // MARK: - Problems from cases

  static func nonnegativeLeastSquaresProblem(
    _ c: ReferenceCase
  ) throws -> ProjectedGradientCase<PackedLeastSquares, NonNegativeProjection> {
    try CaseSupport.requireParameters(c, allowed: ["A", "b"])
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let pack = ParameterPack(c)
    return try ProjectedGradientCase(
      objective: PackedLeastSquares(A: A, b: b, reader: PackedReader(pack)), projection: NonNegativeProjection(),
      pack: pack, projectionParameter: Vector<Double>([]), slots: [], start: Vector.zeros(A.columns),
      lipschitz: A.squaredSpectralNorm())
  }

  static func simplexLeastSquaresProblem(
    _ c: ReferenceCase
  ) throws -> ProjectedGradientCase<PackedLeastSquares, SimplexProjection> {
    try CaseSupport.requireParameters(c, allowed: ["A", "b", "simplex_value"])
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let s = c.input("simplex_value") == nil ? 1 : try c.scalar("simplex_value")
    guard s > 0 else {
      throw CaseFormatError(file: c.file, field: "simplex_value", message: "must be positive, got \(s)")
    }
    let pack = ParameterPack(c)
    let n = A.columns
    return try ProjectedGradientCase(
      objective: PackedLeastSquares(A: A, b: b, reader: PackedReader(pack)), projection: SimplexProjection(),
      pack: pack, projectionParameter: s, slots: [ProjectionParameterSlot(name: "simplex_value", offset: 0, count: 1)],
      start: Vector(repeating: s / Double(max(n, 1)), count: n), lipschitz: A.squaredSpectralNorm())
  }

  static func boxQPProblem(_ c: ReferenceCase) throws -> ProjectedGradientCase<PackedQuadratic, BoxProjection> {
    try CaseSupport.requireParameters(c, allowed: ["Q", "c", "lower", "upper"])
    let Q = try c.matrix("Q")
    guard Q.rows == Q.columns else {
      throw CaseFormatError(file: c.file, field: "Q", message: "must be square, got \(Q.rows)×\(Q.columns)")
    }
    let n = Q.rows
    let linear = try c.vector("c", count: n)
    let bounds = BoxBounds(
      lower: try CaseSupport.broadcastVector(c, "lower", count: n),
      upper: try CaseSupport.broadcastVector(c, "upper", count: n))
    let pack = ParameterPack(c)
    // L = λmax(½(Q + Qᵀ)), the Lipschitz constant of the gradient (power iteration; the solver
    // backtracks if the estimate is low).
    let symmetricPart = LinearOperator(template: Vector<Double>.zeros(n), structure: .symmetric) { v in
      0.5 * (Q * v + Q.transposedTimes(v))
    }
    return try ProjectedGradientCase(
      objective: PackedQuadratic(Q: Q, c: linear, reader: PackedReader(pack)), projection: BoxProjection(), pack: pack,
      projectionParameter: bounds,
      slots: [
        ProjectionParameterSlot(name: "lower", offset: 0, count: n),
        ProjectionParameterSlot(name: "upper", offset: n, count: n),
      ],
      start: BoxProjection().project(Vector.zeros(n), bounds), lipschitz: symmetricPart.largestEigenvalue())
  }
}
