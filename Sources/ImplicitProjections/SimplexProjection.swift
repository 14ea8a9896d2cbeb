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
///
/// Precision: the threshold is computed relative to `m = max z` (`τ = m + τ′`), and
/// `pᵢ = (zᵢ − m) − τ′`. Entries of the support lie within `s` of `m`, so `zᵢ − m` is exact or
/// rounded relative to `s`, and `Σp = s` holds to a few ulps of `s` even when `s` is tiny next
/// to `|z|` (with `τ` itself, `zᵢ − τ` would be rounded relative to `|z|`).
///
/// ``project(_:_:)`` and the products assume input accepted by ``validate(_:_:)``.
public struct SimplexProjection: Projection, Sendable {
  public init() {}

  public func project(_ z: Vector<Double>, _ s: Double) -> Vector<Double> {
    Vector(SimplexProjection.shiftedThreshold(z, s).entries)
  }

  /// The `τ` with `Σ max(zᵢ − τ, 0) = s` (for `s ≥ 0`), by sorting (`O(n log n)`). Rounded
  /// relative to `max|z|`; ``project(_:_:)`` does not go through it.
  public static func threshold(_ z: Vector<Double>, _ s: Double) -> Double {
    let shifted = shiftedThreshold(z, s)
    return shifted.top + shifted.offset
  }

  /// `m = max z`, `τ′ = τ − m` and the projected entries `max((zᵢ − m) − τ′, 0)`.
  static func shiftedThreshold(_ z: Vector<Double>, _ s: Double) -> (top: Double, offset: Double, entries: [Double]) {
    guard let top = z.scalars.max() else { return (0, 0, []) }
    let shifted = z.scalars.map { $0 - top }
    let sorted = shifted.sorted(by: >)
    // Compensated running sum (Neumaier): the partial sums reach |S|·s, their rounding must not.
    var sum = 0.0, compensation = 0.0
    var offset = -s
    for (k, value) in sorted.enumerated() {
      let t = sum + value
      compensation += abs(sum) >= abs(value) ? (sum - t) + value : (value - t) + sum
      sum = t
      let candidate = ((sum - s) + compensation) / Double(k + 1)
      if value - candidate > 0 { offset = candidate } else { break }
    }
    return (top, offset, shifted.map { max($0 - offset, 0) })
  }

  /// The support indicator `𝟙_S` of `P(z, s)` (`S = {pᵢ > 0}`) and its size.
  func support(_ z: Vector<Double>, _ s: Double) -> (indicator: [Double], size: Double) {
    let indicator = SimplexProjection.shiftedThreshold(z, s).entries.map { $0 > 0 ? 1.0 : 0.0 }
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

  /// Requires a finite `s ≥ 0`, and `n > 0` when `s > 0`.
  public func validate(dimension n: Int, _ s: Double) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.nonNegative("the simplex value s", s)
    if n == 0 && s > 0 { throw ImplicitError.invalidArgument("the simplex in dimension 0 is empty") }
  }

  /// Also requires finite `z` and a finite result (`zᵢ − max z` can overflow near ±1.8e308).
  public func validate(_ z: Vector<Double>, _ s: Double) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, s)
    try ProjectionChecks.finiteResult(project(z, s), "the projection onto the simplex")
  }
}
