public import ImplicitCore
import _Differentiation

/// Anderson acceleration (type II, "Anderson mixing") of a fixed-point iteration `x = T(x, θ)`.
///
/// With the last `m + 1` iterates `xᵢ` and residuals `gᵢ = T(xᵢ) − xᵢ`, it finds the affine
/// combination of residuals of least norm,
///
///     α = argmin ‖Σᵢ αᵢgᵢ‖²  subject to  Σᵢ αᵢ = 1,   solved as (G + λI)α̃ = 1, α = α̃/Σα̃
///
/// (`G` the Gram matrix of the residuals, `λ = regularization · max Gᵢᵢ`, a scale-free ridge that
/// keeps the small system solvable when residuals become collinear), and steps to
/// `x⁺ = Σᵢ αᵢ(xᵢ + β gᵢ)` (`β` the mixing parameter).
///
/// Safeguard: when the extrapolated point's residual is larger than `safeguard × ‖gₖ‖` (or
/// non-finite, or the small system is singular), the step is replaced by the plain step
/// `xₖ + β gₖ` (one extra evaluation of `T`). `safeguard = nil` turns that off.
/// Stops when `‖T(x, θ) − x‖ ≤ tolerance` and returns that `x`.
public struct AndersonAcceleration: FixedPointSolver, Sendable {
  /// `m`: how many previous residuals enter the combination.
  public var memory: Int
  /// `λ / max Gᵢᵢ` in the regularised least-squares system.
  public var regularization: Double
  /// `β ∈ (0, 1]`.
  public var mixing: Double
  /// Accept an extrapolated point only if its residual is at most this multiple of the
  /// current one (`nil`: always accept).
  public var safeguard: Double?
  /// Stop when `‖T(x, θ) − x‖ ≤ tolerance`.
  public var tolerance: Double
  /// Iterations allowed.
  public var maxIterations: Int

  public init(
    memory: Int = 5, regularization: Double = 1e-10, mixing: Double = 1, safeguard: Double? = 1,
    tolerance: Double = 1e-10, maxIterations: Int = 1_000
  ) {
    self.memory = memory
    self.regularization = regularization
    self.mixing = mixing
    self.safeguard = safeguard
    self.tolerance = tolerance
    self.maxIterations = maxIterations
  }

  /// Iterates from `initial`; the result's `residual` is `‖T(x, θ) − x‖` at the returned point.
  public func solve<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution
  ) throws -> SolverResult<Map.Solution> {
    guard memory >= 1 else { throw ImplicitError.invalidArgument("Anderson memory must be at least 1, got \(memory)") }
    guard mixing > 0, mixing <= 1 else {
      throw ImplicitError.invalidArgument("Anderson mixing must be in (0, 1], got \(mixing)")
    }
    guard regularization >= 0, regularization.isFinite else {
      throw ImplicitError.invalidArgument("Anderson regularization must be non-negative, got \(regularization)")
    }
    guard maxIterations >= 0 else { throw ImplicitError.invalidArgument("maxIterations must be non-negative") }
    guard tolerance >= 0 else {  // also refuses NaN, which would silently never converge
      throw ImplicitError.invalidArgument("tolerance must be non-negative, got \(tolerance)")
    }
    try map.validate(initial, θ)
    try ImplicitError.checkDimension("T(x0, θ)", map(initial, θ).dimension, expected: initial.dimension)
    func residual(_ x: Map.Solution) -> Map.Solution {
      var g = map(x, θ)
      g.addScaled(-1, x)
      return g
    }
    func result(_ x: Map.Solution, _ r: Double, _ k: Int, _ status: SolverStatus) -> SolverResult<Map.Solution> {
      SolverResult(
        solution: x, status: status, iterations: k, residual: r, tolerance: tolerance,
        solver: "anderson(m: \(memory))")
    }

    var history = AndersonHistory<Map.Solution>(capacity: memory + 1)
    var x = initial
    var g = residual(x)
    var norm = g.norm
    for k in 0...maxIterations {
      guard norm.isFinite, x.isFinite else { return result(x, norm, k, .nonFinite) }
      if norm <= tolerance { return result(x, norm, k, .converged) }
      if k == maxIterations { return result(x, norm, k, .maxIterationsReached) }
      history.append(x, g)

      var plain = x
      plain.addScaled(mixing, g)
      var next = plain
      var extrapolated = false
      if history.count > 1, let candidate = history.extrapolate(mixing: mixing, regularization: regularization) {
        next = candidate
        extrapolated = true
      }
      var nextG = residual(next)
      var nextNorm = nextG.norm
      if extrapolated, let factor = safeguard, !(nextNorm <= factor * norm) {
        // The extrapolation did not reduce the residual: take the plain step instead.
        next = plain
        nextG = residual(next)
        nextNorm = nextG.norm
      }
      x = next
      g = nextG
      norm = nextNorm
    }
    return result(x, norm, maxIterations, .maxIterationsReached)  // (not reached)
  }
}

/// The last iterates and residuals of Anderson acceleration, with their residuals' Gram matrix
/// kept up to date (one new row of inner products per iteration).
struct AndersonHistory<V: InnerProductSpace> {
  let capacity: Int
  private(set) var points: [V] = []
  private(set) var residuals: [V] = []
  private var gram: [[Double]] = []

  init(capacity: Int) { self.capacity = capacity }

  var count: Int { points.count }

  mutating func append(_ x: V, _ g: V) {
    if points.count == capacity {
      points.removeFirst()
      residuals.removeFirst()
      gram.removeFirst()
      for i in gram.indices { gram[i].removeFirst() }
    }
    let products = residuals.map { $0.innerProduct(with: g) }
    for i in gram.indices { gram[i].append(products[i]) }
    gram.append(products + [g.innerProduct(with: g)])
    points.append(x)
    residuals.append(g)
  }

  /// `Σ αᵢ(xᵢ + β gᵢ)` with the regularised least-norm weights, or `nil` if they are not finite.
  func extrapolate(mixing: Double, regularization: Double) -> V? {
    guard let w = weights(regularization: regularization) else { return nil }
    return combination(w.alpha, mixing: mixing)
  }

  /// `Σ αᵢ(xᵢ + β gᵢ)`.
  func combination(_ alpha: [Double], mixing: Double) -> V {
    var out = points[0].zeroLike
    for i in 0..<count {
      out.addScaled(alpha[i], points[i])
      out.addScaled(alpha[i] * mixing, residuals[i])
    }
    return out
  }

  /// The weights `α = α̃/Σα̃`, `(G/s + λI)α̃ = 1`, `s = max Gᵢᵢ` (at `scaleIndex`), with what
  /// their derivative needs; `nil` if they are not finite.
  func weights(regularization: Double) -> AndersonWeights? {
    let n = count
    let diagonal = (0..<n).map { gram[$0][$0] }
    guard let scale = diagonal.max(), scale > 0, scale.isFinite else { return nil }
    var system = Matrix<Double>.zeros(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n { system[i, j] = gram[i][j] / scale }
      system[i, i] += regularization
    }
    guard let lu = LUFactorization(system), !lu.isSingular else { return nil }
    let raw = lu.solve([Double](repeating: 1, count: n))
    let total = raw.reduce(0, +)
    guard total.isFinite, Swift.abs(total) > 1e-300 else { return nil }
    let alpha = raw.map { $0 / total }
    guard alpha.allSatisfy(\.isFinite) else { return nil }
    return AndersonWeights(
      alpha: alpha, raw: raw, total: total, scale: scale, scaleIndex: diagonal.firstIndex(of: scale)!, gram: gram,
      lu: lu)
  }
}

/// Anderson weights and the pieces of their reverse product.
struct AndersonWeights {
  let alpha: [Double]
  let raw: [Double]
  let total: Double
  let scale: Double
  let scaleIndex: Int
  let gram: [[Double]]
  let lu: LUFactorization

  /// `∂L/∂G` from `∂L/∂α`, through `α = α̃/Σα̃`, `α̃ = M⁻¹1`, `M = G/s + λI`, `s = max Gᵢᵢ`.
  func gramCotangent(_ alphaBar: [Double]) -> [[Double]] {
    let n = alpha.count
    let weighted = zip(alphaBar, alpha).map { $0 * $1 }.reduce(0, +)
    let rawBar = alphaBar.map { ($0 - weighted) / total }
    let w = lu.solveTransposed(rawBar)  // M̄ = −w α̃ᵀ
    var gramBar = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    var scaleBar = 0.0
    for i in 0..<n {
      for j in 0..<n {
        let mBar = -w[i] * raw[j]
        gramBar[i][j] = mBar / scale
        scaleBar -= mBar * gram[i][j] / (scale * scale)
      }
    }
    gramBar[scaleIndex][scaleIndex] += scaleBar
    return gramBar
  }
}

// MARK: - Unrolled differentiation

extension AndersonAcceleration {
  /// Exactly `iterations` Anderson steps from `initial` — the iterates of ``solve(_:_:from:)``
  /// with `tolerance: 0, maxIterations: iterations` — as a differentiable function of `θ`, by
  /// reverse mode **through the iterations** (JAXopt's `implicit_diff=False`). Every step is
  /// differentiated exactly: the map through its own pullback, the mixing weights through their
  /// small least-squares solve (`α = α̃/Σα̃`, `(G/s + λI)α̃ = 1`: one transposed solve with the
  /// step's LU factors per step, the Gram matrix's and the scale's dependence on the residuals
  /// included). The safeguard's choice between the extrapolated and the plain step is a branch,
  /// held fixed (the derivative is that of the branch taken). Memory grows with `iterations`;
  /// the map's ``FixedPointMap/validate(_:_:)`` is not called (a differentiable function cannot
  /// throw): call ``solve(_:_:from:)`` for a checked run.
  ///
  /// ```swift
  /// let g = gradient(at: θ) { θ in loss(AndersonAcceleration().unrolled(map, θ, from: x0, iterations: 20)) }
  /// ```
  @differentiable(reverse,wrt: θ)
  public func unrolled<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution, iterations: Int
  ) -> Map.Solution {
    unrolledRun(map, θ, from: initial, iterations: iterations, recording: false).x
  }

  @usableFromInline
  @derivative(of: unrolled, wrt: θ)
  func _vjpUnrolled<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution, iterations: Int
  ) -> (value: Map.Solution, pullback: (Map.Solution) -> Map.Parameter) {
    let (x, tape) = unrolledRun(map, θ, from: initial, iterations: iterations, recording: true)
    return (
      x,
      { v in
        let steps = tape.count
        var θBar = θ.zeroLike
        guard steps > 0 else { return θBar }
        // Cotangents of x_k and g_k = T(x_k) − x_k, filled from the last step back.
        var xBar = tape.map { $0.x.zeroLike }
        var gBar = xBar
        var next = v.materialized(like: x)  // the cotangent of x_{k+1}
        for k in stride(from: steps - 1, through: 0, by: -1) {
          let step = tape[k]
          if let w = step.weights {
            // x_{k+1} = Σ αᵢ(x_i + β g_i) over the window ending at k.
            let window = (k - w.alpha.count + 1)...k
            var alphaBar = [Double]()
            for (offset, i) in window.enumerated() {
              xBar[i].addScaled(w.alpha[offset], next)
              gBar[i].addScaled(w.alpha[offset] * mixing, next)
              alphaBar.append(tape[i].x.innerProduct(with: next) + mixing * tape[i].g.innerProduct(with: next))
            }
            let gramBar = w.gramCotangent(alphaBar)
            for (a, i) in window.enumerated() {
              for (b, j) in window.enumerated() {
                gBar[i].addScaled(gramBar[a][b], tape[j].g)
                gBar[j].addScaled(gramBar[a][b], tape[i].g)
              }
            }
          } else {
            xBar[k].addScaled(1, next)  // x_{k+1} = x_k + β g_k
            gBar[k].addScaled(mixing, next)
          }
          // g_k is complete: through T(x_k, θ) − x_k.
          let (tx, tθ) = step.pullback(gBar[k])
          xBar[k].addScaled(1, tx.materialized(like: step.x))
          xBar[k].addScaled(-1, gBar[k])
          θBar.addScaled(1, tθ.materialized(like: θ))
          next = xBar[k]
        }
        return θBar
      }
    )
  }

  /// The unrolled iterations; with `recording`, each step's point, residual, map pullback and
  /// (for an accepted extrapolation) its weights.
  func unrolledRun<Map: FixedPointMap>(
    _ map: Map, _ θ: Map.Parameter, from initial: Map.Solution, iterations: Int, recording: Bool
  ) -> (x: Map.Solution, tape: [AndersonTapeStep<Map.Solution, Map.Parameter>]) {
    func evaluate(_ x: Map.Solution) -> (g: Map.Solution, pullback: (Map.Solution) -> (Map.Solution, Map.Parameter)) {
      if recording {
        let (t, pullback) = valueWithPullback(at: x, θ) { x, θ in map(x, θ) }
        var g = t
        g.addScaled(-1, x)
        return (g, pullback)
      }
      var g = map(x, θ)
      g.addScaled(-1, x)
      return (g, { _ in (.zero, .zero) })
    }
    var tape = [AndersonTapeStep<Map.Solution, Map.Parameter>]()
    var history = AndersonHistory<Map.Solution>(capacity: memory + 1)
    var x = initial
    var current = evaluate(x)
    for _ in 0..<max(iterations, 0) {
      history.append(x, current.g)
      var plain = x
      plain.addScaled(mixing, current.g)
      var next = plain
      var weights: AndersonWeights? = nil
      if history.count > 1, let w = history.weights(regularization: regularization) {
        next = history.combination(w.alpha, mixing: mixing)
        weights = w
      }
      var nextEvaluation = evaluate(next)
      if weights != nil, let factor = safeguard, !(nextEvaluation.g.norm <= factor * current.g.norm) {
        next = plain
        nextEvaluation = evaluate(next)
        weights = nil
      }
      if recording { tape.append(AndersonTapeStep(x: x, g: current.g, pullback: current.pullback, weights: weights)) }
      x = next
      current = nextEvaluation
    }
    return (x, tape)
  }
}

/// One recorded Anderson step: the point `x_k`, its residual `g_k`, the map's pullback at `x_k`,
/// and the weights when the step extrapolated.
struct AndersonTapeStep<Solution, Parameter> {
  let x: Solution
  let g: Solution
  let pullback: (Solution) -> (Solution, Parameter)
  let weights: AndersonWeights?
}
