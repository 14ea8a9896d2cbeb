public import ImplicitCore

/// Block soft thresholding: the prox of the group lasso penalty
/// `g(x, λ) = Σ_g λ_g‖x_g‖₂` over disjoint groups of coordinates (`jaxopt.prox.prox_group_lasso`
/// applied group by group). Coordinates in no group are not penalised.
///
/// `θ = λ`, one strength shared by every group or one per group (`λ ≥ 0`). For a group `g` with
/// `r = ‖z_g‖` and `t = ηλ_g`:
///
///     prox_{ηg}(z)_g = max(1 − t/r, 0)·z_g
///
/// Jacobian of an active group (`r > t`):
///
///     ∂prox_g/∂z_g = (1 − t/r)·I + (t/r³)·z_g z_gᵀ       ∂prox_g/∂λ_g = −η·z_g / r
///
/// A group shrunk to zero (`r ≤ t`, in particular `z_g = 0`) has a **zero** Jacobian — never a
/// division by `r = 0`. An unpenalised group (`t = 0`) is the identity (and its `∂/∂λ_g` is
/// `−η·z_g/r`, or 0 at `z_g = 0`).
public struct GroupLassoProximal: ProximalOperator, Sendable {
  public typealias Parameter = Vector<Double>

  /// The groups: disjoint lists of coordinate indices.
  public let groups: [[Int]]

  /// Groups given as lists of indices (disjoint, non-negative; checked against the input's
  /// dimension by ``validate(dimension:_:)``).
  public init(groups: [[Int]]) throws {
    var seen = Set<Int>()
    for (g, group) in groups.enumerated() {
      for i in group {
        guard i >= 0 else { throw ImplicitError.invalidArgument("group \(g) has a negative index \(i)") }
        guard seen.insert(i).inserted else {
          throw ImplicitError.invalidArgument("coordinate \(i) belongs to two groups (groups must be disjoint)")
        }
      }
    }
    self.groups = groups
  }

  /// Contiguous groups of the given sizes, covering `0..<sizes.sum`.
  public init(groupSizes sizes: [Int]) throws {
    guard sizes.allSatisfy({ $0 > 0 }) else {
      throw ImplicitError.invalidArgument("group sizes must be positive: \(sizes)")
    }
    var start = 0
    var groups = [[Int]]()
    for size in sizes {
      groups.append(Array(start..<(start + size)))
      start += size
    }
    try self.init(groups: groups)
  }

  func norm(_ z: Vector<Double>, _ group: [Int]) -> Double {
    group.reduce(0) { $0 + z[$1] * z[$1] }.squareRoot()
  }

  public func penalty(_ x: Vector<Double>, _ λ: Vector<Double>) -> Double {
    groups.indices.reduce(0) { $0 + λ.strength($1) * norm(x, groups[$1]) }
  }

  public func prox(_ z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double> {
    var p = z
    for (g, group) in groups.enumerated() {
      let r = norm(z, group), t = η * λ.strength(g)
      let factor = t == 0 ? 1 : (r > t ? 1 - t / r : 0)
      for i in group { p[i] = factor * z[i] }
    }
    return p
  }

  public func jvp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ dz: Vector<Double>, _ dλ: Vector<Double>
  ) -> Vector<Double> {
    var out = dz.orZeros(z.count)  // unpenalised coordinates: identity
    for (g, group) in groups.enumerated() {
      let r = norm(z, group), t = η * λ.strength(g), dt = dλ.strengthTangent(g)
      let fromStrength = r > 0 ? -η * dt / r : 0
      if t == 0 {
        for i in group { out[i] = out[i] + fromStrength * z[i] }
      } else if r > t {
        let zdz = group.reduce(0) { $0 + z[$1] * out[$1] }
        let curvature = t / (r * r * r) * zdz
        for i in group { out[i] = (1 - t / r) * out[i] + curvature * z[i] + fromStrength * z[i] }
      } else {
        for i in group { out[i] = 0 }
      }
    }
    return out
  }

  public func vjp(
    at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double, _ u: Vector<Double>
  ) -> (z: Vector<Double>, θ: Vector<Double>) {
    var dz = u.orZeros(z.count)
    var dλ = [Double](repeating: 0, count: groups.count)
    for (g, group) in groups.enumerated() {
      let r = norm(z, group), t = η * λ.strength(g)
      let zu = group.reduce(0) { $0 + z[$1] * dz[$1] }
      if t == 0 {
        dλ[g] = r > 0 ? -η * zu / r : 0
      } else if r > t {
        dλ[g] = -η * zu / r
        let curvature = t / (r * r * r) * zu  // the Jacobian is symmetric
        for i in group { dz[i] = (1 - t / r) * dz[i] + curvature * z[i] }
      } else {
        for i in group { dz[i] = 0 }
      }
    }
    return (dz, strengthCotangent(dλ, like: λ))
  }

  public func validate(dimension n: Int, _ λ: Vector<Double>) throws {
    if let bad = groups.joined().first(where: { $0 >= n }) {
      throw ImplicitError.invalidArgument("group index \(bad) out of range for dimension \(n)")
    }
    try validateStrengths(λ, count: groups.count, what: "the group lasso strength λ (shared or one per group)")
  }

  /// `|‖z_g‖ − ηλ_g|` for every coordinate of a penalised group `g`, `+∞` elsewhere.
  public func kinkMargin(at z: Vector<Double>, _ λ: Vector<Double>, scaling η: Double) -> Vector<Double>? {
    var margin = Vector(repeating: Double.infinity, count: z.count)
    for (g, group) in groups.enumerated() {
      let t = η * λ.strength(g)
      guard t > 0 else { continue }
      let m = abs(norm(z, group) - t)
      for i in group { margin[i] = m }
    }
    return margin
  }
}
