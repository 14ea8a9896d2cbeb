import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import _Differentiation

// Problems and independent references for the block-coordinate-descent tests. Nothing here
// uses the module under test.

/// A small random multiclass SVM: `n` samples, `d` features, `k` classes (every class used).
func randomSVM(samples n: Int, features d: Int, classes k: Int, seed: UInt64) throws -> MulticlassSVMDual {
  let data = TestSupport.randomClassificationData(samples: n, features: d, classes: k, seed: seed)
  return try MulticlassSVMDual(X: data.X, Y: data.Y)
}

/// `f(x, θ) = ½(x − c)ᵀQ(x − c) − ⟨θ, x⟩` on a product of simplices: a generic objective with
/// no hand-written block structure.
struct CoupledQuadratic: ParametricObjective {
  let Q: Matrix<Double>
  let center: Vector<Double>

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let d = x - Vector<S>(converting: center.scalars)
    return S(0.5) * d.dot(Matrix<S>(converting: Q) * d) - θ.dot(x)
  }
}

/// A symmetric positive-definite `n × n` matrix `MᵀM/n + 0.5 I` from seeded normals.
func randomSPD(_ n: Int, seed: UInt64) -> Matrix<Double> {
  var rng = SeededGenerator(seed: seed)
  let m = rng.normalMatrix(rows: n, columns: n)
  var q = m.transposed() * m
  for i in 0..<n {
    for j in 0..<n { q[i, j] /= Double(n) }
    q[i, i] += 0.5
  }
  return q
}

/// Projection of `z` onto the simplex by bisection on the threshold (independent of the
/// sort-based projection): `max(z − τ, 0)` with `Σ = 1`.
func bisectionSimplexProjection(_ z: [Double]) -> [Double] {
  var lo = (z.min() ?? 0) - 1, hi = z.max() ?? 0
  for _ in 0..<200 {
    let mid = (lo + hi) / 2
    let s = z.reduce(0) { $0 + max($1 - mid, 0) }
    if s > 1 { lo = mid } else { hi = mid }
  }
  let tau = (lo + hi) / 2
  return z.map { max($0 - tau, 0) }
}

/// Projected gradient with fixed step `1/L` on the row simplices, for a gradient function:
/// the independent re-solver for finite differences (run to the fixed-point residual `tolerance`).
func referenceRowSimplexSolve(
  start: Vector<Double>, columns: Int, lipschitz: Double, tolerance: Double = 1e-14,
  gradient: (Vector<Double>) -> Vector<Double>
) -> Vector<Double> {
  func step(_ x: Vector<Double>) -> Vector<Double> {
    let z = x - (1 / lipschitz) * gradient(x)
    return Vector(
      stride(from: 0, to: z.count, by: columns).flatMap {
        bisectionSimplexProjection(Array(z.scalars[$0..<($0 + columns)]))
      })
  }
  var x = start, y = start, t = 1.0
  for _ in 0..<200_000 {
    let next = step(y)
    if (step(next) - next).norm() <= tolerance { return next }
    let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
    y = next + ((t - 1) / tNext) * (next - x)
    x = next
    t = tNext
  }
  return x
}

/// `∇_β f = (1/θ) XXᵀ(β − Y) + Y − 1`, written out with matrix products (`XXᵀ` formed once).
struct SVMGradient {
  let svm: MulticlassSVMDual
  let kernel: Matrix<Double>
  init(_ svm: MulticlassSVMDual) {
    self.svm = svm
    kernel = svm.X * svm.X.transposed()
  }
  func callAsFunction(_ beta: Vector<Double>, theta: Double) -> Vector<Double> {
    let b = Matrix(reshaping: beta, rows: svm.samples, columns: svm.classes)
    let g = (1 / theta) * (kernel * (b - svm.Y)) + svm.Y
    return Vector(g.scalars.map { $0 - 1 })
  }
}

func relativeError(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double { TestSupport.relativeError(a, b) }
func relativeError(_ a: Vector<Double>, _ b: Vector<Double>) -> Double { TestSupport.relativeError(a, b) }
