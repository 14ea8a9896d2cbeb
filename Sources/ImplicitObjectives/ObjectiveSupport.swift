import ImplicitCore
import ImplicitSparse

// Internal pieces shared by the objectives: penalties, data preparation, input checks.

/// Throws unless `θ` is a valid l2 strength for `coordinates` penalised coordinates (one entry,
/// or one per coordinate).
func validatePenalty(_ θ: Vector<Double>, coordinates: Int) throws {
  guard θ.count == 1 || θ.count == coordinates else {
    throw ImplicitError.shapeMismatch(
      what: "θ (l2 strength)", expected: "1 or \(coordinates) entries", actual: "\(θ.count)")
  }
  try ImplicitError.checkFinite("θ", θ)
}

/// The largest penalty strength in `θ` (what the penalty adds to the gradient's Lipschitz constant).
func largestStrength(_ θ: Vector<Double>) -> Double { θ.scalars.max() ?? 0 }

/// `data` with a column of ones appended (so that `[X 1]·(w, b) = Xw + b`).
func appendingOnesColumn(_ data: Matrix<Double>) -> Matrix<Double> {
  var scalars = [Double]()
  scalars.reserveCapacity(data.rows * (data.columns + 1))
  for i in 0..<data.rows {
    scalars.append(contentsOf: data.scalars[(i * data.columns)..<((i + 1) * data.columns)])
    scalars.append(1)
  }
  return Matrix(rows: data.rows, columns: data.columns + 1, scalars: scalars)
}

/// Throws unless every entry of `data` is finite.
func checkFinite(_ what: String, _ data: any DesignMatrix) throws {
  if !data.isFinite { throw ImplicitError.nonFinite(what: what) }
}

/// Throws unless `x` has `expected` entries.
func checkCount(_ what: String, _ x: Vector<Double>, _ expected: Int) throws {
  try ImplicitError.checkDimension(what, x.count, expected: expected)
}

/// Throws unless every label is −1 or +1.
func validateSignLabels(_ labels: Vector<Double>) throws {
  for (i, y) in labels.scalars.enumerated() where y != 1 && y != -1 {
    throw ImplicitError.invalidArgument("label \(y) at row \(i) is not −1 or +1")
  }
}

/// Throws unless `targets` (`n × k`) has rows on the probability simplex (to 1e-9).
func validateDistributions(_ what: String, _ targets: Matrix<Double>) throws {
  try checkFinite(what, targets)
  for i in 0..<targets.rows {
    let row = targets.row(i).scalars
    if row.contains(where: { $0 < 0 }) || Swift.abs(row.reduce(0, +) - 1) > 1e-9 {
      throw ImplicitError.invalidArgument("row \(i) of \(what) is not a probability distribution")
    }
  }
}

/// Integer class labels `0..<classes` (given as reals) as a one-hot `n × classes` matrix;
/// throws on a label that is not such an integer.
func oneHotTargets(_ labels: Vector<Double>, classes: Int) throws -> Matrix<Double> {
  guard classes >= 2 else { throw ImplicitError.invalidArgument("need at least 2 classes, got \(classes)") }
  return try oneHot(labels, classes: classes)
}
