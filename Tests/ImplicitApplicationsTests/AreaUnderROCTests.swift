import ImplicitCore
import Testing

@testable import ImplicitApplications

/// The rank-based AUC against its definition: the fraction of (positive, negative) pairs the
/// scores order correctly, ties counting one half.
@Suite struct AreaUnderROCTests {
  static func pairwiseAUC(_ scores: [Double], _ labels: [Int], positive: Int) -> Double? {
    var wins = 0.0, pairs = 0.0
    for p in scores.indices where labels[p] == positive {
      for q in scores.indices where labels[q] != positive {
        pairs += 1
        if scores[p] > scores[q] { wins += 1 } else if scores[p] == scores[q] { wins += 0.5 }
      }
    }
    return pairs > 0 ? wins / pairs : nil
  }

  @Test func rankAUCEqualsPairwiseCountingWithTies() {
    var rng = SeededGenerator(seed: 2024)
    for trial in 0..<200 {
      let n = Int.random(in: 2...25, using: &rng)
      // Few distinct score values, so ties are frequent (within and across classes).
      let levels = Int.random(in: 1...5, using: &rng)
      let scores = (0..<n).map { _ in Double(Int.random(in: 0..<levels, using: &rng)) * 0.37 }
      let labels = (0..<n).map { _ in Int.random(in: 0..<3, using: &rng) }
      let positive = Int.random(in: 0..<3, using: &rng)
      let expected = Self.pairwiseAUC(scores, labels, positive: positive)
      let actual = areaUnderROC(scores: scores, labels: labels, positive: positive)
      if let expected {
        #expect(actual != nil && abs(actual! - expected) < 1e-12, "trial \(trial)")
      } else {
        #expect(actual == nil, "trial \(trial)")
      }
    }
  }

  @Test func rankAUCEqualsPairwiseCountingWithContinuousScores() {
    var rng = SeededGenerator(seed: 5)
    let scores = (0..<60).map { _ in rng.normal() }
    let labels = (0..<60).map { _ in Int.random(in: 0...1, using: &rng) }
    let expected = Self.pairwiseAUC(scores, labels, positive: 1)!
    #expect(abs(areaUnderROC(scores: scores, labels: labels, positive: 1)! - expected) < 1e-12)
  }

  @Test func extremeCases() {
    #expect(areaUnderROC(scores: [1, 2, 3, 4], labels: [0, 0, 1, 1], positive: 1) == 1)
    #expect(areaUnderROC(scores: [1, 2, 3, 4], labels: [1, 1, 0, 0], positive: 1) == 0)
    #expect(areaUnderROC(scores: [3, 3, 3, 3], labels: [1, 0, 1, 0], positive: 1) == 0.5)
    #expect(areaUnderROC(scores: [1, 2], labels: [1, 1], positive: 1) == nil)
  }

  @Test func rocCurveEndsAtTheCornersAndItsAreaIsTheAUC() {
    var rng = SeededGenerator(seed: 9)
    let scores = (0..<40).map { _ in Double(Int.random(in: 0..<6, using: &rng)) }
    let labels = (0..<40).map { _ in Int.random(in: 0...1, using: &rng) }
    let curve = rocCurve(scores: scores, labels: labels, positive: 1)
    #expect(curve.first!.x == 0 && curve.first!.y == 0 && curve.last!.x == 1 && curve.last!.y == 1)
    // Trapezoids: tied groups move diagonally, which is exactly the one-half tie credit.
    var area = 0.0
    for k in 1..<curve.count { area += (curve[k].x - curve[k - 1].x) * (curve[k].y + curve[k - 1].y) / 2 }
    #expect(abs(area - Self.pairwiseAUC(scores, labels, positive: 1)!) < 1e-12)
  }
}
