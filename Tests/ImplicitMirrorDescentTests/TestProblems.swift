import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitProjections
import ImplicitTestSupport
import _Differentiation

// Problems and independent references for the mirror-descent tests. Nothing here uses the
// module under test.

/// `f(p, θ) = ½pᵀQp − ⟨θ, p⟩ + γΣ p log p`, `θ` the linear term.
struct EntropicQuadratic: ParametricObjective {
  let Q: Matrix<Double>
  let gamma: Double

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S {
    S(0.5) * p.dot(Matrix<S>(converting: Q) * p) - θ.dot(p) + S(gamma) * (p * p.log()).sum()
  }

  /// `∇f = Qp − θ + γ(log p + 1)`, written out (Q symmetric).
  func gradient(_ p: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Q * p - θ + gamma * (p.log() + 1.0)
  }
}

/// `f(p, θ) = ½‖p − θ‖²`: its minimiser over the simplex is the Euclidean projection of `θ`.
struct SquaredDistance: ParametricObjective {
  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S {
    S(0.5) * (p - θ).squaredNorm()
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

/// `exp(z) / Σ exp(z)` with plain loops.
func referenceSoftmax(_ z: [Double]) -> [Double] {
  let m = z.max() ?? 0
  let e = z.map { Foundation.exp($0 - m) }
  let s = e.reduce(0, +)
  return e.map { $0 / s }
}

/// Mirror descent for `EntropicQuadratic`, unrolled for a fixed number of steps with
/// differentiable `Vector` operations, so that Swift's AD differentiates through the iterations.
@differentiable(reverse,wrt: θ)
func unrolledMirrorDescent(
  _ θ: Vector<Double>, Q: Matrix<Double>, gamma: Double, step: Double, steps: Int
) -> Vector<Double> {
  let n = withoutDerivative(at: θ.count)
  var p = Vector<Double>(repeating: 1 / Double(n), count: n)
  for _ in 0..<steps {
    let logP = p.log()
    let gradient = Q * p - θ + gamma * (logP + 1.0)
    p = (logP - step * gradient).softmax()
  }
  return p
}

/// The Jacobian of a vector function of `θ` row by row from its pullback.
func jacobianByPullback(
  at θ: Vector<Double>, outputs: Int, _ f: @differentiable(reverse) (Vector<Double>) -> Vector<Double>
) -> Matrix<Double> {
  let pb = pullback(at: θ, of: f)
  var j = Matrix<Double>.zeros(rows: outputs, columns: θ.count)
  for r in 0..<outputs {
    let row = pb(Vector.basis(r, count: outputs))
    for c in 0..<θ.count { j[r, c] = row.isEmpty ? 0 : row[c] }
  }
  return j
}

/// A small random multiclass SVM: `n` samples, `d` features, `k` classes (every class used).
func randomSVM(samples n: Int, features d: Int, classes k: Int, seed: UInt64) throws -> MulticlassSVMDual {
  let data = TestSupport.randomClassificationData(samples: n, features: d, classes: k, seed: seed)
  return try MulticlassSVMDual(X: data.X, Y: data.Y)
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

/// Accelerated projected gradient (FISTA, fixed step 1/L, no restart) on the row simplices, to
/// the projected-gradient residual `tolerance`: the independent re-solver for finite differences.
func referenceSVMSolve(_ svm: MulticlassSVMDual, theta: Double, tolerance: Double = 1e-14) -> Vector<Double> {
  let projection = RowSimplexProjection(columns: svm.classes)
  let step = 1 / svm.lipschitzConstant(theta)
  let svmGradient = SVMGradient(svm)
  func gradientStep(_ z: Vector<Double>) -> Vector<Double> {
    projection.project(z - step * svmGradient(z, theta: theta), Vector([]))
  }
  var x = svm.uniformStart, y = x, t = 1.0
  for _ in 0..<200_000 {
    let next = gradientStep(y)
    if (gradientStep(next) - next).norm() <= tolerance { return next }
    let tNext = (1 + (1 + 4 * t * t).squareRoot()) / 2
    y = next + ((t - 1) / tNext) * (next - x)
    x = next
    t = tNext
  }
  return x
}

/// `max |a − b| / max |b|`.
func relativeError(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double { TestSupport.relativeError(a, b) }
func relativeError(_ a: Vector<Double>, _ b: Vector<Double>) -> Double { TestSupport.relativeError(a, b) }
