public import ImplicitCore

// The kink margins (``Projection/kinkMargin(at:_:)``) of the piecewise-affine projections and
// the l2 ball: for each coordinate, how far `z` is from an input where that coordinate of `P`
// changes piece. The products pick one side there; the condition reports the coordinate.

extension BoxProjection {
  /// `min(|zᵢ − lᵢ|, |zᵢ − uᵢ|)`: the clip changes piece at either bound.
  public func kinkMargin(at z: Vector<Double>, _ θ: BoxBounds) -> Vector<Double>? {
    Vector((0..<z.count).map { min(abs(z[$0] - θ.lower[$0]), abs(z[$0] - θ.upper[$0])) })
  }
}

extension NonNegativeProjection {
  /// `|zᵢ|`: `max(zᵢ, 0)` changes piece at 0.
  public func kinkMargin(at z: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    z.mapScalars { abs($0) }
  }
}

extension SimplexProjection {
  /// `|zᵢ − τ|` with `τ` the threshold (`pᵢ = max(zᵢ − τ, 0)`): a coordinate at the threshold
  /// is about to enter or leave the support.
  public func kinkMargin(at z: Vector<Double>, _ s: Double) -> Vector<Double>? {
    guard !z.isEmpty else { return nil }
    let τ = SimplexProjection.threshold(z, s)
    return z.mapScalars { abs($0 - τ) }
  }
}

extension RowSimplexProjection {
  /// `|z_rj − τ_r|` with `τ_r` the threshold of row `r`.
  public func kinkMargin(at z: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    guard columns > 0 else { return nil }
    return Vector(
      (0..<rows(z)).flatMap { r -> [Double] in
        let zr = row(z, r)
        let τ = SimplexProjection.threshold(zr, 1)
        return zr.scalars.map { abs($0 - τ) }
      })
  }
}

extension L1BallProjection {
  /// Inside: `(r − ‖z‖₁)/√n`, the distance to the sphere where `P` stops being the identity.
  /// Outside: `min(||zᵢ| − τ|, (‖z‖₁ − r)/√n)` — a coordinate at the soft threshold `τ`, or the
  /// sphere again (where `τ` reaches 0).
  public func kinkMargin(at z: Vector<Double>, _ r: Double) -> Vector<Double>? {
    guard !z.isEmpty else { return nil }
    let l1 = z.scalars.reduce(0) { $0 + abs($1) }
    let toSphere = abs(l1 - r) / Double(z.count).squareRoot()
    if isInside(z, r) { return Vector(repeating: toSphere, count: z.count) }
    let τ = SimplexProjection.threshold(z.mapScalars { abs($0) }, r)
    return z.mapScalars { min(abs(abs($0) - τ), toSphere) }
  }
}

extension HalfspaceProjection {
  /// `|aᵀz − b|/‖a‖` (the distance to the bounding hyperplane) for the coordinates the
  /// projection moves (`aᵢ ≠ 0`); `+∞` for the others.
  public func kinkMargin(at z: Vector<Double>, _ θ: Hyperplane) -> Vector<Double>? {
    let distance = abs(θ.normal.dot(z) - θ.offset) / θ.normal.norm()
    return θ.normal.mapScalars { $0 == 0 ? .infinity : distance }
  }
}

extension L2BallProjection {
  /// `|‖z‖ − r|` for every coordinate: `P` is the identity inside and a radial scaling outside.
  public func kinkMargin(at z: Vector<Double>, _ r: Double) -> Vector<Double>? {
    Vector(repeating: abs(z.norm() - r), count: z.count)
  }
}
