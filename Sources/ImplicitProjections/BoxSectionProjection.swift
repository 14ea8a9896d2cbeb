public import ImplicitCore

/// Projection onto a box section `{p : lower ≤ p ≤ upper, wᵀp = c}` (`θ` a ``BoxSection``).
///
/// The KKT conditions give `p(τ) = clip(z − τw, lower, upper)` with the multiplier `τ` the root
/// of the non-increasing, piecewise-linear `g(τ) = wᵀp(τ) − c`. It is found exactly: binary
/// search over the sorted breakpoints `(zᵢ − lowerᵢ)/wᵢ`, `(zᵢ − upperᵢ)/wᵢ`, then the linear
/// piece solved in closed form.
///
/// Jacobian. With `F` the free coordinates (`lowerᵢ < zᵢ − τwᵢ < upperᵢ`), `L`/`U` those at
/// their lower/upper bound, `W = Σ_F wᵢ²`: `dpᵢ = dzᵢ − wᵢdτ − τdwᵢ` on `F`, `dlowerᵢ` on `L`,
/// `dupperᵢ` on `U`, and differentiating `wᵀp = c`,
///
///     dτ = [Σ pᵢdwᵢ + Σ_F wᵢ(dzᵢ − τdwᵢ) + Σ_L wᵢdlowerᵢ + Σ_U wᵢdupperᵢ − dc] / W
///
/// Reverse, with `k = Σ_F uᵢwᵢ / W` and `vᵢ = uᵢ − k·wᵢ`:
///
///     (∂P/∂z)ᵀu = 𝟙_F v,  (∂P/∂lower)ᵀu = 𝟙_L v,  (∂P/∂upper)ᵀu = 𝟙_U v,
///     (∂P/∂w)ᵀu = −τ·𝟙_F v − k·p,  (∂P/∂c)ᵀu = k
///
/// One-sided choices: a coordinate exactly at a bound counts as clipped (as in
/// ``BoxProjection``); when no coordinate is free (`W = 0`) `τ` does not move (`k = 0`).
/// Bounds may be infinite. An infeasible section makes ``project(_:_:)`` return NaN and
/// ``validate(_:_:)`` throw.
public struct BoxSectionProjection: Projection, Sendable {
  public init() {}

  /// The pieces at multiplier `τ`: −1 at the lower bound, +1 at the upper bound, 0 free.
  func sides(_ z: Vector<Double>, _ θ: BoxSection, _ tau: Double) -> [Int] {
    (0..<z.count).map { i in
      let t = z[i] - tau * θ.weights[i]
      return t <= θ.lower[i] ? -1 : (t >= θ.upper[i] ? 1 : 0)
    }
  }

  func clipped(_ z: Vector<Double>, _ θ: BoxSection, _ tau: Double) -> [Double] {
    (0..<z.count).map { i in min(max(z[i] - tau * θ.weights[i], θ.lower[i]), θ.upper[i]) }
  }

  /// `g(τ) = wᵀclip(z − τw) − c`.
  func excess(_ z: Vector<Double>, _ θ: BoxSection, _ tau: Double) -> Double {
    zip(θ.weights.scalars, clipped(z, θ, tau)).map { $0 * $1 }.reduce(0, +) - θ.value
  }

  /// The multiplier `τ`, or `nil` when the section is empty.
  public func multiplier(_ z: Vector<Double>, _ θ: BoxSection) -> Double? {
    let n = z.count
    var breakpoints = [Double]()
    for i in 0..<n where θ.weights[i] != 0 {
      for bound in [θ.lower[i], θ.upper[i]] where bound.isFinite { breakpoints.append((z[i] - bound) / θ.weights[i]) }
    }
    breakpoints.sort()
    guard let first = breakpoints.first, let last = breakpoints.last else {
      // One linear piece: constant unless a weighted coordinate is unbounded.
      return excess(z, θ, 0) == 0 ? 0 : linearRoot(z, θ, probe: 0, in: -Double.infinity, Double.infinity)
    }
    // Beyond the extreme breakpoints g is linear: constant, or (an infinite bound on a weighted
    // coordinate) unbounded, with its root on that piece.
    if excess(z, θ, first) < 0 { return linearRoot(z, θ, probe: first - (1 + abs(first)), in: -.infinity, first) }
    if excess(z, θ, last) > 0 { return linearRoot(z, θ, probe: last + (1 + abs(last)), in: last, .infinity) }
    // Invariant: g(breakpoints[lo]) ≥ 0 ≥ g(breakpoints[hi]).
    var lo = 0, hi = breakpoints.count - 1
    while hi - lo > 1 {
      let mid = (lo + hi) / 2
      if excess(z, θ, breakpoints[mid]) >= 0 { lo = mid } else { hi = mid }
    }
    let a = breakpoints[lo], b = breakpoints[hi]
    return linearRoot(z, θ, probe: 0.5 * (a + b), in: a, b) ?? a
  }

  /// The root of `g` on the linear piece that contains `probe`, clamped to `[a, b]`; `nil` when
  /// `g` is constant there (no free weighted coordinate).
  func linearRoot(_ z: Vector<Double>, _ θ: BoxSection, probe: Double, in a: Double, _ b: Double) -> Double? {
    let side = sides(z, θ, probe)
    var numerator = -θ.value, w2 = 0.0
    for i in 0..<z.count {
      let w = θ.weights[i]
      switch side[i] {
      case -1: numerator += w * θ.lower[i]
      case 1: numerator += w * θ.upper[i]
      default:
        numerator += w * z[i]
        w2 += w * w
      }
    }
    guard w2 > 0 else { return nil }
    return min(max(numerator / w2, a), b)
  }

  public func project(_ z: Vector<Double>, _ θ: BoxSection) -> Vector<Double> {
    guard let tau = multiplier(z, θ) else { return Vector(repeating: .nan, count: z.count) }
    return Vector(clipped(z, θ, tau))
  }

  public func jvp(at z: Vector<Double>, _ θ: BoxSection, _ dz: Vector<Double>, _ dθ: BoxSection) -> Vector<Double> {
    let n = z.count
    guard let tau = multiplier(z, θ) else { return Vector(repeating: .nan, count: n) }
    let p = clipped(z, θ, tau), side = sides(z, θ, tau), w = θ.weights
    let dz = dz.expanded(to: n), dl = dθ.lower.expanded(to: n), du = dθ.upper.expanded(to: n)
    let dw = dθ.weights.expanded(to: n)
    var numerator = -dθ.value, w2 = 0.0
    for i in 0..<n {
      numerator += p[i] * dw[i]
      switch side[i] {
      case -1: numerator += w[i] * dl[i]
      case 1: numerator += w[i] * du[i]
      default:
        numerator += w[i] * (dz[i] - tau * dw[i])
        w2 += w[i] * w[i]
      }
    }
    let dtau = w2 > 0 ? numerator / w2 : 0
    return Vector((0..<n).map { i in side[i] < 0 ? dl[i] : (side[i] > 0 ? du[i] : dz[i] - w[i] * dtau - tau * dw[i]) })
  }

  public func vjp(at z: Vector<Double>, _ θ: BoxSection, _ u: Vector<Double>) -> (z: Vector<Double>, θ: BoxSection) {
    let n = z.count
    guard let tau = multiplier(z, θ) else {
      return (Vector(repeating: .nan, count: n), θ.unflattened([Double](repeating: .nan, count: θ.dimension)))
    }
    let p = clipped(z, θ, tau), side = sides(z, θ, tau), w = θ.weights
    let u = u.expanded(to: n)
    var uw = 0.0, w2 = 0.0
    for i in 0..<n where side[i] == 0 {
      uw += u[i] * w[i]
      w2 += w[i] * w[i]
    }
    let k = w2 > 0 ? uw / w2 : 0
    let v = (0..<n).map { u[$0] - k * w[$0] }
    return (
      Vector((0..<n).map { side[$0] == 0 ? v[$0] : 0 }),
      BoxSection(
        lower: Vector((0..<n).map { side[$0] < 0 ? v[$0] : 0 }),
        upper: Vector((0..<n).map { side[$0] > 0 ? v[$0] : 0 }),
        weights: Vector((0..<n).map { (side[$0] == 0 ? -tau * v[$0] : 0) - k * p[$0] }),
        value: k)
    )
  }

  /// Requires finite `z`, `w`, `c`, bounds of matching sizes without NaN, `lower ≤ upper`, and a
  /// non-empty section.
  public func validate(dimension n: Int, _ θ: BoxSection) throws {
    try BoxProjection().validate(dimension: n, BoxBounds(lower: θ.lower, upper: θ.upper))
    try ProjectionChecks.count("weights (one per coordinate)", θ.weights, n)
    try ProjectionChecks.finite("weights", θ.weights)
    try ProjectionChecks.finite("the value c", θ.value)
    // Whether the section is empty does not depend on the point.
    if multiplier(Vector.zeros(n), θ) == nil {
      throw ImplicitError.invalidArgument("empty box section: no lower ≤ x ≤ upper has wᵀx = \(θ.value)")
    }
  }

  /// ``validate(dimension:_:)``, finite `z`, and a finite result (no overflow in `wᵀz`).
  public func validate(_ z: Vector<Double>, _ θ: BoxSection) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, θ)
    try ProjectionChecks.finiteResult(project(z, θ), "the projection onto the box section")
  }
}
