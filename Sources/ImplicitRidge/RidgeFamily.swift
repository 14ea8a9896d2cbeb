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
    makeInstance: makeInstance,
    evaluate: evaluate)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  /// The case's condition, with its differentiated inputs packed into one vector.
  static func packedCondition(_ c: ReferenceCase) throws -> PackedRidgeCondition {
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let theta = try c.array("theta")
    guard theta.count == 1 || theta.count == A.columns else {
      throw CaseFormatError(
        file: c.file, field: "theta", message: "expected a scalar or \(A.columns) entries, got \(theta.count)")
    }
    return PackedRidgeCondition(A: A, b: b, theta: theta.vector, pack: ParameterPack(c))
  }

  @Sendable static func makeInstance(_ c: ReferenceCase) throws -> any RunnableInstance {
    let condition = try packedCondition(c)
    return Instance(condition: condition, parameter: condition.pack.packed) { p, _ in try condition.solve(p) }
  }

  @Sendable static func evaluate(_ c: ReferenceCase) throws -> CaseEvaluation {
    let condition = try packedCondition(c)
    let pack = condition.pack
    let x = try condition.solve(pack.packed)
    let jacobian = try ImplicitDifferentiator(condition).jacobian(at: x, pack.packed)
    return CaseEvaluation(
      outputs: ["x": pack.output(NDArray(x), jacobian: jacobian.matrix)],
      notes: ["solver: dense Cholesky", "implicit: \(jacobian.assembly); \(jacobian.diagnostics)"])
  }
}

/// Ridge with its differentiated inputs packed into one vector (see ``ParameterPack``).
struct PackedRidgeCondition: OptimalityCondition {
  let A: Matrix<Double>
  let b: Vector<Double>
  let theta: Vector<Double>
  let pack: ParameterPack

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> {
    let a = pack.matrix("A", in: p, else: A)
    let target = pack.vector("b", in: p, else: b)
    let strength = pack.vector("theta", in: p, else: theta)
    let gradient = a.transposedTimes(a * x - target)
    if strength.count == 1 { return gradient + strength.sum() * x }
    return gradient + strength * x
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  /// The exact solution at packed parameters `p` (dense Cholesky).
  func solve(_ p: Vector<Double>) throws -> Vector<Double> {
    let a = pack.matrix("A", in: p, else: A)
    let strength = pack.vector("theta", in: p, else: theta)
    let penalty = strength.count == 1 ? Vector(repeating: strength[0], count: a.columns) : strength
    return try solveRidge(A: a, b: pack.vector("b", in: p, else: b), penalty: penalty)
  }
}
