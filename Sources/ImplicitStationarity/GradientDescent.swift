public import ImplicitCore
import ImplicitObjectives

/// Gradient descent, plain or accelerated (Nesterov), with step `1/L`:
///
///     plain:        x ← x − ∇ₓf(x, θ)/L
///     accelerated:  x⁺ = y − ∇ₓf(y, θ)/L,  t⁺ = (1 + √(1 + 4t²))/2,  y ← x⁺ + (t − 1)/t⁺ · (x⁺ − x)
///
/// `L` is the Lipschitz constant of `∇ₓf(·, θ)`: given, taken from a ``SmoothObjective``, or
/// estimated (see ``StepSize``). Stops when `‖∇ₓf‖ ≤ tolerance` (at the point where the gradient
/// was evaluated, which is then returned), or runs exactly the given number of steps in fixed mode
/// (benchmarks: no early stopping, the returned point is the last `x`, as in JAXopt).
public struct GradientDescent: Minimizer, Sendable {
  /// How the step `1/L` is chosen.
  public enum StepSize: Sendable, Hashable {
    /// Step `1/L` for a given `L`.
    case inverseLipschitz(Double)
    /// A given step.
    case fixed(Double)
    /// `1/L` with `L` from ``SmoothObjective/gradientLipschitzConstant(_:)`` when the objective
    /// provides it; otherwise `L` = 1.1 × the largest eigenvalue of the Hessian at the initial
    /// point (power iteration on exact Hessian-vector products; a heuristic for non-quadratic
    /// objectives: it is exact for quadratics and logistic losses started at 0).
    case automatic
  }

  /// When to stop.
  public enum Mode: Sendable, Hashable {
    /// Until `‖∇ₓf‖ ≤ tolerance` or `maxIterations`.
    case untilConverged(maxIterations: Int)
    /// Exactly this many iterations.
    case fixedIterations(Int)
  }

  public var stepSize: StepSize
  /// Nesterov acceleration.
  public var accelerated: Bool
  /// Restart the momentum when it points uphill (`⟨∇f(y), x⁺ − x⟩ > 0`; O'Donoghue & Candès).
  /// Only with `accelerated`, never in fixed mode (so fixed runs match JAXopt's iterations).
  public var adaptiveRestart: Bool
  /// Stop when `‖∇ₓf‖ ≤ tolerance`.
  public var tolerance: Double
  public var mode: Mode

  public init(
    stepSize: StepSize = .automatic, accelerated: Bool = false, adaptiveRestart: Bool = true,
    tolerance: Double = 1e-8, mode: Mode = .untilConverged(maxIterations: 10_000)
  ) {
    self.stepSize = stepSize
    self.accelerated = accelerated
    self.adaptiveRestart = adaptiveRestart
    self.tolerance = tolerance
    self.mode = mode
  }

  /// Accelerated gradient descent (FISTA without a prox).
  public static func accelerated(
    stepSize: StepSize = .automatic, tolerance: Double = 1e-8, mode: Mode = .untilConverged(maxIterations: 10_000)
  ) -> GradientDescent {
    GradientDescent(stepSize: stepSize, accelerated: true, tolerance: tolerance, mode: mode)
  }

  var name: String { accelerated ? "accelerated gradient descent" : "gradient descent" }

  /// The step this solver would use for `objective` at `(initial, θ)`.
  public func step<Objective: ParametricObjective>(
    for objective: Objective, at initial: Vector<Double>, _ θ: Vector<Double>
  ) -> Double {
    switch stepSize {
    case .fixed(let s): return s
    case .inverseLipschitz(let l): return 1 / l
    case .automatic:
      if let smooth = objective as? any SmoothObjective { return 1 / smooth.gradientLipschitzConstant(θ) }
      let hessian = LinearOperator(template: initial, structure: .symmetric) { v in
        objective.hessianVectorProduct(at: initial, θ, along: v)
      }
      return 1 / (1.1 * hessian.largestEigenvalue(maxIterations: 200, relativeTolerance: 1e-6))
    }
  }

  public func minimize<Objective: ParametricObjective>(
    _ objective: Objective, from initial: Vector<Double>, _ θ: Vector<Double>
  ) -> MinimizationResult {
    let (limit, fixed): (Int, Bool) =
      switch mode {
      case .untilConverged(let m): (max(m, 0), false)
      case .fixedIterations(let k): (max(k, 0), true)
      }
    func result(_ x: Vector<Double>, _ norm: Double, _ k: Int, _ status: MinimizationStatus) -> MinimizationResult {
      MinimizationResult(
        solution: x, gradientNorm: norm, iterations: k, status: status, tolerance: tolerance, solver: name)
    }
    if let problem = inputProblem(objective, initial, θ) { return result(initial, .nan, 0, .invalidInput(problem)) }
    let eta = step(for: objective, at: initial, θ)
    guard eta > 0, eta.isFinite else {
      return result(initial, .nan, 0, .invalidInput("step size \(eta) is not positive and finite"))
    }
    var x = initial
    var y = initial
    var t = 1.0
    var gradientNorm = Double.infinity
    for k in 0..<limit {
      let g = objective.solutionGradient(at: y, θ)
      gradientNorm = g.norm
      guard gradientNorm.isFinite else { return result(y, gradientNorm, k, .nonFinite) }
      if !fixed && gradientNorm <= tolerance { return result(y, gradientNorm, k, .converged) }
      var next = y
      next.addScaled(-eta, g)
      if !accelerated {
        y = next
        x = next
        continue
      }
      let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
      var momentum = next
      momentum.addScaled(-1, x)
      if !fixed && adaptiveRestart && g.innerProduct(with: momentum) > 0 {
        // The momentum points uphill: restart from the plain gradient step.
        t = 1
        x = next
        y = next
        continue
      }
      y = next
      y.addScaled((t - 1) / tNext, momentum)
      x = next
      t = tNext
    }
    // One more gradient, so that the reported norm is the returned point's.
    let returned = fixed ? x : y
    let finalNorm = objective.solutionGradient(at: returned, θ).norm
    guard finalNorm.isFinite else { return result(returned, finalNorm, limit, .nonFinite) }
    if fixed { return result(returned, finalNorm, limit, .completedFixedIterations) }
    return result(returned, finalNorm, limit, finalNorm <= tolerance ? .converged : .maxIterationsReached)
  }
}
