import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing

/// Objectives whose derivatives have closed forms, against those closed forms written with plain
/// loops (exact up to rounding, so tight tolerances).
@Suite struct ClosedFormTests {
  let n = 15, d = 5

  @Test func leastSquaresGradientHessianAndMixedProducts() throws {
    var rng = SeededGenerator(seed: 1)
    let A = rng.normalMatrix(rows: n, columns: d)
    let (x, b, v, t) = (rng.normalVector(d), rng.normalVector(n), rng.normalVector(d), rng.normalVector(n))
    let f = try LeastSquares(A: A)
    let rows = Reference.rows(A)
    let residual = zip(Reference.matvec(rows, x.scalars), b.scalars).map { $0 - $1 }
    #expect(Reference.relativeError(f.gradient(at: x, b).scalars, Reference.transposedMatvec(rows, residual)) < 1e-13)
    let hv = Reference.transposedMatvec(rows, Reference.matvec(rows, v.scalars))  // AᵀA v
    let exact = f.gradientJVP(at: x, b, along: v, Vector.zeros(n))
    #expect(Reference.relativeError(exact.scalars, hv) < 1e-13)
    let bt = Reference.transposedMatvec(rows, t.scalars).map { -$0 }  // −Aᵀ t
    #expect(Reference.relativeError(f.gradientJVP(at: x, b, along: Vector.zeros(d), t).scalars, bt) < 1e-13)
    #expect(Swift.abs(f.value(at: x, b) - 0.5 * Reference.dot(residual, residual)) < 1e-12)
  }

  @Test func logisticGradientAndHessianProducts() throws {
    var rng = SeededGenerator(seed: 2)
    let X = rng.normalMatrix(rows: n, columns: d)
    let y = Vector((0..<n).map { i in i % 3 == 0 ? 1.0 : -1.0 })
    let (w, θ, v, t) = (
      rng.normalVector(d), Vector((0..<d).map { 0.1 + 0.1 * Double($0) }), rng.normalVector(d), rng.normalVector(d)
    )
    let f = try BinaryLogisticRegression(features: X, labels: y)
    let rows = Reference.rows(X)
    let z = Reference.matvec(rows, w.scalars)
    let s = (0..<n).map { Reference.sigmoid(y[$0] * z[$0]) }
    // ∇ = −Xᵀ(y ⊙ (1 − s))/n + θ ⊙ w
    let gradient = zip(
      Reference.transposedMatvec(rows, (0..<n).map { -y[$0] * (1 - s[$0]) / Double(n) }), (0..<d).map { θ[$0] * w[$0] }
    ).map { $0 + $1 }
    #expect(Reference.relativeError(f.gradient(at: w, θ).scalars, gradient) < 1e-13)
    // H v = Xᵀ(s(1 − s) ⊙ Xv)/n + θ ⊙ v
    let xv = Reference.matvec(rows, v.scalars)
    let hv = zip(
      Reference.transposedMatvec(rows, (0..<n).map { s[$0] * (1 - s[$0]) * xv[$0] / Double(n) }),
      (0..<d).map { θ[$0] * v[$0] }
    ).map { $0 + $1 }
    #expect(Reference.relativeError(f.gradientJVP(at: w, θ, along: v, Vector.zeros(d)).scalars, hv) < 1e-13)
    // B t = w ⊙ t
    #expect(
      Reference.relativeError(f.gradientJVP(at: w, θ, along: Vector.zeros(d), t).scalars, (0..<d).map { w[$0] * t[$0] })
        < 1e-14)
    let value =
      (0..<n).map { Reference.log1p(Reference.exp(-y[$0] * z[$0])) }.reduce(0, +) / Double(n)
      + 0.5 * (0..<d).map { θ[$0] * w[$0] * w[$0] }.reduce(0, +)
    #expect(Swift.abs(f.value(at: w, θ) - value) < 1e-13)
  }

  @Test func logisticInterceptShiftsEveryMargin() throws {
    var rng = SeededGenerator(seed: 3)
    let X = rng.normalMatrix(rows: n, columns: d)
    let y = Vector((0..<n).map { i in i % 2 == 0 ? 1.0 : -1.0 })
    let w = rng.normalVector(d), c = 0.7, θ = Vector([0.3])
    let f = try BinaryLogisticRegression(features: X, labels: y, fitIntercept: true)
    let z = Reference.matvec(Reference.rows(X), w.scalars)
    let value =
      (0..<n).map { Reference.log1p(Reference.exp(-y[$0] * (z[$0] + c))) }.reduce(0, +) / Double(n)
      + 0.5 * 0.3 * Reference.dot(w.scalars, w.scalars)  // the intercept is not penalised
    #expect(Swift.abs(f.value(at: Vector(w.scalars + [c]), θ) - value) < 1e-13)
  }

  @Test func ridgeMixedProductsAreTheSolution() throws {
    var rng = SeededGenerator(seed: 4)
    let f = try RidgeRegression(A: rng.normalMatrix(rows: n, columns: d), b: rng.normalVector(n))
    let x = rng.normalVector(d), t = rng.normalVector(d)
    // Per feature: B t = x ⊙ t. Shared: B t = t·x.
    let perFeature = f.gradientJVP(at: x, Vector(repeating: 0.5, count: d), along: Vector.zeros(d), t)
    #expect(Reference.relativeError(perFeature.scalars, (0..<d).map { x[$0] * t[$0] }) < 1e-14)
    let shared = f.gradientJVP(at: x, Vector([0.5]), along: Vector.zeros(d), Vector([2]))
    #expect(Reference.relativeError(shared.scalars, x.scalars.map { 2 * $0 }) < 1e-14)
  }

  @Test func huberGradientClipsResiduals() throws {
    var rng = SeededGenerator(seed: 5)
    let A = rng.normalMatrix(rows: n, columns: d), b = rng.normalVector(n, scale: 3)
    let f = try HuberRegression(A: A, b: b, delta: 0.5)
    let x = rng.normalVector(d), θ = Vector([0.2])
    let rows = Reference.rows(A)
    let r = zip(Reference.matvec(rows, x.scalars), b.scalars).map { $0 - $1 }
    #expect(r.contains { Swift.abs($0) > 0.5 } && r.contains { Swift.abs($0) < 0.5 })  // both zones used
    let clipped = r.map { min(max($0, -0.5), 0.5) / Double(n) }
    let gradient = zip(Reference.transposedMatvec(rows, clipped), x.scalars).map { $0 + 0.2 * $1 }
    #expect(Reference.relativeError(f.gradient(at: x, θ).scalars, gradient) < 1e-13)
    // Hessian: Aᵀ D A/n + θI with D the quadratic-zone indicator.
    let v = rng.normalVector(d)
    let av = Reference.matvec(rows, v.scalars)
    let dav = (0..<n).map { Swift.abs(r[$0]) <= 0.5 ? av[$0] / Double(n) : 0 }
    let hv = zip(Reference.transposedMatvec(rows, dav), v.scalars).map { $0 + 0.2 * $1 }
    #expect(Reference.relativeError(f.gradientJVP(at: x, θ, along: v, Vector.zeros(1)).scalars, hv) < 1e-13)
  }

  @Test func softmaxCrossEntropyValueAndGradient() throws {
    var rng = SeededGenerator(seed: 6)
    let k = 3
    let X = rng.normalMatrix(rows: n, columns: d)
    let labels = Vector((0..<n).map { Double($0 % k) })
    let f = try SoftmaxCrossEntropy(features: X, classes: k)
    let targets = try f.oneHotTargets(labels)
    let W = rng.normalVector(d * k)
    let rows = Reference.rows(X)
    var value = 0.0
    var gradient = [Double](repeating: 0, count: d * k)
    for i in 0..<n {
      let z = (0..<k).map { c in (0..<d).map { rows[i][$0] * W[$0 * k + c] }.reduce(0, +) }
      let m = z.max()!
      let lse = m + Reference.log(z.map { Reference.exp($0 - m) }.reduce(0, +))
      let label = Int(labels[i])
      value += (lse - z[label]) / Double(n)
      for c in 0..<k {
        let p = Reference.exp(z[c] - lse) - (c == label ? 1 : 0)
        for j in 0..<d { gradient[j * k + c] += rows[i][j] * p / Double(n) }
      }
    }
    #expect(Swift.abs(f.value(at: W, targets) - value) < 1e-13)
    #expect(Reference.relativeError(f.gradient(at: W, targets).scalars, gradient) < 1e-13)
    // The l2-regularised version adds ½θ‖W‖² and θW.
    let g = try L2MulticlassLogisticRegression(features: X, labels: labels, classes: k)
    #expect(Swift.abs(g.value(at: W, Vector([0.4])) - value - 0.2 * Reference.dot(W.scalars, W.scalars)) < 1e-13)
  }
}
