import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import ImplicitTestSupport

/// Small synthetic problems shared by the stationarity tests.
enum Problems {
  /// Binary logistic regression, `n = 40`, `d = 5`, per-feature `θ`, with a validation set.
  struct Logistic {
    let X: Matrix<Double>
    let y: Vector<Double>
    let validationX: Matrix<Double>
    let validationY: Vector<Double>
    let θ: Vector<Double>
    let objective: BinaryLogisticRegression
  }

  static func logistic(seed: UInt64 = 21, n: Int = 40, d: Int = 5) throws -> Logistic {
    var rng = SeededGenerator(seed: seed)
    let truth = rng.normalVector(d)
    func sample(_ rows: Int) -> (Matrix<Double>, Vector<Double>) {
      let X = rng.normalMatrix(rows: rows, columns: d)
      let z = Reference.matvec(Reference.rows(X), truth.scalars)
      return (X, Vector(z.map { $0 + 0.5 * rng.normal() > 0 ? 1.0 : -1.0 }))
    }
    let (X, y) = sample(n)
    let (validationX, validationY) = sample(n)
    let θ = Vector((0..<d).map { 0.2 + 0.1 * Double($0) })
    return Logistic(
      X: X, y: y, validationX: validationX, validationY: validationY, θ: θ,
      objective: try BinaryLogisticRegression(features: X, labels: y))
  }

  /// Ridge regression `½‖Ax − b‖² + ½Σθⱼxⱼ²`, `m = 30`, `n = 5`, with a validation set.
  struct Ridge {
    let A: Matrix<Double>
    let b: Vector<Double>
    let validationA: Matrix<Double>
    let validationB: Vector<Double>
    let θ: Vector<Double>
    let objective: RidgeRegression
  }

  static func ridge(seed: UInt64 = 22) throws -> Ridge {
    var rng = SeededGenerator(seed: seed)
    let A = rng.normalMatrix(rows: 30, columns: 5), b = rng.normalVector(30)
    return Ridge(
      A: A, b: b, validationA: rng.normalMatrix(rows: 30, columns: 5), validationB: rng.normalVector(30),
      θ: Vector([0.5, 1, 2, 0.3, 0.8]), objective: try RidgeRegression(A: A, b: b))
  }

  /// A high-precision minimiser (Newton-CG to `‖∇f‖ ≤ 1e-13`).
  static func argmin<Objective: ParametricObjective>(
    _ objective: Objective, _ θ: Vector<Double>, dimension: Int
  ) throws -> Vector<Double> {
    try NewtonCG(tolerance: 1e-13).solve(objective, θ, from: Vector.zeros(dimension)).converged()
  }

  /// Central differences of re-solving: `(x*(θ + h eⱼ) − x*(θ − h eⱼ)) / 2h` for every `j`,
  /// `h = 1e-6·max(1, |θⱼ|)`.
  static func finiteDifferenceJacobian(
    at θ: Vector<Double>, _ solve: (Vector<Double>) throws -> Vector<Double>
  ) throws -> [[Double]] {
    var columns = [[Double]]()
    for j in 0..<θ.count {
      let h = 1e-6 * max(1, Swift.abs(θ[j]))
      var plus = θ, minus = θ
      plus[j] += h
      minus[j] -= h
      columns.append(zip(try solve(plus).scalars, try solve(minus).scalars).map { ($0 - $1) / (2 * h) })
    }
    // Rows: coordinates of x.
    return (0..<columns[0].count).map { i in columns.map { $0[i] } }
  }
}
