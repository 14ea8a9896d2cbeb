public import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProjections

/// The reference-case families this module provides, for the core's registry:
/// `softmax-entropy`, `entropic-qp-simplex`, and the `mirror-descent` method of
/// `multiclass-svm-dual`. Each is differentiated through ``MirrorDescentCondition`` in the KL
/// geometry (the condition the references name).
public enum MirrorDescentFamilies {
  /// `softmax-entropy`: `p* = argmin_{p∈Δ} −⟨θ,p⟩ + γΣp log p = softmax(θ/γ)`.
  public static let softmaxEntropy = ConditionFamily(
    name: "softmax-entropy",
    formula: "F(p, θ) = softmax(log p − η∇f(p)) − p,  f(p) = −⟨θ,p⟩ + γΣ p log p   (p* = softmax(θ/γ))",
    assumptions: ["γ > 0 (then p* is interior and A is invertible)"],
    module: "ImplicitMirrorDescent", methods: ["mirror-descent"], acceptsNoMethod: true,
    makeInstance: { try makeEntropicInstance($0, withQuadratic: false) })

  /// `entropic-qp-simplex`: `p* = argmin_{p∈Δ} ½pᵀQp − ⟨θ,p⟩ + γΣp log p`.
  public static let entropicQPSimplex = ConditionFamily(
    name: "entropic-qp-simplex",
    formula: "F(p, θ) = softmax(log p − η∇f(p)) − p,  f(p) = ½pᵀQp − ⟨θ,p⟩ + γΣ p log p",
    assumptions: ["γ > 0 and ½(Q + Qᵀ) + γ diag(1/p*) positive definite on {Σv = 0} (e.g. Q PSD)"],
    module: "ImplicitMirrorDescent", methods: ["mirror-descent"], acceptsNoMethod: true,
    makeInstance: { try makeEntropicInstance($0, withQuadratic: true) })

  /// `multiclass-svm-dual`, method `mirror-descent`: the Crammer–Singer dual on row simplices,
  /// differentiated through the row-wise KL mirror-descent fixed point.
  public static let multiclassSVMDual = ConditionFamily(
    name: "multiclass-svm-dual",
    formula: "F(β, θ) = softmax_rows(log β − η∇f(β)) − β,  f(β) = ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩",
    assumptions: [
      "θ > 0; strict complementarity at the zero entries of β* (their derivative is then 0)",
      "XXᵀ ⊗ I positive definite on the directions keeping each row's support and sum",
    ],
    module: "ImplicitMirrorDescent", methods: ["mirror-descent"], acceptsNoMethod: false,
    makeInstance: makeSVMInstance)

  /// Registers the module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try registry.register(softmaxEntropy)
    try registry.register(entropicQPSimplex)
    try registry.register(multiclassSVMDual)
  }

  /// The reference solve of `softmax-entropy` / `entropic-qp-simplex`: KL mirror descent with
  /// the safe step, repeated to precision.
  static func entropicReference(
    _ objective: EntropicSimplexObjective, _ θ: Vector<Double>
  ) throws -> (solution: Vector<Double>, notes: [String]) {
    let map = KLSimplexMirrorMap()
    let start = Vector(repeating: 1 / Double(objective.dimension), count: objective.dimension)
    let solver = MirrorDescent(stepSize: objective.mirrorDescentStep, tolerance: 1e-15, maxIterations: 2_000)
    let result = try iterateToPrecision(from: start, solver: "mirror descent") { x in
      let run = try solver.solve(mirrorMap: map, from: x) { objective.gradient(at: $0, θ) }
      return (run.solution, run.iterations, run.residual, run.isConverged)
    }
    return (
      result.solution,
      [
        "solver: KL mirror descent, step \(solver.stepSize), \(result.iterations) iterations, last step \(result.residual)",
        "implicit: mirror-descent condition (η = 1)",
      ]
    )
  }

  /// The reference solve of `multiclass-svm-dual` (mirror descent): accelerated projected
  /// gradient on the row simplices, repeated to precision.
  static func svmReference(_ problem: MulticlassSVMDualCase) throws -> (solution: Vector<Double>, notes: [String]) {
    let objective = problem.objective
    let gradient = SVMDualGradient(objective, theta: problem.theta)
    // FISTA's residual is the gradient mapping ‖P(x − ∇f/L) − x‖·L: 1e-15 on the projected step.
    let lipschitz = objective.lipschitzConstant(problem.theta)
    let solver = FISTA(stepSize: .fixed(1 / lipschitz), tolerance: 1e-15 * lipschitz, maxIterations: 2_000)
    let projection = RowSimplexProjection(columns: objective.classes)
    let solved = try iterateToPrecision(from: objective.uniformStart, solver: "accelerated projected gradient") {
      let run = try solver.solve(
        from: $0, gradient: gradient.callAsFunction, prox: { z, _ in projection.project(z, Vector([])) })
      return (run.solution, run.iterations, run.residual / lipschitz, run.isConverged)
    }
    return (
      solved.solution,
      [
        "solver: accelerated projected gradient on the row simplices, \(solved.iterations) iterations, residual \(solved.residual)",
        "implicit: row-wise KL mirror-descent condition (η = 1, safe log)",
      ]
    )
  }
}

/// `∇_β f = (1/θ) XXᵀ(β − Y) + Y − 1` of the multiclass SVM dual, written out with `XXᵀ`
/// precomputed (many solver iterations need it; automatic differentiation would be slower).
struct SVMDualGradient {
  let kernel: [Double]
  let labels: [Double]
  let samples: Int
  let classes: Int
  let theta: Double

  init(_ objective: MulticlassSVMDual, theta: Double) {
    let x = objective.X
    samples = x.rows
    classes = objective.classes
    labels = objective.Y.scalars
    self.theta = theta
    var k = [Double](repeating: 0, count: samples * samples)
    for i in 0..<samples {
      for j in i..<samples {
        var s = 0.0
        for f in 0..<x.columns { s += x[i, f] * x[j, f] }
        k[i * samples + j] = s
        k[j * samples + i] = s
      }
    }
    kernel = k
  }

  func callAsFunction(_ beta: Vector<Double>) -> Vector<Double> {
    var g = [Double](repeating: 0, count: samples * classes)
    let inverse = 1 / theta
    for i in 0..<samples {
      for j in 0..<samples {
        let kij = kernel[i * samples + j] * inverse
        if kij == 0 { continue }
        for c in 0..<classes { g[i * classes + c] += kij * (beta[j * classes + c] - labels[j * classes + c]) }
      }
      for c in 0..<classes { g[i * classes + c] += labels[i * classes + c] - 1 }
    }
    return Vector(g)
  }
}
