import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing
import _Differentiation

/// The objectives' fused products (one pass over the data for a gradient, one for an exact
/// Hessian-vector product on dual numbers, the Gram form of the SVM dual) against their
/// closed forms, on shapes that are not multiples of the SIMD widths and on shapes large enough
/// to split over threads.
@Suite("Fused objective products vs closed forms")
struct FusedObjectiveTests {
  static func expectClose(_ a: Vector<Double>, _ b: Vector<Double>, _ label: String, tolerance: Double = 1e-11) {
    let error = Reference.relativeError(a.scalars, b.scalars)
    #expect(error <= tolerance, "\(label): relative error \(error)")
  }

  /// (samples, features): odd sizes, and one above `Kernels.parallelThreshold`.
  static let shapes: [(Int, Int)] = [(7, 5), (13, 31), (603, 501)]

  @Test("ridge and least squares: gradient Aᵀ(Ax − b) + θx, Hessian product AᵀAv + θv", arguments: [0, 1, 2])
  func ridge(shapeIndex: Int) throws {
    let (n, d) = Self.shapes[shapeIndex]
    var rng = SeededGenerator(seed: 901)
    let A = rng.normalMatrix(rows: n, columns: d, scale: 1 / Double(d).squareRoot())
    let b = rng.normalVector(n), x = rng.normalVector(d), v = rng.normalVector(d), u = rng.normalVector(d)
    let θ = Vector((0..<d).map { 0.3 + 0.01 * Double($0 % 7) })
    let ridge = try RidgeRegression(A: A, b: b)
    let residual = A * x - b
    Self.expectClose(ridge.gradient(at: x, θ), A.transposedTimes(residual) + θ * x, "ridge gradient")
    let hv = A.transposedTimes(A * v) + θ * v
    Self.expectClose(ridge.gradientJVP(at: x, θ, along: v, Vector.zeros(d)), hv, "ridge Hessian product")
    let pulled = ridge.gradientPullback(at: x, θ, u)
    Self.expectClose(pulled.x, A.transposedTimes(A * u) + θ * u, "ridge Hessian pullback")
    Self.expectClose(pulled.θ, x * u, "ridge mixed pullback")
    #expect(Swift.abs(ridge(x, θ) - (0.5 * residual.squaredNorm() + 0.5 * (θ * x).dot(x))) <= 1e-11 * ridge(x, θ))

    let leastSquares = try LeastSquares(A: A)
    let t = rng.normalVector(n)
    Self.expectClose(leastSquares.gradient(at: x, b), A.transposedTimes(residual), "least-squares gradient")
    Self.expectClose(
      leastSquares.gradientJVP(at: x, b, along: v, t), A.transposedTimes(A * v - t), "least-squares JVP")
    let pulledLS = leastSquares.gradientPullback(at: x, b, u)
    Self.expectClose(pulledLS.x, A.transposedTimes(A * u), "least-squares Hessian pullback")
    Self.expectClose(pulledLS.θ, -(A * u), "least-squares target pullback")
  }

  @Test("binary logistic: gradient and Hessian product by one pass each", arguments: [0, 1, 2])
  func logistic(shapeIndex: Int) throws {
    let (n, d) = Self.shapes[shapeIndex]
    var rng = SeededGenerator(seed: 902)
    let X = rng.normalMatrix(rows: n, columns: d, scale: 1 / Double(d).squareRoot())
    let y = Vector((0..<n).map { _ in rng.normal() > 0 ? 1.0 : -1.0 })
    let w = rng.normalVector(d), v = rng.normalVector(d)
    let θ = Vector([0.2])
    let f = try BinaryLogisticRegression(features: X, labels: y)
    let margins = (0..<n).map { y[$0] * (X * w)[$0] }
    let s = margins.map { 1 / (1 + Reference.exp(-$0)) }
    let gradient = X.transposedTimes(Vector((0..<n).map { -y[$0] * (1 - s[$0]) / Double(n) })) + 0.2 * w
    Self.expectClose(f.gradient(at: w, θ), gradient, "logistic gradient")
    let xv = X * v
    let hv = X.transposedTimes(Vector((0..<n).map { s[$0] * (1 - s[$0]) * xv[$0] / Double(n) })) + 0.2 * v
    Self.expectClose(f.gradientJVP(at: w, θ, along: v, Vector([0])), hv, "logistic Hessian product")
    Self.expectClose(f.gradientPullback(at: w, θ, v).x, hv, "logistic Hessian pullback")
  }

  /// `f(β) = ½/θ‖Xᵀ(Y − β)‖² + ⟨β, Y − 1⟩`: `∇f = −K(Y − β)/θ + Y − 1`, `∇²f = K/θ` on each class,
  /// `∂∇f/∂θ = K(Y − β)/θ²`, with `K = XXᵀ`. Wide data uses the Gram form, tall data two passes.
  @Test("multiclass SVM dual, Gram form (P > n) and product form (P ≤ n)", arguments: [(9, 23), (23, 9), (120, 301)])
  func svmDual(shape: (Int, Int)) throws {
    let (n, p) = shape
    let k = 5
    var rng = SeededGenerator(seed: 903)
    let X = rng.normalMatrix(rows: n, columns: p, scale: 1 / Double(p).squareRoot())
    let labels = Vector((0..<n).map { Double($0 % k) })
    let Y = try oneHot(labels, classes: k)
    let f = try MulticlassSVMDual(X: X, Y: Y)
    let beta = Vector((0..<(n * k)).map { _ in 0.2 + 0.05 * rng.normal() })
    let v = rng.normalVector(n * k), u = rng.normalVector(n * k)
    let theta = 0.7, θ = Vector([theta])
    let K = X * X.transposed()
    let m = Y - beta.reshaped(rows: n, columns: k)
    let km = (K * m).flattenedVector()
    let gradient = (-1 / theta) * km + Vector(Y.scalars) - Vector(repeating: 1, count: n * k)
    Self.expectClose(f.gradient(at: beta, θ), gradient, "SVM dual gradient")
    let hv = (1 / theta) * (K * v.reshaped(rows: n, columns: k)).flattenedVector()
    let mixed = (1 / (theta * theta)) * km
    Self.expectClose(f.gradientJVP(at: beta, θ, along: v, Vector([0.3])), hv + 0.3 * mixed, "SVM dual JVP")
    let pulled = f.gradientPullback(at: beta, θ, u)
    Self.expectClose(
      pulled.x, (1 / theta) * (K * u.reshaped(rows: n, columns: k)).flattenedVector(), "SVM Hessian pullback")
    #expect(Swift.abs(pulled.θ[0] - mixed.dot(u)) <= 1e-11 * Swift.abs(mixed.dot(u)) + 1e-14)
    let value =
      0.5 / theta * (X.transposed() * m).flattenedVector().squaredNorm() + beta.dot(Vector(Y.scalars)) - beta.sum()
    #expect(Swift.abs(f(beta, θ) - value) <= 1e-11 * Swift.abs(value))
    let dualValue = f(Vector<Dual>(values: beta, derivatives: v), Vector<Dual>(values: θ, derivatives: Vector([0])))
    #expect(Swift.abs(dualValue.derivative - gradient.dot(v)) <= 1e-10 * Swift.max(1, Swift.abs(gradient.dot(v))))
  }

  /// `X̃ᵀ(P − Y)/n + θW` and its Hessian product against AD through the unfused composite
  /// (scores as a generic matrix product, then the row-wise log-sum-exp).
  @Test("multiclass logistic: data products on dual numbers vs the composite", arguments: [0, 2])
  func multiclassLogistic(shapeIndex: Int) throws {
    let (n, d) = Self.shapes[shapeIndex]
    let k = 4
    var rng = SeededGenerator(seed: 904)
    let X = rng.normalMatrix(rows: n, columns: d, scale: 1 / Double(d).squareRoot())
    let labels = Vector((0..<n).map { Double(($0 * 7) % k) })
    let f = try L2MulticlassLogisticRegression(features: X, labels: labels, classes: k)
    let W = rng.normalVector(d * k), V = rng.normalVector(d * k)
    let θ = Vector([0.1])
    let Y = try oneHot(labels, classes: k)
    struct Composite: ParametricObjective {
      let X: Matrix<Double>, Y: Matrix<Double>, k: Int
      @differentiable(reverse)
      func callAsFunction<S: RealScalar>(_ w: Vector<S>, _ θ: Vector<S>) -> S {
        let scores = Matrix<S>(converting: X) * w.reshaped(rows: X.columns, columns: k)
        let loss = (scores.rowLogSumExp().sum() - scores.flattenedVector().dot(Vector<S>(converting: Y.scalars)))
        return loss / S(Double(X.rows)) + l2Penalty(w, θ)
      }
    }
    let reference = Composite(X: X, Y: Y, k: k)
    Self.expectClose(f.gradient(at: W, θ), reference.gradient(at: W, θ), "multiclass gradient")
    Self.expectClose(
      f.gradientJVP(at: W, θ, along: V, Vector([0])), reference.gradientJVP(at: W, θ, along: V, Vector([0])),
      "multiclass Hessian product")
  }
}
