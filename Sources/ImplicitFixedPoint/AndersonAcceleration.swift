public import ImplicitCore

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
    let n = count
    let scale = (0..<n).map { gram[$0][$0] }.max() ?? 0
    guard scale > 0, scale.isFinite else { return nil }
    var system = Matrix<Double>.zeros(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n { system[i, j] = gram[i][j] / scale }
      system[i, i] += regularization
    }
    guard let lu = LUFactorization(system), !lu.isSingular else { return nil }
    let raw = lu.solve([Double](repeating: 1, count: n))
    let total = raw.reduce(0, +)
    guard total.isFinite, Swift.abs(total) > 1e-300 else { return nil }
    var out = points[0].zeroLike
    for i in 0..<n {
      let alpha = raw[i] / total
      guard alpha.isFinite else { return nil }
      out.addScaled(alpha, points[i])
      out.addScaled(alpha * mixing, residuals[i])
    }
    return out
  }
}
