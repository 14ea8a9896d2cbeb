public import ImplicitCore

/// Mirror maps whose domain is a product of simplices (rows of `rowLength` entries): the KL
/// geometries, whose boundary is where coordinates reach 0.
protocol SimplexRowsGeometry {
  /// The entries per row for a point of `n` coordinates.
  func rowLength(_ n: Int) -> Int
}

extension KLSimplexMirrorMap: SimplexRowsGeometry {
  func rowLength(_ n: Int) -> Int { n }
}

extension KLRowSimplexMirrorMap: SimplexRowsGeometry {
  func rowLength(_ n: Int) -> Int { columns }
}

extension MirrorDescentCondition {
  /// The coordinates on the boundary of the simplex with a zero-width margin, for the KL
  /// geometries (none for other mirror maps).
  ///
  /// The safe log pins a zero coordinate: its derivative is taken to be 0, which is the
  /// derivative of the face the point lies on — right under strict complementarity, when the
  /// coordinate's reduced gradient `gᵢ − ν` (`g = ∇ₓf`, `ν` the row's multiplier, the
  /// `x`-weighted mean of `g` over the row) is positive. A coordinate that has collapsed to 0
  /// (`xᵢ ≤ tolerance·Σ_row x`) while `|gᵢ − ν| ≤ tolerance·(1 + max_row |gⱼ|)` is on the edge
  /// of that face: a small change of `θ` may bring it back into the support, so the derivative
  /// is only one-sided. Those coordinates are reported as ``Degeneracy/Kind/boundary``. (A
  /// coordinate with an infinite or NaN reduced gradient — an entropy term at 0 — is pushed off
  /// the boundary and is not reported.)
  public func degeneracies(at x: Vector<Double>, _ θ: Vector<Double>, tolerance: Double) -> [Degeneracy] {
    guard let geometry = mirrorMap as? any SimplexRowsGeometry else { return [] }
    let n = x.count
    let k = geometry.rowLength(n)
    guard k > 0, n % k == 0 else { return [] }
    let g = gradientStep.gradient(at: x, θ)
    guard g.count == n else { return [] }
    var indices = [Int]()
    for r in 0..<(n / k) {
      let row = (r * k)..<((r + 1) * k)
      let mass = row.reduce(0) { $0 + x[$1] }
      guard mass > 0 else { continue }
      let ν = row.reduce(0) { x[$1] > 0 ? $0 + x[$1] * g[$1] : $0 } / mass
      let scale = 1 + row.reduce(0) { g[$1].isFinite ? max($0, abs(g[$1])) : $0 }
      for i in row where x[i] <= tolerance * mass {
        let margin = g[i] - ν
        if margin.isFinite && abs(margin) <= tolerance * scale { indices.append(i) }
      }
    }
    return indices.isEmpty ? [] : [Degeneracy(.boundary, indices: indices)]
  }
}
