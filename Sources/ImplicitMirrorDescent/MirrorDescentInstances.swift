import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections

/// Runnable instances of the module's families for the conformance kit: the condition the
/// family differentiates, the case's packed parameter, and a solver that stops as soon as the
/// condition's own residual `‖F(x, θ)‖` is at most the requested tolerance (so that looser
/// tolerances really give less accurate solutions).
extension MirrorDescentFamilies {
  /// `softmax-entropy` / `entropic-qp-simplex`: KL mirror descent from the uniform point.
  ///
  /// The step is half the safe step `1/(γ + ‖Q‖₂)`: with the full step `1/γ`, softmax-entropy is
  /// solved exactly in one iteration, and the kit could not relate the derivative's error to
  /// the residual of an approximate solution. With half of it the iteration contracts
  /// `log p` by ½ per step (softmax-entropy), so every tolerance gives a distinct iterate.
  @Sendable static func makeEntropicInstance(_ c: any CaseData, withQuadratic: Bool) throws -> any RunnableInstance {
    let objective = try EntropicSimplexObjective(c, withQuadratic: withQuadratic)
    let map = KLSimplexMirrorMap()
    let base = try MirrorDescentCondition(objective: objective, mirrorMap: map)
    let layout = try ParameterLayout(c)
    let condition = Reparametrized(
      base,
      map: try InputSelection(layout: layout, base: objective.inputs, slots: slots(objective.names, of: objective)))
    let step = objective.mirrorDescentStep / 2
    let start = Vector(repeating: 1 / Double(objective.dimension), count: objective.dimension)
    let packed = layout.packed
    return Instance(
      condition: condition, parameter: packed, reference: { try entropicReference(objective, condition.map(packed)) },
      outputs: { [.solution("p", $0)] }
    ) { packed, tolerance in
      try ImplicitError.checkFinite("θ", packed)
      let θ = condition.map(packed)
      return try iterateToResidual(from: start, tolerance: tolerance, solver: "KL mirror descent") { p in
        let g = objective.gradient(at: p, θ)
        // ‖F(p, θ)‖ with the condition's step, sharing the gradient with the solver's step.
        let residual = (map.inverseMirror(map.dualPoint(at: p, gradient: g, stepSize: base.stepSize)) - p).norm()
        return (residual, map.inverseMirror(map.dualPoint(at: p, gradient: g, stepSize: step)))
      }.solution
    }
  }

  /// Where `theta`, `gamma` and `Q` sit in the objective's `θ`.
  static func slots(_ names: [String], of objective: EntropicSimplexObjective) -> [InputSelection.Slot] {
    let n = objective.dimension
    let counts = ["theta": n, "gamma": 1, "Q": n * n]
    var offset = 0
    return names.map { name in
      defer { offset += counts[name]! }
      return InputSelection.Slot(name: name, offset: offset, count: counts[name]!)
    }
  }

  /// `multiclass-svm-dual` (mirror descent): accelerated projected gradient on the row simplices
  /// (as ``svmReference(_:)``), stopped when both the mirror-descent residual `‖F(β, θ)‖` and
  /// the projected-gradient residual are at most the tolerance. The second guards against a
  /// property of the KL condition: with the safe log, a point that minimises `f` over a face of
  /// the simplices (a coordinate wrongly at zero) is also a root, so a small `‖F‖` alone does not
  /// certify an approximate minimiser.
  @Sendable static func makeSVMInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let problem = try MulticlassSVMDualCase(c)
    let objective = problem.objective
    let map = KLRowSimplexMirrorMap(columns: objective.classes)
    let projection = RowSimplexProjection(columns: objective.classes)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: map)
    return Instance(
      condition: condition, parameter: Vector([problem.theta]), reference: { try svmReference(problem) },
      outputs: { problem.outputs(beta: $0) }
    ) { θ, tolerance in
      try ImplicitError.checkDimension("θ (the regularisation strength)", θ.count, expected: 1)
      let theta = θ[0]
      guard theta > 0, theta.isFinite else {
        throw ImplicitError.invalidArgument("θ must be positive and finite, got \(theta)")
      }
      let gradient = SVMDualGradient(objective, theta: theta)
      let lipschitz = objective.lipschitzConstant(theta)
      // Converged when both the projected step and the mirror-descent residual are within the
      // tolerance: FISTA meets the first, and is tightened until the second holds too.
      func mirrorResidual(_ beta: Vector<Double>) -> Double {
        let g = gradient(beta)
        return (map.inverseMirror(map.dualPoint(at: beta, gradient: g, stepSize: condition.stepSize)) - beta).norm()
      }
      var beta = objective.uniformStart
      var target = tolerance
      for _ in 0..<8 {
        let solver = FISTA(stepSize: .fixed(1 / lipschitz), tolerance: target * lipschitz, maxIterations: 100_000)
        beta = try solver.solve(
          from: beta, gradient: gradient.callAsFunction, prox: { z, _ in projection.project(z, Vector([])) }
        ).converged()
        if mirrorResidual(beta) <= tolerance { return beta }
        target /= 10
      }
      throw ImplicitError.solverDidNotConverge(
        solver: "accelerated projected gradient", iterations: 0, residual: mirrorResidual(beta))
    }
  }
}
