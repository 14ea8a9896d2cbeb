public import ImplicitCore

/// Bisection for the simplex threshold: the root `τ` of `g(τ) = Σᵢ relu(zᵢ − τ) − s`
/// (non-increasing, piecewise linear), bracketed by `[max z − s, max z]` where
/// `g(max z − s) ≥ 0 ≥ g(max z)`.
public enum SimplexThresholdBisection {
  /// The root and how it was reached.
  public struct Result: Sendable {
    public var threshold: Double
    public var iterations: Int
    /// `|g(τ)|` at the returned threshold.
    public var residual: Double
  }

  /// Solves `Σ relu(zᵢ − τ) = s`, stopping once `|g(τ)| ≤ tolerance` (with the default
  /// `tolerance = 0`: when the bracket stops shrinking, i.e. at machine precision).
  ///
  /// Throws ``ImplicitError`` on bad input (see ``SimplexThresholdCondition/validate(_:_:)``), and
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)`` if `|g(τ)|` ends above
  /// both `tolerance` and the rounding floor `4nε·max|z| + εs`.
  public static func solve(
    _ z: Vector<Double>, simplexValue s: Double = 1, tolerance: Double = 0, maxIterations: Int = 200
  ) throws -> Result {
    try SimplexThresholdCondition(simplexValue: s).validate(0, z)
    guard tolerance >= 0, maxIterations >= 0 else {
      throw ImplicitError.invalidArgument(
        "the bisection needs tolerance ≥ 0 and maxIterations ≥ 0, got \(tolerance), \(maxIterations)")
    }
    func g(_ tau: Double) -> Double { z.scalars.reduce(0) { $0 + max($1 - tau, 0) } - s }
    let top = z.scalars.max()!
    var lo = top - s, hi = top
    var iterations = 0
    while iterations < maxIterations {
      let mid = 0.5 * (lo + hi)
      if mid <= lo || mid >= hi { break }
      iterations += 1
      let value = g(mid)
      if abs(value) <= tolerance { return Result(threshold: mid, iterations: iterations, residual: abs(value)) }
      if value >= 0 { lo = mid } else { hi = mid }
    }
    let tau = abs(g(lo)) <= abs(g(hi)) ? lo : hi
    let residual = abs(g(tau))
    let roundingFloor = 4 * Double(z.count) * Double.ulpOfOne * z.scalars.map(abs).max()! + Double.ulpOfOne * s
    if !(residual <= max(tolerance, roundingFloor)) {
      throw ImplicitError.solverDidNotConverge(
        solver: "simplex-threshold bisection", iterations: iterations, residual: residual)
    }
    return Result(threshold: tau, iterations: iterations, residual: residual)
  }
}
