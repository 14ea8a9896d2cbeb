import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing

/// The Lipschitz constants the step sizes `1/L` rely on, against matrices with known singular
/// values (built with plain loops from Householder reflections), including a clustered top of
/// the spectrum, where iterative eigenvalue estimates converge slowly.
@Suite struct LipschitzConstantTests {
  /// `H₁·[diag(s); 0]·H₂` with Householder reflections `Hᵢ = I − 2vvᵀ/‖v‖²`: singular values `s`.
  func matrix(singularValues s: [Double], rows: Int, seed: UInt64) -> Matrix<Double> {
    var rng = SeededGenerator(seed: seed)
    let columns = s.count
    func reflection(_ n: Int) -> [[Double]] {
      let v = rng.normalVector(n).scalars
      let vv = Reference.dot(v, v)
      return (0..<n).map { i in (0..<n).map { j in (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv } }
    }
    let left = reflection(rows), right = reflection(columns)
    var out = [Double](repeating: 0, count: rows * columns)
    for i in 0..<rows {
      for j in 0..<columns {
        var sum = 0.0
        for k in 0..<columns { sum += left[i][k] * s[k] * right[k][j] }
        out[i * columns + j] = sum
      }
    }
    return Matrix(rows: rows, columns: columns, scalars: out)
  }

  @Test(arguments: [false, true])
  func leastSquaresConstantIsTheLargestSquaredSingularValue(_ wide: Bool) throws {
    // Clustered top: 3, 2.9999, 2.9998, … (relative gaps of 3e-5).
    let s = (0..<40).map { 3 - 1e-4 * Double($0 * $0 % 97) }
    var A = matrix(singularValues: s, rows: 70, seed: 3)
    if wide { A = A.transposed() }
    let L = try LeastSquares(A: A).gradientLipschitzConstant(Vector([]))
    #expect(L >= 9 * (1 - 1e-12))  // never below ‖A‖² (a step 1/L must be safe)
    #expect(L <= 9 * (1 + 1e-7))
  }

  @Test func logisticConstantBoundsTheHessianEverywhere() throws {
    let s = (0..<6).map { 2 - 0.3 * Double($0) }
    let X = matrix(singularValues: s, rows: 20, seed: 4)
    let y = Vector((0..<20).map { $0 % 2 == 0 ? 1.0 : -1.0 })
    let θ = Vector([0.1, 0.2, 0.3, 0.1, 0.2, 0.5])
    let f = try BinaryLogisticRegression(features: X, labels: y)
    let L = f.gradientLipschitzConstant(θ)
    #expect(Swift.abs(L - (4.0 / (4 * 20) + 0.5)) <= 1e-8 * L)
    // Rayleigh quotients of the Hessian at random points stay below L.
    var rng = SeededGenerator(seed: 5)
    for _ in 0..<10 {
      let w = rng.normalVector(6), v = rng.normalVector(6)
      let hv = f.gradientJVP(at: w, θ, along: v, Vector.zeros(6))
      #expect(Reference.dot(v.scalars, hv.scalars) / Reference.dot(v.scalars, v.scalars) <= L)
    }
  }
}
