/// The area under the ROC curve of `scores` for telling `positive` labels from the others,
/// computed from ranks (Mann–Whitney): the probability that a random positive scores higher
/// than a random negative, ties counting one half. `nil` when a class is absent.
func areaUnderROC(scores: [Double], labels: [Int], positive: Int) -> Double? {
  let order = scores.indices.sorted { scores[$0] < scores[$1] }
  var ranks = [Double](repeating: 0, count: scores.count)
  var start = 0
  while start < order.count {
    var end = start
    while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
    let averageRank = Double(start + end) / 2 + 1  // ranks are 1-based; ties share their mean
    for r in start...end { ranks[order[r]] = averageRank }
    start = end + 1
  }
  let positives = labels.filter { $0 == positive }.count, negatives = labels.count - positives
  guard positives > 0, negatives > 0 else { return nil }
  let positiveRankSum = labels.indices.filter { labels[$0] == positive }.reduce(0.0) { $0 + ranks[$1] }
  return (positiveRankSum - Double(positives * (positives + 1)) / 2) / Double(positives * negatives)
}

/// The ROC curve: (false-positive rate, true-positive rate) at every threshold, from (0, 0) to (1, 1).
func rocCurve(scores: [Double], labels: [Int], positive: Int) -> [(x: Double, y: Double)] {
  let order = scores.indices.sorted { scores[$0] > scores[$1] }
  let positives = Double(max(labels.filter { $0 == positive }.count, 1))
  let negatives = Double(max(labels.count - labels.filter { $0 == positive }.count, 1))
  var points: [(x: Double, y: Double)] = [(0, 0)]
  var truePositives = 0.0, falsePositives = 0.0
  for (r, i) in order.enumerated() {
    if labels[i] == positive { truePositives += 1 } else { falsePositives += 1 }
    // One point per distinct score: tied samples move the curve together (diagonally).
    if r + 1 == order.count || scores[order[r + 1]] != scores[i] {
      points.append((falsePositives / negatives, truePositives / positives))
    }
  }
  return points
}
