import ImplicitCore
import _Differentiation

// docs-example: plugin-authors-2
/// Poisson regression with l2 regularisation,
/// `w*(θ) = argmin_w (1/n) Σᵢ [exp(xᵢᵀw) − yᵢ xᵢᵀw] + ½θ‖w‖²`, through its stationarity condition
///
///     F(w, θ) = Xᵀ(exp(Xw) − y)/n + θw
///
/// `A = Xᵀdiag(exp(Xw))X/n + θI` is symmetric positive definite for `θ > 0`; `B = w`.
public struct PoissonRegressionCondition: OptimalityCondition {
  /// Features, `n × d`.
  public let X: Matrix<Double>
  /// Counts, `n`.
  public let y: Vector<Double>

  public init(X: Matrix<Double>, y: Vector<Double>) throws {
    try ImplicitError.checkDimension("y (one count per row of X)", y.count, expected: X.rows)
    guard X.isFinite else { throw ImplicitError.nonFinite(what: "X") }
    try ImplicitError.checkFinite("y", y)
    self.X = X
    self.y = y
  }

  @differentiable(reverse)
  public func callAsFunction(_ w: Vector<Double>, _ θ: Double) -> Vector<Double> {
    X.transposedTimes((X * w).exp() - y) / Double(X.rows) + θ * w
  }

  public var structure: LinearStructure { .symmetricPositiveDefinite }

  public func validate(_ w: Vector<Double>, _ θ: Double) throws {
    try ImplicitError.checkDimension("w (one weight per column of X)", w.count, expected: X.columns)
  }

  /// Exact `B t = t·w`: a hand-written product the conformance kit checks against AD.
  public func parameterJacobianProduct(_ t: Double, at w: Vector<Double>, _ θ: Double) -> Vector<Double>? { t * w }

  /// Newton's method, stopped when `‖F(w, θ)‖ ≤ tolerance`. Throws if it does not get there.
  public func solve(_ θ: Double, tolerance: Double = 1e-12, maxIterations: Int = 100) throws -> Vector<Double> {
    var w = Vector<Double>.zeros(X.columns)
    for _ in 0..<maxIterations {
      let gradient = self(w, θ)
      if gradient.norm() <= tolerance { return w }
      let mu = (X * w).exp() / Double(X.rows)
      let hessian = LinearOperator(template: w, structure: .symmetricPositiveDefinite) { v in
        self.X.transposedTimes(mu * (self.X * v)) + θ * v
      }
      let step = DenseCholesky().solve(hessian, gradient)
      guard step.isConverged else { throw ImplicitError.linearSolveFailed(step.summary) }
      w = w - step.solution
    }
    throw ImplicitError.solverDidNotConverge(solver: "Newton", iterations: maxIterations, residual: self(w, θ).norm())
  }
}
// end-docs-example

// docs-example: plugin-authors-3
/// Registration of the `poisson-regression` family with the library's registry.
public enum PoissonRegressionFamily {
  public static let descriptor = ConditionFamily(
    name: "poisson-regression",
    formula: "F(w, θ) = Xᵀ(exp(Xw) − y)/n + θw   (w* = argmin mean[exp(Xw) − y∘Xw] + ½θ‖w‖²)",
    assumptions: ["θ > 0 (then A = XᵀDX/n + θI is SPD)"],
    module: "PoissonRegression",
    makeInstance: { c in
      // θ is the case's one differentiated input, `theta`; the evaluator reports `w` with
      // ∂w*/∂θ from the implicit function theorem.
      let (condition, θ) = try read(c)
      return Instance(
        condition: condition, parameter: θ, reference: { (try condition.solve(θ), ["Newton"]) },
        outputs: { w in [.solution("w", w)] }
      ) { θ, tolerance in try condition.solve(θ, tolerance: tolerance) }
    })

  /// Registers the family.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  static func read(_ c: any CaseData) throws -> (PoissonRegressionCondition, Double) {
    guard c.thetaNames == ["theta"] else {
      throw c.formatError(field: "theta", message: "only `theta` can be differentiated")
    }
    let X = try c.matrix("X")
    return (try PoissonRegressionCondition(X: X, y: try c.vector("y", count: X.rows)), try c.scalar("theta"))
  }
}
// end-docs-example
