import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing
import _Differentiation

/// Sparsemax against an independent bisection for its threshold, its Jacobian against the
/// closed form, and the Fenchel–Young losses against their defining properties.
@Suite struct SparsemaxAndFenchelYoungTests {
  /// `τ` with `Σ max(zⱼ − τ, 0) = 1`, by bisection (independent of the sort-based algorithm).
  func thresholdByBisection(_ z: [Double]) -> Double {
    var lo = z.max()! - 1, hi = z.max()!
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if z.map({ max($0 - mid, 0) }).reduce(0, +) > 1 { lo = mid } else { hi = mid }
    }
    return 0.5 * (lo + hi)
  }

  @Test(arguments: [UInt64(1), 2, 3, 4])
  func sparsemaxMatchesBisection(_ seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let z = rng.normalVector(7)
    let tau = thresholdByBisection(z.scalars)
    let reference = z.scalars.map { max($0 - tau, 0) }
    #expect(Reference.relativeError(sparsemax(z).scalars, reference) < 1e-13)
  }

  @Test func sparsemaxJacobianIsTheClosedForm() {
    let z = Vector([0.9, 0.5, -1.0, 0.7, -0.2])
    let p = sparsemax(z)
    let support = (0..<z.count).filter { p[$0] > 0 }
    #expect(support.count >= 2)  // a non-trivial case
    var rng = SeededGenerator(seed: 7)
    let v = rng.normalVector(z.count)
    // J v = s ⊙ (v − mean over the support of v).
    let mean = support.map { v[$0] }.reduce(0, +) / Double(support.count)
    let closedForm = (0..<z.count).map { support.contains($0) ? v[$0] - mean : 0 }
    let forward = sparsemax(Vector<Dual>(values: z, derivatives: v)).derivatives
    #expect(Reference.relativeError(forward.scalars, closedForm) < 1e-14)
    let reverse = pullback(at: z) { (z: Vector<Double>) in sparsemax(z) }(v)
    #expect(Reference.relativeError(reverse.scalars, closedForm) < 1e-14)
  }

  @Test(arguments: [FenchelYoungRegularizer.shannonNegentropy, .squaredNorm])
  func fenchelYoungLossIsZeroExactlyAtThePrediction(_ regularizer: FenchelYoungRegularizer) {
    var rng = SeededGenerator(seed: 8)
    let scores = rng.normalMatrix(rows: 4, columns: 5)
    let predictions = Matrix(
      scores.rowArrays.map { row in
        regularizer == .squaredNorm ? sparsemax(Vector(row)).scalars : Vector(row).softmax().scalars
      })
    #expect(Swift.abs(fenchelYoungLoss(scores, targets: predictions, regularizer: regularizer)) < 1e-14)
    let oneHot = Matrix((0..<4).map { i in (0..<5).map { $0 == i ? 1.0 : 0.0 } })
    #expect(fenchelYoungLoss(scores, targets: oneHot, regularizer: regularizer) > 0)
  }

  @Test func shannonFenchelYoungIsCrossEntropyMinusEntropy() throws {
    var rng = SeededGenerator(seed: 9)
    let X = rng.normalMatrix(rows: 6, columns: 3)
    let soft = Matrix(rng.normalMatrix(rows: 6, columns: 4).rowArrays.map { Vector($0).softmax().scalars })
    let W = rng.normalVector(12)
    let fy = try FenchelYoungLoss(features: X, targets: soft, regularizer: .shannonNegentropy)
    let ce = try SoftmaxCrossEntropy(features: X, classes: 4)
    let entropy = soft.scalars.map { -$0 * Reference.log($0) }.reduce(0, +) / 6
    #expect(Swift.abs(fy.value(at: W, Vector([0])) - (ce.value(at: W, soft.flattenedVector()) - entropy)) < 1e-13)
  }

  @Test func sparsemaxLossGradientIsPredictionMinusTarget() throws {
    var rng = SeededGenerator(seed: 10)
    let X = rng.normalMatrix(rows: 5, columns: 2)
    let labels = Vector([0, 1, 2, 1, 0])
    let f = try SparsemaxLoss(features: X, labels: labels, classes: 3)
    let W = rng.normalVector(6)
    let rows = Reference.rows(X)
    var gradient = [Double](repeating: 0, count: 6)
    for i in 0..<5 {
      let z = (0..<3).map { c in rows[i][0] * W[c] + rows[i][1] * W[3 + c] }
      let p = sparsemax(Vector(z))
      for c in 0..<3 {
        let r = p[c] - (Int(labels[i]) == c ? 1 : 0)
        for j in 0..<2 { gradient[j * 3 + c] += rows[i][j] * r / 5 }
      }
    }
    #expect(Reference.relativeError(f.gradient(at: W, Vector([0])).scalars, gradient) < 1e-13)
  }
}
