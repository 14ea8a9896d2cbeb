public import ImplicitCore

/// Projection onto the simplex `{p ≥ 0, Σp = s}` (`θ = s`, the simplex value, default 1) —
/// sparsemax when `s = 1`.
///
/// Sort-based: `p = max(z − τ, 0)` with `τ` chosen so that the entries sum to `s`. On the
/// support `S = {i : pᵢ > 0}` the Jacobian is
///
///     ∂P/∂z = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|,    ∂P/∂s = 𝟙_S/|S|
///
/// (differentiate `Σ_S (zᵢ − τ) = s`: `dτ = (𝟙_Sᵀdz − ds)/|S|`, `dpᵢ = 𝟙_S(dzᵢ − dτ)`).
/// `∂P/∂z` is symmetric. At ties (`zᵢ − τ = 0` exactly) the one-sided choice
/// `S = {pᵢ > 0}` is used, i.e. such entries count as outside the support.
public struct SimplexProjection: Projection {
  public init() {}

  public func project(_ z: Vector<Double>, _ s: Double) -> Vector<Double> {
    let tau = SimplexProjection.threshold(z, s)
    return Vector(z.scalars.map { max($0 - tau, 0) })
  }

  /// The `τ` with `Σ max(zᵢ − τ, 0) = s` (for `s ≥ 0`), by sorting (`O(n log n)`).
  public static func threshold(_ z: Vector<Double>, _ s: Double) -> Double {
    let sorted = z.scalars.sorted(by: >)
    var cumulative = 0.0
    var tau = sorted.first.map { $0 - s } ?? 0
    for (k, value) in sorted.enumerated() {
      cumulative += value
      let candidate = (cumulative - s) / Double(k + 1)
      if value - candidate > 0 { tau = candidate } else { break }
    }
    return tau
  }

  /// The support indicator `𝟙_S` of `P(z, s)` and its size.
  func support(_ z: Vector<Double>, _ s: Double) -> (indicator: [Double], size: Double) {
    let tau = SimplexProjection.threshold(z, s)
    let indicator = z.scalars.map { $0 - tau > 0 ? 1.0 : 0.0 }
    return (indicator, indicator.reduce(0, +))
  }

  public func jvp(at z: Vector<Double>, _ s: Double, _ dz: Vector<Double>, _ ds: Double) -> Vector<Double> {
    let (indicator, size) = support(z, s)
    guard size > 0 else { return Vector.zeros(z.count) }
    let dz = dz.expanded(to: z.count)
    let mean = (zip(indicator, dz.scalars).map { $0 * $1 }.reduce(0, +) - ds) / size
    return Vector(zip(indicator, dz.scalars).map { $0 * ($1 - mean) })
  }

  public func vjp(at z: Vector<Double>, _ s: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let (indicator, size) = support(z, s)
    guard size > 0 else { return (Vector.zeros(z.count), 0) }
    let u = u.expanded(to: z.count)
    let mean = zip(indicator, u.scalars).map { $0 * $1 }.reduce(0, +) / size
    return (Vector(zip(indicator, u.scalars).map { $0 * ($1 - mean) }), mean)
  }

  /// Requires finite `z`, a finite `s ≥ 0`, and at least one entry when `s > 0`.
  public func validate(_ z: Vector<Double>, _ s: Double) throws {
    try ProjectionChecks.finite("z", z)
    try ProjectionChecks.nonNegative("the simplex value s", s)
    if z.isEmpty && s > 0 { throw ImplicitError.invalidArgument("the simplex in dimension 0 is empty") }
  }
}
