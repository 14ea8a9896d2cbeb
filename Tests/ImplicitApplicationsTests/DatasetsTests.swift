import ImplicitCore
import Testing

@testable import ImplicitApplications

/// The shipped data sets, checked against their published descriptions (UCI / scikit-learn):
/// shapes, label ranges, class counts and pixel range.
@Suite struct DatasetsTests {
  @Test func digitsHaveThePublishedShapeAndRanges() throws {
    let digits = try Datasets.digits()
    #expect(digits.count == 1797)
    #expect(digits.featureCount == 64)
    #expect(digits.classCount == 10)
    #expect(digits.features.scalars.allSatisfy { $0 >= 0 && $0 <= 16 && $0 == $0.rounded() })
    #expect(digits.features.scalars.contains(16))
    // Class sizes of the UCI optical digits test set as shipped by scikit-learn.
    let counts = (0..<10).map { c in digits.labels.filter { $0 == c }.count }
    #expect(counts == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
  }

  @Test func breastCancerHasThePublishedShapeAndClasses() throws {
    let data = try Datasets.breastCancer()
    #expect(data.count == 569)
    #expect(data.featureCount == 30)
    #expect(data.classNames == ["malignant", "benign"])
    #expect(data.labels.filter { $0 == 0 }.count == 212)
    #expect(data.labels.filter { $0 == 1 }.count == 357)
    #expect(data.features.scalars.allSatisfy { $0.isFinite })
  }

  @Test func stratifiedSplitKeepsEveryRowAndTheClassProportions() throws {
    let data = try Datasets.breastCancer()
    let fraction = 0.25
    let (train, test) = data.split(testFraction: fraction, seed: 42)
    #expect(train.count + test.count == data.count)
    for c in 0..<data.classCount {
      let total = data.labels.filter { $0 == c }.count
      let expectedTest = Int((Double(total) * fraction).rounded())
      #expect(test.labels.filter { $0 == c }.count == expectedTest)
      #expect(train.labels.filter { $0 == c }.count == total - expectedTest)
    }
    // The two parts together are exactly the original (row, label) multiset.
    func rows(_ d: LabeledDataset) -> [[Double]] {
      (0..<d.count).map { i in
        Array(d.features.scalars[(i * d.featureCount)..<((i + 1) * d.featureCount)]) + [Double(d.labels[i])]
      }
    }
    let sorted: ([[Double]]) -> [[Double]] = { $0.sorted { $0.lexicographicallyPrecedes($1) } }
    #expect(sorted(rows(train) + rows(test)) == sorted(rows(data)))
    // Reproducible for a seed, different for another.
    let again = data.split(testFraction: fraction, seed: 42)
    #expect(again.test.features.scalars == test.features.scalars && again.test.labels == test.labels)
    let other = data.split(testFraction: fraction, seed: 43)
    #expect(other.test.features.scalars != test.features.scalars)
  }

  @Test func standardisationCentresAndScalesTheTrainingPart() throws {
    for data in [try Datasets.breastCancer(), try Datasets.digits()] {
      let (train, test) = data.split(testFraction: 0.25, seed: 7)
      let standardisation = FeatureStandardization(fittedOn: train.features)
      let z = standardisation.apply(to: train).features
      let (n, d) = (z.rows, z.columns)
      for j in 0..<d {
        let column = (0..<n).map { train.features.scalars[$0 * d + j] }
        let isConstant = column.allSatisfy { $0 == column[0] }
        let values = (0..<n).map { z.scalars[$0 * d + j] }
        let mean = values.reduce(0, +) / Double(n)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 1e-10, "feature \(j) of \(data.name)")
        if isConstant {
          #expect(values.allSatisfy { $0 == 0 }, "constant feature \(j) of \(data.name) is centred")
        } else {
          #expect(abs(variance.squareRoot() - 1) < 1e-10, "feature \(j) of \(data.name)")
        }
      }
      // The test part uses the training statistics, unchanged (independently recomputed here).
      let zt = standardisation.apply(to: test.features)
      for j in 0..<d {
        let column = (0..<n).map { train.features.scalars[$0 * d + j] }
        let mean = column.reduce(0, +) / Double(n)
        let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
        let scale = sd > 0 ? sd : 1
        for i in [0, test.count / 2, test.count - 1] {
          let expected = (test.features.scalars[i * d + j] - mean) / scale
          #expect(abs(zt.scalars[i * d + j] - expected) <= 1e-9 * max(1, abs(expected)))
        }
      }
    }
  }

  @Test func inconsistentLabelsAreATypedError() {
    let features = Matrix<Double>(rows: 2, columns: 1, scalars: [1, 2])
    #expect(throws: DatasetError.self) {
      try LabeledDataset(name: "bad", features: features, labels: [0], classNames: ["a"])
    }
    #expect(throws: DatasetError.self) {
      try LabeledDataset(name: "bad", features: features, labels: [0, 2], classNames: ["a", "b"])
    }
  }
}
