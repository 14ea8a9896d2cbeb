import Foundation
import ImplicitCore
import ImplicitObjectives

// `benchmarks --products`: the cost of one call of each objective's derivative products
// (`gradient`, `gradientJVP`, `gradientPullback`) at the sizes of the workloads — the unit every
// implicit linear solve is made of. Public API only, random data, one warm-up call, median of the
// timed calls.

/// Median seconds of one call of `body` (at least `minimumCalls` calls and 0.1 s).
func timePerCall(minimumCalls: Int = 20, _ body: () -> Void) -> (median: Double, calls: Int) {
  body()
  var samples = [Double]()
  var total = 0.0
  while samples.count < minimumCalls || (total < 0.1 && samples.count < 5000) {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    let s = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    samples.append(s)
    total += s
  }
  return (median(samples), samples.count)
}

/// Keeps a result alive so the call is not optimised away.
nonisolated(unsafe) var productSink = 0.0

func sink(_ v: Vector<Double>) { productSink += v.scalars.first ?? 0 }

/// Times the three products of `objective` at `(x, θ)` along `v` (and `u` for the pullback).
func timeProducts<F: ParametricObjective>(
  _ name: String, _ objective: F, x: Vector<Double>, θ: Vector<Double>, v: Vector<Double>, t: Vector<Double>,
  into rows: inout [[String: Any]]
) {
  let cases: [(String, () -> Void)] = [
    ("gradient", { sink(objective.gradient(at: x, θ)) }),
    ("gradientJVP", { sink(objective.gradientJVP(at: x, θ, along: v, t)) }),
    ("gradientPullback", { sink(objective.gradientPullback(at: x, θ, v).x) }),
  ]
  for (product, body) in cases {
    let (s, calls) = timePerCall(body)
    let label = "\(name)  \(product)".padding(toLength: 56, withPad: " ", startingAt: 0)
    say("  " + label + String(format: "%9.1f µs  (%d calls)", s * 1e6, calls))
    rows.append(["objective": name, "product": product, "seconds": s, "calls": calls])
  }
}

/// The product timings, printed and returned as JSON rows.
func runProductTimings() -> [[String: Any]] {
  var g = SeededGenerator(seed: 99)
  func normals(_ count: Int, scale: Double = 1) -> [Double] { (0..<count).map { _ in g.normal() * scale } }
  func matrix(_ r: Int, _ c: Int, scale: Double = 1) -> Matrix<Double> {
    Matrix(rows: r, columns: c, scalars: normals(r * c, scale: scale))
  }
  var rows = [[String: Any]]()
  let n = 500
  // Multiclass SVM dual, n = 500, k = 5: the skinny form (p = 100) and the Gram form (p = 1000).
  for p in [100, 1000] {
    let k = 5
    var labels = Matrix<Double>.zeros(rows: n, columns: k)
    for i in 0..<n { labels[i, i % k] = 1 }
    guard let svm = try? MulticlassSVMDual(X: matrix(n, p, scale: 1 / Double(p).squareRoot()), Y: labels) else {
      fail("SVM set-up failed")
    }
    let β = Vector((0..<(n * k)).map { _ in Double.random(in: 0..<1, using: &g) })
    timeProducts(
      "MulticlassSVMDual p=\(p)", svm, x: β, θ: Vector([1]), v: Vector(normals(n * k)), t: Vector([0.5]),
      into: &rows)
  }
  // Least squares (the lasso's smooth part), n = 500, p = 2000: dense and support-sparse directions.
  do {
    let p = 2000
    guard let ls = try? LeastSquares(A: matrix(n, p, scale: 1 / Double(n).squareRoot())) else {
      fail("least-squares set-up failed")
    }
    let x = Vector(normals(p)), b = Vector(normals(n))
    timeProducts("LeastSquares p=2000", ls, x: x, θ: b, v: Vector(normals(p)), t: Vector(normals(n)), into: &rows)
    var sparse = [Double](repeating: 0, count: p)
    for j in stride(from: 0, to: p, by: 125) { sparse[j] = g.normal() }  // 16 nonzeros, like the lasso's support
    // The lasso's iterate and directions restricted to its support: x and v with 16 nonzeros.
    timeProducts(
      "LeastSquares p=2000, 16 nonzeros", ls, x: Vector(sparse.map { $0 * 0.5 }), θ: b, v: Vector(sparse),
      t: Vector.zeros(n), into: &rows)
  }
  // Ridge and logistic regression with per-feature strengths, n = 500, p = 1000.
  do {
    let p = 1000
    let A = matrix(n, p, scale: 1 / Double(n).squareRoot())
    let θ = Vector((0..<p).map { _ in Double.random(in: 0.3..<1, using: &g) })
    let x = Vector(normals(p, scale: 0.1)), v = Vector(normals(p)), t = Vector(normals(p))
    guard let ridge = try? RidgeRegression(A: A, b: Vector(normals(n))),
      let logistic = try? BinaryLogisticRegression(
        features: matrix(n, p), labels: Vector((0..<n).map { $0 % 3 == 0 ? -1.0 : 1.0 }))
    else { fail("ridge/logistic set-up failed") }
    timeProducts("RidgeRegression p=1000", ridge, x: x, θ: θ, v: v, t: t, into: &rows)
    timeProducts("BinaryLogisticRegression p=1000", logistic, x: x, θ: θ, v: v, t: t, into: &rows)
  }
  // Multiclass logistic regression, n = 500, d = 100, k = 5.
  do {
    let (d, k) = (100, 5)
    guard
      let softmax = try? L2MulticlassLogisticRegression(
        features: matrix(n, d), labels: Vector((0..<n).map { Double($0 % k) }), classes: k)
    else { fail("softmax set-up failed") }
    timeProducts(
      "L2MulticlassLogisticRegression d=100", softmax, x: Vector(normals(d * k, scale: 0.1)), θ: Vector([0.5]),
      v: Vector(normals(d * k)), t: Vector([0.3]), into: &rows)
  }
  return rows
}
