import ImplicitCore

// Penalty strengths given either as one value shared by every coordinate (or group) or as one
// value per coordinate (or group): the layout every strength-parametrised prox here accepts.

extension Vector where Scalar == Double {
  /// The strength that applies to coordinate (or group) `i`: the shared value, or entry `i`.
  func strength(_ i: Int) -> Double { count == 1 ? self[0] : self[i] }

  /// The tangent of the strength of coordinate `i`, where an empty vector is a zero tangent.
  func strengthTangent(_ i: Int) -> Double { isSymbolicZero ? 0 : strength(i) }

  /// `self`, or zeros of dimension `n` when `self` is the symbolic zero (`Vector.zero`).
  func orZeros(_ n: Int) -> Vector<Double> { isSymbolicZero ? Vector.zeros(n) : self }
}

/// Folds per-coordinate (or per-group) cotangent contributions into the shape of the strength
/// parameter: summed for a shared strength, kept for per-coordinate strengths.
func strengthCotangent(_ contributions: [Double], like θ: Vector<Double>) -> Vector<Double> {
  θ.count == 1 ? Vector([contributions.reduce(0, +)]) : Vector(contributions)
}

/// Throws unless `θ` has one entry or `count` entries, all finite and non-negative.
func validateStrengths(_ θ: Vector<Double>, count: Int, what: String) throws {
  guard θ.count == 1 || θ.count == count else {
    throw ImplicitError.shapeMismatch(what: what, expected: "1 or \(count) entries", actual: "\(θ.count)")
  }
  try ImplicitError.checkFinite(what, θ)
  guard θ.scalars.allSatisfy({ $0 >= 0 }) else {
    throw ImplicitError.invalidArgument("\(what) must be non-negative, got \(θ.scalars)")
  }
}

/// The soft threshold `sign(z)·max(|z| − t, 0)`.
func softThreshold(_ z: Double, _ t: Double) -> Double {
  z > t ? z - t : (z < -t ? z + t : 0)
}

/// `sign(z)` where `|z| > t` (the coordinate survives the threshold), else 0.
func survivingSign(_ z: Double, _ t: Double) -> Double {
  z > t ? 1 : (z < -t ? -1 : 0)
}
