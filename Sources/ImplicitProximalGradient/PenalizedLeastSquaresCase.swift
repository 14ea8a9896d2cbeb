import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitSparse

/// The shared recipe of the `lasso`, `elastic-net`, `elastic-net-jaxopt` and `sparse-lasso`
/// reference cases: `argmin_x ½‖Ax − b‖² + g(x, lam)`, with some of the inputs under `theta`.
///
/// Solve: FISTA (backtracking, adaptive restart) to a gradient-mapping norm of
/// `1e-12·max(1, ‖Aᵀb‖)`, then semismooth Newton polishing (the direct solve on the detected
/// support), then a check of `‖F(x, θ)‖`. Differentiate: ``ProximalGradientCondition`` on all
/// the inputs, with `η = 1/‖A‖₂²`, reparametrised by the case's packed parameters. The design
/// decides the smooth part: a dense `A` may be differentiated (``DesignLeastSquares``,
/// `θ = [vec A; b; lam]`); a sparse one is data (``LeastSquares`` on the ``SparseMatrix``,
/// `θ = [b; lam]`), never densified.
enum PenalizedLeastSquaresCase {
  /// A dense design, `A` a nested list: any of `A`, `b`, `lam` under `theta`.
  static func makeInstance<Prox: ProximalOperator>(
    _ c: any CaseData, prox: Prox, proxName: String
  ) throws -> any RunnableInstance where Prox.Parameter == Vector<Double> {
    try checkParameters(c, ["A", "b", "lam"])
    let A = try c.matrix("A")
    let b = try c.vector("b", count: A.rows)
    return try makeInstance(
      c, objective: DesignLeastSquares(rows: A.rows, columns: A.columns), objectiveInputs: ["A", "b"],
      objectiveParameterCount: A.rows * A.columns + A.rows, design: A, lipschitz: A.squaredSpectralNorm(), b: b,
      prox: prox, proxName: proxName)
  }

  /// A sparse design, `A` as COO triplets (``SparseMatrix``): `b` and `lam` under `theta`.
  static func makeSparseInstance<Prox: ProximalOperator>(
    _ c: any CaseData, prox: Prox, proxName: String
  ) throws -> any RunnableInstance where Prox.Parameter == Vector<Double> {
    try checkParameters(c, ["b", "lam"])
    let A = try sparseMatrix(c, "A")
    let b = try c.vector("b", count: A.rows)
    // The solve is by products, but the evaluator holds dense `p × P` Jacobians (three at once):
    // refuse a case whose Jacobian alone would not fit, before anything is allocated.
    let parameters = try ParameterLayout(c).packed.count
    let bytes = 24 * Double(A.columns) * Double(parameters)
    guard bytes <= Double(sparseMemoryBudget) else {
      throw c.formatError(
        field: "A",
        message: "A has \(A.columns) columns and the case \(parameters) differentiated parameters: the "
          + "\(A.columns)×\(parameters) Jacobians need about \(Int(bytes / 1_048_576)) MiB, over the budget of "
          + "\(sparseMemoryBudget / 1_048_576) MiB")
    }
    let objective: LeastSquares
    do {
      objective = try LeastSquares(A: A)
    } catch {
      throw c.formatError(field: "A", message: "\(error)")
    }
    return try makeInstance(
      c, objective: objective, objectiveInputs: ["b"], objectiveParameterCount: A.rows, design: A,
      lipschitz: objective.gradientLipschitzConstant(b), b: b, prox: prox, proxName: proxName)
  }

  /// The most memory (bytes) the dense Jacobians of a sparse case may take (1 GiB).
  static let sparseMemoryBudget = 1 << 30

  /// The ``SparseMatrix`` of input `name` (COO triplets, duplicates summed); its validation
  /// errors name the offending part (`A.rows`, `A.columns`, `A.values`).
  static func sparseMatrix(_ c: any CaseData, _ name: String) throws -> SparseMatrix {
    let t = try c.sparseArray(name)
    guard t.shape.count == 2 else {
      throw c.formatError(field: "\(name).shape", message: "expected [rows, columns], got \(t.shape)")
    }
    // SparseMatrix checks each entry in order; find the part to name first, then keep its message.
    let field: String
    if !t.shape.allSatisfy({ $0 > 0 }) {
      field = "\(name).shape"
    } else if t.rowIndices.count != t.values.count || t.columnIndices.count != t.values.count {
      field =
        "\(name) (rows, columns, values: \(t.rowIndices.count), \(t.columnIndices.count), \(t.values.count) entries)"
    } else if let k = t.rowIndices.indices.first(where: { t.rowIndices[$0] < 0 || t.rowIndices[$0] >= t.shape[0] }) {
      field = "\(name).rows[\(k)]"
    } else if let k = t.columnIndices.indices.first(where: {
      t.columnIndices[$0] < 0 || t.columnIndices[$0] >= t.shape[1]
    }) {
      field = "\(name).columns[\(k)]"
    } else if let k = t.values.indices.first(where: { !t.values[$0].isFinite }) {
      field = "\(name).values[\(k)]"
    } else {
      field = "\(name).values"  // an overflowing sum of duplicates
    }
    do {
      return try SparseMatrix(
        rows: t.shape[0], columns: t.shape[1], rowIndices: t.rowIndices, columnIndices: t.columnIndices,
        values: t.values)
    } catch {
      throw c.formatError(field: field, message: "\(error)")
    }
  }

  static func checkParameters(_ c: any CaseData, _ parameters: [String]) throws {
    for name in c.thetaNames where !parameters.contains(name) {
      throw c.formatError(
        field: "theta.\(name)",
        message: "not a parameter of family \"\(c.family)\" (expected some of \(parameters.joined(separator: ", ")))")
    }
  }

  /// The instance for `objective` (whose parameters are `objectiveInputs`, then the prox's `lam`).
  static func makeInstance<Objective: ParametricObjective & Sendable, Prox: ProximalOperator>(
    _ c: any CaseData, objective: Objective, objectiveInputs: [String], objectiveParameterCount: Int,
    design A: any DesignMatrix, lipschitz: Double, b: Vector<Double>, prox: Prox, proxName: String
  ) throws -> any RunnableInstance where Prox.Parameter == Vector<Double> {
    let lam = Vector(try c.array("lam").values)
    do {
      try prox.validate(dimension: A.columns, lam)
    } catch {
      throw c.formatError(field: "lam", message: "\(error)")
    }
    let layout = try ParameterLayout(c)
    let η = lipschitz > 0 && lipschitz.isFinite ? 1 / lipschitz : 1
    let base = try ProximalGradientCondition(
      objective: objective, prox: prox, objectiveParameterCount: objectiveParameterCount, proxParameter: lam,
      stepSize: η)
    let condition = Reparametrized(
      base, map: try InputSelection(c, layout: layout, concatenating: objectiveInputs + ["lam"]))
    let gradientScale = max(1, A.transposedProduct(b).norm())

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
