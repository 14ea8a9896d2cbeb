import ImplicitCore
import ImplicitTestSupport

// Independent references shared by the catalogue examples' checks (never by the examples).

/// Central differences of re-solving, `dim x × dim θ`; a failed solve gives NaN (fails the check).
func resolvedJacobian(
  at θ: Vector<Double>, step: Double = 1e-6, _ solve: (Vector<Double>) throws -> Vector<Double>
) -> Matrix<Double> {
  let n = (try? solve(θ))?.count ?? 0
  return TestSupport.finiteDifferenceJacobian(at: θ, step: step) { θ in
    (try? solve(θ)) ?? Vector(repeating: .nan, count: n)
  }
}

/// The columns `columns` of `m`.
func selectingColumns(_ m: Matrix<Double>, _ columns: [Int]) -> Matrix<Double> {
  var out = Matrix<Double>.zeros(rows: m.rows, columns: columns.count)
  for (k, j) in columns.enumerated() {
    for i in 0..<m.rows { out[i, k] = m[i, j] }
  }
  return out
}

/// The coordinates where `x` is non-zero.
func support(_ x: Vector<Double>) -> [Int] { x.scalars.indices.filter { x[$0] != 0 } }
