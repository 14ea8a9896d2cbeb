import ImplicitCore

/// Plain (reconstruction-only) dictionary learning, the baseline of the demo (Mairal et al.
/// 2009, batch form): alternate the sparse codes of all samples and the dictionary that best
/// reconstructs the samples from those codes, with atoms in the unit ball (without that bound
/// the atoms could grow and the codes shrink, making the l1 penalty meaningless).
enum ReconstructionDictionaryLearning {
  /// `k` training samples, drawn at random and scaled to unit norm, as the first atoms.
  static func initialDictionary(_ samples: Matrix<Double>, atoms k: Int, seed: UInt64) -> Matrix<Double> {
    var rng = SeededGenerator(seed: seed)
    let picks = Array((0..<samples.rows).shuffled(using: &rng).prefix(k))
    let d = samples.columns
    var dictionary = Matrix<Double>.zeros(rows: d, columns: k)
    for (j, i) in picks.enumerated() {
      for r in 0..<d { dictionary[r, j] = samples.scalars[i * d + r] }
    }
    return projectedAtoms(dictionary)
  }

  /// The dictionary update for fixed codes: block-coordinate descent on
  /// `(1/2n) Σᵢ ‖aᵢ − Dxᵢ‖²` over one atom at a time, each step exact then projected to the
  /// unit ball: `dⱼ ← Π(dⱼ + (bⱼ − D gⱼ) / Gⱼⱼ)` with `G = XᵀX`, `B = AᵀX`.
  static func updatedDictionary(
    _ dictionary: Matrix<Double>, samples: Matrix<Double>, codes: Matrix<Double>, sweeps: Int = 5
  ) -> Matrix<Double> {
    let (d, k) = (dictionary.rows, dictionary.columns)
    let gram = codes.transposed() * codes  // G = XᵀX (k × k)
    let cross = samples.transposed() * codes  // B = AᵀX (d × k)
    var D = dictionary
    for _ in 0..<sweeps {
      for j in 0..<k where gram[j, j] > 0 {  // an unused atom has no information to update from
        var atom = [Double](repeating: 0, count: d)
        for r in 0..<d {
          var reconstruction = 0.0
          for l in 0..<k { reconstruction += D[r, l] * gram[l, j] }
          atom[r] = D[r, j] + (cross[r, j] - reconstruction) / gram[j, j]
        }
        let norm = atom.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for r in 0..<d { D[r, j] = atom[r] / max(norm, 1) }
      }
    }
    return D
  }

  /// Each column scaled into the unit ball `‖dⱼ‖ ≤ 1` (the Euclidean projection, column by column).
  static func projectedAtoms(_ dictionary: Matrix<Double>) -> Matrix<Double> {
    let (d, k) = (dictionary.rows, dictionary.columns)
    var D = dictionary
    for j in 0..<k {
      let norm = (0..<d).reduce(0.0) { $0 + D[$1, j] * D[$1, j] }.squareRoot()
      if norm > 1 { for r in 0..<d { D[r, j] /= norm } }
    }
    return D
  }
}
