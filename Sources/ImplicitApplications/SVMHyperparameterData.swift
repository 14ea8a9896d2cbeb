import ImplicitCore
import ImplicitObjectives

/// Synthetic multiclass data in the regime of the JAXopt SVM benchmark (more features than
/// training samples, features scaled by `1/√d`): Gaussian classes `xᵢ = s·μ_{yᵢ} + εᵢ` with class
/// means `μ_c ~ N(0, I_d)` and noise `εᵢ ~ N(0, I_d)`; the separation `s` sets how much the classes
/// overlap.
///
/// With `d ≥ n` the Gram matrix `XXᵀ` is invertible, so the SVM dual is strongly convex: its
/// solution is unique and every solver's fixed-point condition has an invertible Jacobian. (With
/// `d < n` the dual solution is generally not unique — only `W` is — and the mirror-descent
/// condition, which never sets a coordinate exactly to zero, becomes nearly singular.)
struct SVMHyperparameterData {
  let train: (X: Matrix<Double>, Y: Matrix<Double>)
  let validation: (X: Matrix<Double>, Y: Matrix<Double>)
  let test: (X: Matrix<Double>, labels: [Int])
  let classes: Int
  let features: Int

  static func gaussianClasses(
    classes: Int, features d: Int, train: Int, validation: Int, test: Int, separation: Double, seed: UInt64
  ) throws -> SVMHyperparameterData {
    var rng = SeededGenerator(seed: seed)
    let means = rng.normalMatrix(rows: classes, columns: d, scale: separation)
    let scale = 1 / Double(d).squareRoot()
    func sample(_ count: Int) -> (Matrix<Double>, [Int]) {
      let labels = (0..<count).map { _ in Int.random(in: 0..<classes, using: &rng) }
      let rows = labels.map { c in (0..<d).map { j in scale * (means[c, j] + rng.normal()) } }
      return (Matrix(rows), labels)
    }
    func encoded(_ labels: [Int]) throws -> Matrix<Double> {
      try oneHot(Vector(labels.map(Double.init)), classes: classes)
    }
    let (Xt, yt) = sample(train), (Xv, yv) = sample(validation), (Xs, ys) = sample(test)
    return SVMHyperparameterData(
      train: (Xt, try encoded(yt)), validation: (Xv, try encoded(yv)), test: (Xs, ys), classes: classes, features: d)
  }

  /// The fraction of test samples whose largest score `xᵢᵀW` is their label.
  func testAccuracy(_ W: Matrix<Double>) -> Double {
    let scores = test.X * W
    var correct = 0
    for i in 0..<scores.rows {
      let row = scores.row(i).scalars
      if row.indices.max(by: { row[$0] < row[$1] }) == test.labels[i] { correct += 1 }
    }
    return Double(correct) / Double(scores.rows)
  }
}
