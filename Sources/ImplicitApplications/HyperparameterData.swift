import ImplicitCore

/// Synthetic supervised data where only the first `informative` of `features` columns carry
/// signal: the setting in which one l2 strength per feature pays off (the noise features should
/// be shrunk hard, the informative ones hardly at all).
struct HyperparameterData {
  let features: Int
  let informative: Int
  let train: (X: Matrix<Double>, y: Vector<Double>)
  let validation: (X: Matrix<Double>, y: Vector<Double>)
  let test: (X: Matrix<Double>, y: Vector<Double>)

  /// Regression: `y = X w + σ ε`, `w` non-zero (±1 … ±2) on the informative features only.
  static func regression(
    seed: UInt64, features: Int, informative: Int, train: Int, validation: Int, test: Int, noise: Double
  ) -> HyperparameterData {
    var rng = SeededGenerator(seed: seed)
    let truth = Vector(
      (0..<features).map { (j: Int) -> Double in
        guard j < informative else { return 0 }
        let sign: Double = j % 2 == 0 ? 1 : -1
        return sign * (1 + Double(j) / Double(max(informative - 1, 1)))
      })
    func sample(_ rows: Int) -> (Matrix<Double>, Vector<Double>) {
      let X = rng.normalMatrix(rows: rows, columns: features)
      return (X, X * truth + rng.normalVector(rows, scale: noise))
    }
    return HyperparameterData(
      features: features, informative: informative, train: sample(train), validation: sample(validation),
      test: sample(test))
  }

  /// Binary classification: `y = sign(X w + σ ε) ∈ {−1, +1}`, `w` as for regression.
  static func classification(
    seed: UInt64, features: Int, informative: Int, train: Int, validation: Int, test: Int, noise: Double
  ) -> HyperparameterData {
    let r = regression(
      seed: seed, features: features, informative: informative, train: train, validation: validation, test: test,
      noise: noise)
    func signs(_ y: Vector<Double>) -> Vector<Double> { y.mapScalars { $0 >= 0 ? 1 : -1 } }
    return HyperparameterData(
      features: features, informative: informative, train: (r.train.X, signs(r.train.y)),
      validation: (r.validation.X, signs(r.validation.y)), test: (r.test.X, signs(r.test.y)))
  }

  /// Whether feature `j` carries signal.
  func isInformative(_ j: Int) -> Bool { j < informative }
}
