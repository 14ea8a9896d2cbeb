import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal

/// The shared recipe of the `lasso`, `elastic-net` and `elastic-net-jaxopt` reference cases:
/// `argmin_x ½‖Ax − b‖² + g(x, lam)`, with any of `A`, `b`, `lam` under `theta`.
///
/// Solve: FISTA (backtracking, adaptive restart) to a gradient-mapping norm of
/// `1e-12·max(1, ‖Aᵀb‖)`, then semismooth Newton polishing (the direct solve on the detected
/// support), then a check of `‖F(x, θ)‖`. Differentiate: ``ProximalGradientCondition`` with
/// `η = 1/‖A‖₂²` and `θ = [pack; lam]` (the objective reads `A`, `b` from the case's packed
/// parameters, the prox gets `lam`), through ``ImplicitDifferentiator``; the Jacobian with
/// respect to the pack is `J_θf + J_θg·S` with `S` selecting `lam` in the pack.
enum PenalizedLeastSquaresCase {
  static let parameters: Set<String> = ["A", "b", "lam"]

  /// The case's condition and its parameter `θ = [pack; lam]`.
  struct Setup<Prox: ProximalOperator> where Prox.Parameter == Vector<Double> {
    let condition: ProximalGradientCondition<PackedLeastSquares, Prox>
    let θ: Vector<Double>
    let pack: ParameterPack
    let strengthCount: Int
    /// `max(1, ‖Aᵀb‖)`: the scale of the gradient, for tolerances.
    let gradientScale: Double
    let dimension: Int

    /// FISTA (backtracking from `η`, adaptive restart) from 0 to a gradient-mapping norm of `tolerance`.
    func fista(_ θ: Vector<Double>, tolerance: Double) throws -> SolverResult<Vector<Double>> {
      let solver = FISTA(
        stepSize: .backtracking(initial: condition.stepSize), tolerance: tolerance, maxIterations: 200_000)
      let run = try solver.solve(condition, θ, from: Vector.zeros(dimension))
      _ = try run.converged()
      return run
    }
  }

  static func setup<Prox: ProximalOperator>(
    _ c: ReferenceCase, prox: Prox
  ) throws -> Setup<Prox> where Prox.Parameter == Vector<Double> {
    for name in c.thetaNames where !parameters.contains(name) {
      throw CaseFormatError(
        file: c.file, field: "theta.\(name)",
        message: "not a parameter of family \"\(c.family)\" (expected some of A, b, lam)")
    }
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let lam = try c.array("lam").vector
    do {
      try prox.validate(dimension: A.columns, lam)
    } catch {
      throw CaseFormatError(file: c.file, field: "lam", message: "\(error)")
    }
    let pack = ParameterPack(c)
    let objective = PackedLeastSquares(A: A, b: b, pack: pack)
    let lipschitz = A.squaredSpectralNorm()
    let η = lipschitz > 0 && lipschitz.isFinite ? 1 / lipschitz : 1
    let condition = try ProximalGradientCondition(
      objective: objective, prox: prox, objectiveParameterCount: pack.packed.count, proxParameter: lam, stepSize: η)
    return Setup(
      condition: condition, θ: condition.packParameters(objective: pack.packed, prox: lam), pack: pack,
      strengthCount: lam.count, gradientScale: max(1, A.transposedTimes(b).norm()), dimension: A.columns)
  }

  /// A runnable instance for the conformance kit: FISTA to the requested residual, no polishing.
  static func makeInstance<Prox: ProximalOperator>(
    _ c: ReferenceCase, prox: Prox
  ) throws -> any RunnableInstance where Prox.Parameter == Vector<Double> {
    let s = try setup(c, prox: prox)
    // ‖F‖ = η·(gradient-mapping norm).
    return Instance(condition: s.condition, parameter: s.θ) { θ, tolerance in
      try s.fista(θ, tolerance: tolerance / s.condition.stepSize).solution
    }
  }

  static func evaluate<Prox: ProximalOperator>(
    _ c: ReferenceCase, prox: Prox, proxName: String
  ) throws -> CaseEvaluation where Prox.Parameter == Vector<Double> {
    let s = try setup(c, prox: prox)
    let condition = s.condition, θ = s.θ
    let run = try s.fista(θ, tolerance: 1e-12 * s.gradientScale)
    let polished = condition.refined(run.solution, θ)
    let x = polished.solution
    guard polished.residualNorm <= 1e-10 * max(1, x.norm) else {
      throw ImplicitError.solverDidNotConverge(
        solver: "FISTA + Newton polishing", iterations: run.iterations, residual: polished.residualNorm)
    }

    let jacobian = try condition.implicitJacobian(at: x, θ, onKink: .oneSided)
    let packed = packJacobian(jacobian.matrix, pack: s.pack, strengthCount: s.strengthCount)
    var notes = [
      "solver: FISTA (\(proxName)), \(run.iterations) iterations, gradient-mapping norm \(run.residual); "
        + "Newton polishing: \(polished.steps) step(s), ‖F‖ \(polished.initialResidualNorm) → \(polished.residualNorm)",
      "implicit: proximal-gradient condition, η = \(condition.stepSize); \(jacobian.result.assembly); "
        + "\(jacobian.result.diagnostics)",
    ]
    if !jacobian.kinks.isEmpty {
      notes.append(
        "zero-width margin at coordinates \(jacobian.kinks): derivative not unique; one-sided Jacobian "
          + "(those coordinates held at their kink)")
    }
    return CaseEvaluation(outputs: ["x": s.pack.output(NDArray(x), jacobian: packed)], notes: notes)
  }

  /// `∂x/∂pack = J[:, pack] + J[:, lam]·S`: the condition's columns for `θ = [pack; lam]` folded
  /// onto the pack, adding the prox's columns to `lam`'s place when `lam` is differentiated.
  static func packJacobian(_ j: Matrix<Double>, pack: ParameterPack, strengthCount k: Int) -> Matrix<Double> {
    let p = pack.packed.count
    var out = Matrix<Double>.zeros(rows: j.rows, columns: p)
    for r in 0..<j.rows { for c in 0..<p { out[r, c] = j[r, c] } }
    if let lam = pack.entries.first(where: { $0.name == "lam" }) {
      for r in 0..<j.rows { for c in 0..<k { out[r, lam.offset + c] += j[r, p + c] } }
    }
    return out
  }
}
