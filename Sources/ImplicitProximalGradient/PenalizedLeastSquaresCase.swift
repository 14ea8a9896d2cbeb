import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal

/// The shared recipe of the `lasso`, `elastic-net` and `elastic-net-jaxopt` reference cases:
/// `argmin_x ½‖Ax − b‖² + g(x, lam)`, with any of `A`, `b`, `lam` under `theta`.
///
/// Solve: FISTA (backtracking, adaptive restart) to a gradient-mapping norm of
/// `1e-12·max(1, ‖Aᵀb‖)`, then semismooth Newton polishing (the direct solve on the detected
/// support), then a check of `‖F(x, θ)‖`. Differentiate: ``ProximalGradientCondition`` on all
/// the inputs, `θ = [vec A; b; lam]` (``DesignLeastSquares`` reads `A`, `b`; the prox gets
/// `lam`), with `η = 1/‖A‖₂²`, reparametrised by the case's packed parameters.
enum PenalizedLeastSquaresCase {
  static let parameters: Set<String> = ["A", "b", "lam"]

  static func makeInstance<Prox: ProximalOperator>(
    _ c: any CaseData, prox: Prox, proxName: String
  ) throws -> any RunnableInstance where Prox.Parameter == Vector<Double> {
    for name in c.thetaNames where !parameters.contains(name) {
      throw c.formatError(
        field: "theta.\(name)", message: "not a parameter of family \"\(c.family)\" (expected some of A, b, lam)")
    }
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    let lam = Vector(try c.array("lam").values)
    do {
      try prox.validate(dimension: A.columns, lam)
    } catch {
      throw c.formatError(field: "lam", message: "\(error)")
    }
    let layout = try ParameterLayout(c)
    let objective = DesignLeastSquares(rows: A.rows, columns: A.columns)
    let lipschitz = A.squaredSpectralNorm()
    let η = lipschitz > 0 && lipschitz.isFinite ? 1 / lipschitz : 1
    let base = try ProximalGradientCondition(
      objective: objective, prox: prox, objectiveParameterCount: A.rows * A.columns + A.rows, proxParameter: lam,
      stepSize: η)
    let condition = Reparametrized(base, map: try InputSelection(c, layout: layout, concatenating: ["A", "b", "lam"]))
    let gradientScale = max(1, A.transposedTimes(b).norm())

    /// FISTA (backtracking from `η`, adaptive restart) from 0 to a gradient-mapping norm of `tolerance`.
    func fista(_ θ: Vector<Double>, tolerance: Double) throws -> SolverResult<Vector<Double>> {
      let solver = FISTA(stepSize: .backtracking(initial: η), tolerance: tolerance, maxIterations: 200_000)
      let run = try solver.solve(base, θ, from: Vector.zeros(A.columns))
      _ = try run.converged()
      return run
    }

    return Instance(
      condition: condition, parameter: layout.packed,
      reference: {
        let θ = condition.map(layout.packed)
        let run = try fista(θ, tolerance: 1e-12 * gradientScale)
        let polished = base.refined(run.solution, θ)
        let x = polished.solution
        guard polished.residualNorm <= 1e-10 * max(1, x.norm) else {
          throw ImplicitError.solverDidNotConverge(
            solver: "FISTA + Newton polishing", iterations: run.iterations, residual: polished.residualNorm)
        }
        return (
          x,
          [
            "solver: FISTA (\(proxName)), \(run.iterations) iterations, gradient-mapping norm \(run.residual); "
              + "Newton polishing: \(polished.steps) step(s), ‖F‖ \(polished.initialResidualNorm) → \(polished.residualNorm)"
          ]
        )
      },
      jacobian: { x in
        // At a zero-width margin the prox Jacobian's convention gives the one-sided Jacobian: say so.
        let options = ImplicitOptions(policy: DerivativePolicy(degeneracy: .flag))
        let j = try ImplicitDifferentiator(condition, options: options).jacobian(at: x, layout.packed)
        var notes = ["implicit: proximal-gradient condition, η = \(η); \(j.assembly); \(j.diagnostics)"]
        for case let d in j.diagnostics.degeneracies where d.kind == .kink {
          notes.append(
            "zero-width margin at coordinates \(d.indices): derivative not unique; one-sided Jacobian "
              + "(those coordinates held at their kink)")
        }
        return (j.matrix, notes)
      }
      // ‖F‖ = η·(gradient-mapping norm).
    ) { p, tolerance in try fista(condition.map(p), tolerance: tolerance / η).solution }
  }
}
