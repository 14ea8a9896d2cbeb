import ImplicitConformance
import ImplicitCore
import _Differentiation

/// F(x, θ) = M x + c·x³ − N θ (entrywise cube): a nonlinear condition whose A = M + 3c·diag(x²)
/// and B = −N are both non-symmetric, so transposition mistakes show.
struct CubicCondition: OptimalityCondition {
  var M: Matrix<Double>
  var N: Matrix<Double>
  var c = 0.1
  var declared: LinearStructure = .general

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    M * x + c * (x * x * x) - N * θ
  }
  var structure: LinearStructure { declared }
}

enum Fixtures {
  static let n = 5, p = 3

  /// A non-symmetric, diagonally dominant M (Jacobi iteration converges).
  static let nonSymmetric: Matrix<Double> = {
    var rng = SeededGenerator(seed: 11)
    var m = rng.normalMatrix(rows: n, columns: n, scale: 0.3)
    for i in 0..<n { m[i, i] = 3 + Double(i) * 0.2 }
    return m
  }()

  /// A symmetric positive-definite M.
  static let spd: Matrix<Double> = {
    let a = nonSymmetric
    return 0.5 * (a + a.transposed())
  }()

  static let N: Matrix<Double> = {
    var rng = SeededGenerator(seed: 12)
    return rng.normalMatrix(rows: n, columns: p)
  }()

  static let θ = Vector<Double>([0.7, -1.2, 0.4])

  /// Jacobi-relaxed fixed-point iteration on F(x) = Mx + c x³ − Nθ, stopped when ‖F‖ ≤ tolerance.
  /// Converges linearly, so looser tolerances really give worse solutions.
  static func solveCubic(M: Matrix<Double>, c: Double = 0.1, θ: Vector<Double>, tolerance: Double) throws -> Vector<
    Double
  > {
    var x = Vector<Double>.zeros(n)
    let rhs = N * θ
    for _ in 0..<100_000 {
      let f = M * x + c * (x * x * x) - rhs
      if f.norm() <= tolerance { return x }
      let diagonal = Vector((0..<n).map { M[$0, $0] + 3 * c * x[$0] * x[$0] })
      x = x - 0.8 * (f / diagonal)
    }
    throw ImplicitError.solverDidNotConverge(solver: "jacobi", iterations: 100_000, residual: .nan)
  }

  /// The same iteration for a fixed number of steps, differentiable (for the "unrolled" check).
  @differentiable(reverse,wrt: θ)
  static func unrolledCubic(M: Matrix<Double>, θ: Vector<Double>) -> Vector<Double> {
    var x = Vector<Double>.zeros(n)
    let rhs = N * θ
    for _ in 0..<400 {
      let f = M * x + 0.1 * (x * x * x) - rhs
      let diagonal = Vector(M.diagonalEntries) + 0.3 * (x * x)
      x = x - 0.8 * (f / diagonal)
    }
    return x
  }

  /// The cubic condition at ``θ`` with the Jacobi solver and, unless told otherwise, its unrolled run.
  static func instance(
    condition: CubicCondition, M: Matrix<Double>, withUnrolled: Bool = true
  ) -> Instance<CubicCondition> {
    var unrolled: (@differentiable(reverse) (Vector<Double>) -> Vector<Double>)? = nil
    if withUnrolled { unrolled = { θ in unrolledCubic(M: M, θ: θ) } }
    return Instance(condition: condition, parameter: θ, unrolled: unrolled) { θ, tolerance in
      try solveCubic(M: M, θ: θ, tolerance: tolerance)
    }
  }
}

extension Matrix where Scalar == Double {
  var diagonalEntries: [Double] { (0..<Swift.min(rows, columns)).map { self[$0, $0] } }
}
