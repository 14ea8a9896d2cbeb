public import ImplicitCore
import _Differentiation

/// The `ridge` family of reference cases: `x* = argmin ½‖Ax − b‖² + ½θ‖x‖²`, differentiated
/// with respect to any of `A`, `b`, `theta` (`theta` a scalar or one strength per feature).
public enum RidgeFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "ridge",
    formula: "F(x, θ) = Aᵀ(Ax − b) + θ·x   (x* = argmin ½‖Ax − b‖² + ½θ‖x‖²)",
    assumptions: [
      "AᵀA + θI positive definite (θ > 0, or A of full column rank)",
      "theta is a scalar or has one entry per column of A",
    ],
    module: "ImplicitRidge",
    makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  /// Ridge on all its inputs, reparametrised by the case's packed parameters.
  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let A = try c.matrix("A")
    // The reference solve forms AᵀA densely: refuse before allocating columns² doubles.
    guard A.columns <= 4096 else {
      throw c.formatError(
        field: "A", message: "\(A.columns) columns: the dense AᵀA of this family is limited to 4096 columns")
    }
    _ = try c.vector("b", count: A.rows)
    let theta = try c.array("theta")
    guard theta.values.count == 1 || theta.values.count == A.columns else {
      throw c.formatError(
        field: "theta", message: "expected a scalar or \(A.columns) entries, got \(theta.values.count)")
    }
    let layout = try ParameterLayout(c)
    let base = RidgeInputsCondition(rows: A.rows, columns: A.columns, strengths: theta.values.count)
    let condition = Reparametrized(
      base, map: try InputSelection(c, layout: layout, concatenating: ["A", "b", "theta"]))
    return Instance(
      condition: condition, parameter: layout.packed,
      reference: { (try base.solve(condition.map(layout.packed)), ["solver: dense Cholesky"]) }
    ) { p, _ in try base.solve(condition.map(p)) }
  }
}

/// Ridge posed on all its inputs, `θ = [vec(A); b; strength]` (one strength, or one per feature):
/// `F(x, θ) = Aᵀ(Ax − b) + strength·x`.
struct RidgeInputsCondition: OptimalityCondition {
  let rows: Int
  let columns: Int
  let strengths: Int

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let a = θ.slice(from: 0, count: rows * columns).reshaped(rows: rows, columns: columns)
    let target = θ.slice(from: rows * columns, count: rows)
    let strength = θ.slice(from: rows * columns + rows, count: strengths)
    let gradient = a.transposedTimes(a * x - target)
    if strengths == 1 { return gradient + strength.sum() * x }
    return gradient + strength * x
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("θ = [A; b; theta]", θ.count, expected: rows * columns + rows + strengths)
    try ImplicitError.checkDimension("x (one entry per column of A)", x.count, expected: columns)
  }

  /// The exact solution at `θ` (dense Cholesky).
  func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    let a = Matrix(rows: rows, columns: columns, scalars: Array(θ.scalars[0..<(rows * columns)]))
    let b = Vector(Array(θ.scalars[(rows * columns)..<(rows * columns + rows)]))
    let strength = Array(θ.scalars[(rows * columns + rows)...])
    let penalty = strengths == 1 ? Vector(repeating: strength[0], count: columns) : Vector(strength)
    return try solveRidge(A: a, b: b, penalty: penalty)
  }
}
