public import ImplicitCore
import ImplicitObjectives
import _Differentiation

/// Gradient descent, plain or accelerated (Nesterov), with step `1/L`:
///
///     plain:        x ← x − ∇ₓf(x, θ)/L
///     accelerated:  x⁺ = y − ∇ₓf(y, θ)/L,  t⁺ = (1 + √(1 + 4t²))/2,  y ← x⁺ + (t − 1)/t⁺ · (x⁺ − x)
///
/// `L` is the Lipschitz constant of `∇ₓf(·, θ)`: given, taken from a ``SmoothObjective``, or
/// estimated (see ``StepSize``). Stops when `‖∇ₓf‖ ≤ tolerance` (at the point where the gradient
/// was evaluated, which is then returned), or runs exactly the given number of steps in fixed mode
/// (benchmarks: no early stopping, the returned point is the last `x`, as in JAXopt).
/// ``unrolled(_:_:from:iterations:)`` runs the fixed iterations as a function differentiable
/// through them.
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

  /// Minimises `f(·, θ)` from `initial`; the result's `residual` is `‖∇ₓf‖` at the returned
  /// point. Throws ``ImplicitError`` for NaN input, rejected shapes or a step that is not
  /// positive and finite.
  public func solve<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, from initial: Vector<Double>
  ) throws -> SolverResult<Vector<Double>> {
    try iterate(objective, [θ], from: initial)[0].get()
  }

  /// Minimises `f(·, θᵢ)` from `initial` for every `θᵢ` of the batch, advancing all elements
  /// together: one result per element, in order, each what ``solve(_:_:from:)`` returns or throws
  /// for that `θᵢ` alone (same iterations, step, restarts, stopping and status; the iterates
  /// agree up to the rounding of the gradients' sums).
  ///
  /// Each iteration asks the objective for the gradients of every element still running at once:
  /// a ``BatchedGradientObjective`` (``RidgeRegression``, ``LeastSquares`` and
  /// ``BinaryLogisticRegression`` on a dense design) computes them as matrix–matrix products that read the data once for the whole batch — the
  /// fast way to sweep `θ` on one dataset; other objectives get one gradient per element. The
  /// products use the kernels' threads (``Kernels/availableThreads``). An element whose input is
  /// invalid, whose step is not positive and finite, or whose iterate becomes non-finite stops
  /// alone (with the error or status it would have alone); the others run on, and an element that
  /// converges leaves the batch.
  ///
  /// ```swift
  /// let solver = GradientDescent.accelerated(mode: .fixedIterations(300))
  /// let results = solver.solve(f, Batch(θs), from: .zeros(p))  // [Result<SolverResult, any Error>]
  /// ```
  public func solve<Objective: ParametricObjective>(
    _ objective: Objective, _ θs: Batch<Vector<Double>>, from initial: Vector<Double>
  ) -> [Result<SolverResult<Vector<Double>>, any Error>] {
    iterate(objective, θs.elements, from: initial)
  }

  /// The iteration of ``solve(_:_:from:)`` for every `θ` of `θs` together (one implementation for
  /// one `θ` and for a batch).
  func iterate<Objective: ParametricObjective>(
    _ objective: Objective, _ θs: [Vector<Double>], from initial: Vector<Double>
  ) -> [Result<SolverResult<Vector<Double>>, any Error>] {
    let (limit, fixed): (Int, Bool) =
      switch mode {
      case .untilConverged(let m): (max(m, 0), false)
      case .fixedIterations(let k): (max(k, 0), true)
      }
    var results = [Result<SolverResult<Vector<Double>>, any Error>?](repeating: nil, count: θs.count)
    func finish(_ index: Int, _ x: Vector<Double>, _ norm: Double, _ k: Int, _ status: SolverStatus) {
      results[index] = .success(
        SolverResult(solution: x, status: status, iterations: k, residual: norm, tolerance: tolerance, solver: name))
    }
    // The elements still running, as parallel arrays: their index, θ, step, x, y and t.
    var live = [Int](), liveθ = [Vector<Double>](), eta = [Double]()
    for (i, θ) in θs.enumerated() {
      do {
        try validateInput(objective, initial, θ, tolerance: tolerance)
        let step = step(for: objective, at: initial, θ)
        guard step > 0, step.isFinite else {
          throw ImplicitError.invalidArgument("gradient descent: step size \(step) is not positive and finite")
        }
        (live, liveθ, eta) = (live + [i], liveθ + [θ], eta + [step])
      } catch {
        results[i] = .failure(error)
      }
    }
    let batched = objective as? any BatchedGradientObjective
    // ∇ₓf at every live element's point: one batched call, or one gradient per element.
    func gradients(_ points: [Vector<Double>]) throws -> [Vector<Double>] {
      if points.count > 1, let batched { return try batched.gradients(at: points, liveθ) }
      return zip(points, liveθ).map { objective.solutionGradient(at: $0, $1) }
    }
    // The batched gradients reject only what `validateInput` rejected already; should they throw
    // anyway, every element still running gets the error.
    func failLive(_ error: any Error) {
      for index in live { results[index] = .failure(error) }
      live = []
    }
    var x = [Vector<Double>](repeating: initial, count: live.count), y = x
    var t = [Double](repeating: 1, count: live.count)
    for k in 0..<limit {
      if live.isEmpty { break }
      let g: [Vector<Double>]
      do { g = try gradients(y) } catch {
        failLive(error)
        break
      }
      var running = [Bool](repeating: true, count: live.count)
      for e in live.indices {
        let gradientNorm = g[e].norm
        guard gradientNorm.isFinite else {
          finish(live[e], y[e], gradientNorm, k, .nonFinite)
          running[e] = false
          continue
        }
        if !fixed && gradientNorm <= tolerance {
          finish(live[e], y[e], gradientNorm, k, .converged)
          running[e] = false
          continue
        }
        var next = y[e]
        next.addScaled(-eta[e], g[e])
        if !accelerated {
          y[e] = next
          x[e] = next
          continue
        }
        let tNext = (1 + (1 + 4 * t[e] * t[e]).squareRoot()) / 2
        var momentum = next
        momentum.addScaled(-1, x[e])
        if !fixed && adaptiveRestart && g[e].innerProduct(with: momentum) > 0 {
          // The momentum points uphill: restart from the plain gradient step.
          t[e] = 1
          x[e] = next
          y[e] = next
          continue
        }
        y[e] = next
        y[e].addScaled((t[e] - 1) / tNext, momentum)
        x[e] = next
        t[e] = tNext
      }
      if running.contains(false) {
        let kept = live.indices.filter { running[$0] }
        (live, liveθ, eta) = (kept.map { live[$0] }, kept.map { liveθ[$0] }, kept.map { eta[$0] })
        (x, y, t) = (kept.map { x[$0] }, kept.map { y[$0] }, kept.map { t[$0] })
      }
    }
    // One more gradient, so that the reported norm is the returned point's.
    let returned = fixed ? x : y
    let finalGradients: [Vector<Double>]
    do { finalGradients = try gradients(returned) } catch {
      failLive(error)
      finalGradients = []
    }
    for (e, g) in finalGradients.enumerated() {
      let finalNorm = g.norm
      let status: SolverStatus =
        !finalNorm.isFinite
        ? .nonFinite : fixed ? .completedFixedIterations : finalNorm <= tolerance ? .converged : .maxIterationsReached
      finish(live[e], returned[e], finalNorm, limit, status)
    }
    return results.map { $0 ?? .failure(ImplicitError.invalidArgument("gradient descent: element not solved")) }
  }

  /// The unrolled solver `θ ↦ x_K(θ)`: exactly `iterations` steps from `initial` (plain or
  /// Nesterov-accelerated, as this solver is configured; no restart, no early stopping, so the
  /// iterates are those of `mode: .fixedIterations(iterations)`), differentiable by Swift's
  /// reverse mode *through the iterations* (JAXopt's `implicit_diff=False`).
  ///
  /// Use it instead of ``ImplicitFunction/init(minimizing:stronglyConvex:solver:initialGuess:options:)``
  /// to get `∂x_K/∂θ` of the truncated solver rather than the implicit `∂x*/∂θ`; the two agree
  /// as `K` grows when the iteration converges. The step `1/L` is computed once at
  /// `(initial, θ)` and held constant in the derivative (as with a fixed step in JAXopt). Each
  /// step's derivative is the exact `(I − η∇²ₓₓf, −η∂∇ₓf/∂θ)` from
  /// ``ParametricObjective/gradientPullback(at:_:_:)`` (AD cannot differentiate `∇ₓf` again).
  /// Memory grows linearly with `iterations` (every iterate is kept for the reverse pass).
  ///
  /// A differentiable function cannot throw: invalid input (NaN, rejected shapes, a step that is
  /// not positive and finite) returns a NaN vector; ``solve(_:_:from:)`` reports why.
  ///
  /// ```swift
  /// let solver = GradientDescent(stepSize: .inverseLipschitz(L))
  /// let g = gradient(at: θ) { θ in validationLoss(solver.unrolled(f, θ, from: x0, iterations: 200)) }
  /// ```
  @differentiable(reverse,wrt: θ)
  public func unrolled<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, from initial: Vector<Double>, iterations: Int
  ) -> Vector<Double> {
    let fixedθ = withoutDerivative(at: θ)
    let eta = isValidInput(objective, initial, fixedθ) ? step(for: objective, at: initial, fixedθ) : .nan
    guard eta > 0, eta.isFinite else { return Vector(repeating: .nan, count: initial.count) }
    let gradientStep = GradientStep(objective: objective, eta: eta)
    var x = initial
    if !accelerated {
      for _ in 0..<max(iterations, 0) { x = gradientStep(x, θ) }
      return x
    }
    var y = initial
    var t = 1.0
    for _ in 0..<max(iterations, 0) {
      let next = gradientStep(y, θ)
      let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
      y = next + ((t - 1) / tNext) * (next - x)
      x = next
      t = tNext
    }
    return x
  }
}

/// One gradient step `(x, θ) ↦ x − η∇ₓf(x, θ)`, differentiable in both arguments with a
/// hand-registered derivative: AD cannot differentiate the gradient a second time, so the
/// pullback is `(u − η∇²ₓₓf·u, −η(∂∇ₓf/∂θ)ᵀu)`, exact, from one reverse pass over dual numbers.
struct GradientStep<Objective: ParametricObjective> {
  let objective: Objective
  let eta: Double

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var next = x
    next.addScaled(-eta, objective.solutionGradient(at: x, θ))
    return next
  }

  @derivative(of: callAsFunction)
  func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let (objective, eta) = (self.objective, self.eta)
    return (
      callAsFunction(x, θ),
      { u in
        if u.isSymbolicZero { return (Vector.zeros(x.count), Vector.zeros(θ.count)) }
        let (hu, bu) = objective.gradientPullback(at: x, θ, u)
        var dx = u
        dx.addScaled(-eta, hu)
        return (dx, bu.scaled(by: -eta))
      }
    )
  }
}
