public import ImplicitCore
import ImplicitObjectives
import ImplicitProximal
import _Differentiation

/// How ``FISTA`` chooses its step `η`.
public enum ProximalGradientStepSize: Sendable, Hashable {
  /// A constant step, typically `1/L` with `L` the Lipschitz constant of `∇f`.
  case fixed(Double)
  /// Backtracking (Beck & Teboulle 2009): start from `initial` (`nil`: `1/L̂` with `L̂` a power
  /// iteration estimate of the curvature at the starting point) and multiply the step by
  /// `shrinkFactor ∈ (0, 1)` until the sufficient-decrease test
  /// `f(x⁺) ≤ f(y) + ⟨∇f(y), x⁺ − y⟩ + ‖x⁺ − y‖²/(2η)` holds. Steps never grow.
  case backtracking(initial: Double? = nil, shrinkFactor: Double = 0.5)
}

/// FISTA: accelerated proximal gradient for `min_x f(x, θ_f) + g(x, θ_g)`, the solver that pairs
/// with ``ProximalGradientCondition`` (the library's one accelerated proximal/projected gradient).
///
///     x⁺ = prox_{ηg}(y − η∇f(y)),  t⁺ = (1 + √(1 + 4t²))/2,  y⁺ = x⁺ + ((t − 1)/t⁺)(x⁺ − x)
///
/// Two modes:
/// - **tolerance** (the default): stop when the gradient-mapping norm at the iterate,
///   `‖x − prox_{ηg}(x − η∇f(x))‖/η`, is at most ``tolerance``; backtracking line search by
///   default; adaptive restart of the momentum (O'Donoghue & Candès 2015) when it points uphill,
///   which keeps the linear convergence that high-precision solves need;
/// - **fixed iterations** (``fixedIterations(_:stepSize:acceleration:)``, for benchmarks): exactly
///   `n` iterations with a constant step, no tests, no restarts — the schedule JAXopt is timed with.
///
/// It serves proxes and projections alike (a projection is the prox ``ProjectionProximal``).
/// ``solve(_:_:from:)`` throws on invalid input and otherwise returns a ``SolverResult`` with its
/// status; `try result.converged()` is the solution, or a typed error.
public struct FISTA: Sendable {
  /// The step rule.
  public var stepSize: ProximalGradientStepSize
  /// Target for the gradient-mapping norm (tolerance mode).
  public var tolerance: Double
  /// Iteration budget (tolerance mode), or the exact iteration count (fixed mode).
  public var maxIterations: Int
  /// Nesterov momentum (FISTA); `false` gives plain ISTA.
  public var acceleration: Bool
  /// Restart the momentum when `⟨y − x⁺, x⁺ − x⟩ > 0` (tolerance mode only).
  public var adaptiveRestart: Bool
  /// Run exactly ``maxIterations`` iterations without testing convergence.
  public var runsFixedIterations: Bool

  /// Tolerance mode.
  public init(
    stepSize: ProximalGradientStepSize = .backtracking(), tolerance: Double = 1e-10, maxIterations: Int = 10_000,
    acceleration: Bool = true, adaptiveRestart: Bool = true
  ) {
    self.stepSize = stepSize
    self.tolerance = tolerance
    self.maxIterations = maxIterations
    self.acceleration = acceleration
    self.adaptiveRestart = adaptiveRestart
    runsFixedIterations = false
  }

  /// Fixed-iteration mode: `iterations` steps of size `stepSize`, no convergence test, no
  /// restarts (benchmarks, and the schedule an unrolled solver is differentiated through).
  public static func fixedIterations(_ iterations: Int, stepSize: Double, acceleration: Bool = true) -> FISTA {
    var solver = FISTA(
      stepSize: .fixed(stepSize), maxIterations: iterations, acceleration: acceleration, adaptiveRestart: false)
    solver.runsFixedIterations = true
    return solver
  }

  /// Validates the input and runs on the condition's objective and prox at `θ = [θ_f; θ_g]`.
  /// Throws ``ImplicitError`` on invalid input (a `θ`, `x0` or prox parameter of the wrong shape,
  /// NaN, a bad setting); otherwise the result's status says how the run ended and its residual
  /// is the gradient-mapping norm `‖x − prox_{ηg}(x − η∇f(x))‖/η` with the final step `η`
  /// (`‖F(x, θ)‖` of a condition with the same `η` is `η` times this).
  public func solve<Objective, Prox>(
    _ condition: ProximalGradientCondition<Objective, Prox>, _ θ: Vector<Double>, from x0: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    try ImplicitError.checkDimension("θ", θ.count, expected: condition.parameterCount)
    try ImplicitError.checkFinite("the starting point x0", x0)
    try ImplicitError.checkFinite("θ", θ)
    let (θf, θg) = condition.splitParameters(θ)
    if let objective = condition.objective as? any ShapeCheckedObjective {
      try objective.validate(x0, θf)
    }
    try condition.prox.validate(dimension: x0.count, θg)
    let objective = condition.objective, prox = condition.prox
    // A wrong shape the objective does not check shows up as a gradient of the wrong length.
    let g0 = objective.gradient(at: x0, θf)
    try ImplicitError.checkDimension("∇f(x0) (the objective's dimension)", g0.count, expected: x0.count)
    var η0: Double? = nil
    if case .backtracking(nil, _) = stepSize { η0 = estimatedCurvature(objective, x0, θf).map { 1 / $0 } ?? 1 }
    return try solve(
      from: x0, initialStep: η0, value: { objective.value(at: $0, θf) }, gradient: { objective.gradient(at: $0, θf) },
      prox: { prox.prox($0, θg, scaling: $1) })
  }

  /// The same iterations on closures, for a hand-written gradient (a closed form that is faster
  /// than reverse mode): `value` (used only by backtracking), `gradient`, and `prox(z, η)` (a
  /// projection ignores `η`). `initialStep` replaces a `nil` initial backtracking step (default 1).
  /// Throws ``ImplicitError`` on a bad setting or a non-finite `x0`.
  public func solve(
    from x0: Vector<Double>, initialStep: Double? = nil, value: ((Vector<Double>) -> Double)? = nil,
    gradient: (Vector<Double>) -> Vector<Double>, prox: (Vector<Double>, Double) -> Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    guard maxIterations >= 0, tolerance >= 0 else {
      throw ImplicitError.invalidArgument("FISTA needs maxIterations ≥ 0 and tolerance ≥ 0")
    }
    try ImplicitError.checkFinite("the starting point x0", x0)
    try ImplicitError.checkDimension("gradient(x0)", gradient(x0).count, expected: x0.count)
    var η: Double
    var shrink = 0.5
    let backtracking: Bool
    switch stepSize {
    case .fixed(let step):
      η = step
      backtracking = false
    case .backtracking(let initial, let factor):
      η = initial ?? initialStep ?? 1
      shrink = factor
      backtracking = true
    }
    guard η > 0, η.isFinite else {
      throw ImplicitError.invalidArgument("the step size must be positive and finite, got \(η)")
    }
    guard shrink > 0, shrink < 1 else {
      throw ImplicitError.invalidArgument("the backtracking factor must be in (0, 1), got \(shrink)")
    }
    guard !backtracking || value != nil else {
      throw ImplicitError.invalidArgument("backtracking needs the objective's value")
    }
    func mapping(_ x: Vector<Double>) -> Double {
      let g = gradient(x)
      guard g.isFinite else { return .nan }
      return (x - prox(x - η * g, η)).norm() / η
    }
    func result(_ x: Vector<Double>, _ status: SolverStatus, _ k: Int, residual: Double? = nil)
      -> SolverResult<Vector<Double>>
    {
      SolverResult(
        solution: x, status: status, iterations: k, residual: residual ?? mapping(x), tolerance: tolerance,
        solver: "FISTA")
    }

    var x = x0, y = x0, t = 1.0
    var k = 0
    while k < maxIterations {
      k += 1
      let gy = gradient(y)
      let fy = backtracking ? value?(y) ?? 0 : 0
      guard gy.isFinite, fy.isFinite else { return result(y, .nonFinite, k, residual: .nan) }
      var next = prox(y - η * gy, η)
      if backtracking, let value {
        while true {
          let d = next - y
          let fNext = value(next)
          let slack = 10 * Double.ulpOfOne * (abs(fy) + abs(fNext))
          if fNext <= fy + gy.dot(d) + d.squaredNorm() / (2 * η) + slack { break }  // NaN fails: shrink
          η *= shrink
          guard η > 1e-30 else { return result(x, .lineSearchFailed, k) }
          next = prox(y - η * gy, η)
        }
      }
      guard next.isFinite else { return result(next, .nonFinite, k, residual: .nan) }
      let stepNorm = runsFixedIterations ? 0 : (next - y).norm() / η  // the gradient mapping at y
      if acceleration {
        if adaptiveRestart && !runsFixedIterations && (y - next).dot(next - x) > 0 {
          t = 1
          y = next
        } else {
          let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
          y = next + ((t - 1) / tNext) * (next - x)
          t = tNext
        }
      } else {
        y = next
      }
      x = next
      if !runsFixedIterations && stepNorm <= tolerance {
        let r = mapping(x)
        if r <= tolerance { return result(x, .converged, k, residual: r) }
        y = x  // close to the tolerance: continue from x without momentum
        t = 1
      }
    }
    if runsFixedIterations { return result(x, .completedFixedIterations, k) }
    let r = mapping(x)
    return result(x, r <= tolerance ? .converged : r.isFinite ? .maxIterationsReached : .nonFinite, k, residual: r)
  }
}

// MARK: - Unrolled differentiation

extension FISTA {
  /// The fixed-iteration schedule as a differentiable function of `θ`: exactly ``maxIterations``
  /// iterations from `x0` with a constant step (the fixed step, or a backtracking rule's initial
  /// step, else the condition's `η`), no restarts and no tests — what ``fixedIterations(_:stepSize:acceleration:)``
  /// returns — differentiated by Swift's reverse-mode AD **through the iterations** (JAXopt's
  /// `implicit_diff=False`) instead of by the implicit function theorem:
  ///
  /// ```swift
  /// let solver = FISTA.fixedIterations(500, stepSize: η)
  /// let dxdθ = pullback(at: θ) { θ in solver.unrolled(condition, θ, from: x0) }   // unrolled
  /// let implicit = try ImplicitDifferentiator(condition).vjp(u, at: x, θ)        // implicit
  /// ```
  ///
  /// Each iteration is `x⁺ = x + F(x, θ)` of the condition with the solver's step, so its pullback
  /// is the condition's exact hand-written one; memory grows with the iteration count. When the
  /// iterates converge the two derivatives agree (to the iterations' convergence); before, the
  /// unrolled one is the derivative of the truncated iterate. Input is not validated (a
  /// differentiable function cannot throw): call ``solve(_:_:from:)`` first, or validate with the
  /// condition.
  ///
  /// A step that depends on `θ` (say `η(θ) = θ/L`, for an objective whose smoothness scales with
  /// `θ`) is a reparametrisation, not a second switch: since `η∇ₓf = ∇ₓ(ηf)`, unroll with step 1
  /// the condition on the objective `f̃(x, θ) = η(θ)·f(x, θ)`. The iterates are the same; the
  /// unrolled derivative then includes the step's dependence on `θ`, and for a projection (a prox
  /// that ignores its scaling) the condition's roots are those of `f`. The SVM demo
  /// (`svm-hyperparameters`) does this in `log θ` and tests it against finite differences.
  @differentiable(reverse,wrt: θ)
  public func unrolled<Objective, Prox>(
    _ condition: ProximalGradientCondition<Objective, Prox>, _ θ: Vector<Double>, from x0: Vector<Double>
  ) -> Vector<Double> {
    let η: Double
    switch stepSize {
    case .fixed(let fixed): η = fixed
    case .backtracking(let initial?, _): η = initial
    case .backtracking(nil, _): η = condition.stepSize
    }
    // A differentiable function cannot throw: a step that is not finite and positive gives NaN,
    // never a trap and never a plausible vector (as `GradientDescent.unrolled`).
    guard η > 0, η.isFinite else { return Vector(repeating: .nan, count: x0.count) }
    let step = condition.with(stepSize: η)
    var x = x0, y = x0
    var t = 1.0
    for _ in 0..<withoutDerivative(at: maxIterations) {
      let next = y + step(y, θ)
      if acceleration {
        let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
        y = next + ((t - 1) / tNext) * (next - x)
        t = tNext
      } else {
        y = next
      }
      x = next
    }
    return x
  }
}
