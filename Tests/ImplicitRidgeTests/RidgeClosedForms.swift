import ImplicitCore
import ImplicitTestSupport

/// A ridge problem and its closed forms, computed with the independent reference algebra:
/// `x* = (AᵀA + diag θ)⁻¹Aᵀb`, `∂x*/∂θ = −(AᵀA + θI)⁻¹x*` (scalar θ),
/// `∂x*/∂θ = −(AᵀA + diag θ)⁻¹diag(x*)` (per-feature θ).
struct RidgeProblem {
  let aRows: Reference.Rows
  let b: [Double]

  var rows: Int { aRows.count }
  var columns: Int { aRows[0].count }
  var A: Matrix<Double> { Reference.matrix(aRows) }

  static func random(rows: Int = 9, columns: Int = 5, seed: UInt64 = 1) -> RidgeProblem {
    RidgeProblem(
      aRows: Reference.randomRows(rows, columns, seed: seed, scale: 1 / Double(rows).squareRoot()),
      b: Reference.randomVector(rows, seed: seed + 1000))
  }

  /// `AᵀA + diag(penalty)`.
  func gram(_ penalty: [Double]) -> Reference.Rows {
    var g = Reference.matmul(Reference.transpose(aRows), aRows)
    for j in 0..<columns { g[j][j] += penalty[j] }
    return g
  }

  func solution(_ penalty: [Double]) -> [Double] {
    Reference.solve(gram(penalty), Reference.matvec(Reference.transpose(aRows), b))!
  }

  func solution(_ θ: Double) -> [Double] { solution([Double](repeating: θ, count: columns)) }

  /// `−(AᵀA + θI)⁻¹x*`, one column.
  func jacobian(_ θ: Double) -> [Double] {
    Reference.solve(gram([Double](repeating: θ, count: columns)), solution(θ))!.map { -$0 }
  }

  /// `−(AᵀA + diag θ)⁻¹diag(x*)`, `p × p`.
  func jacobian(_ θ: [Double]) -> Reference.Rows {
    let x = solution(θ)
    let inverse = Reference.inverse(gram(θ))!
    return inverse.map { row in (0..<columns).map { -row[$0] * x[$0] } }
  }
}
