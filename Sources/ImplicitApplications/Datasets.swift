import Foundation
public import ImplicitCore

/// A labelled data set: one row of features per sample and an integer class label `0..<classes`.
public struct LabeledDataset: Sendable {
  /// A short name for progress output.
  public var name: String
  /// The features, one row per sample (`count × featureCount`).
  public var features: Matrix<Double>
  /// The class of each sample, in `0..<classNames.count`.
  public var labels: [Int]
  /// The name of each class, indexed by label.
  public var classNames: [String]

  /// A data set from its parts; throws unless there is one label per row, each in range.
  public init(name: String, features: Matrix<Double>, labels: [Int], classNames: [String]) throws {
    guard labels.count == features.rows else {
      throw DatasetError.inconsistent(name, "\(labels.count) labels for \(features.rows) rows")
    }
    if let bad = labels.firstIndex(where: { !classNames.indices.contains($0) }) {
      throw DatasetError.inconsistent(name, "label \(labels[bad]) of row \(bad) is not in 0..<\(classNames.count)")
    }
    self.name = name
    self.features = features
    self.labels = labels
    self.classNames = classNames
  }

  /// Number of samples.
  public var count: Int { features.rows }
  /// Number of features per sample.
  public var featureCount: Int { features.columns }
  /// Number of classes.
  public var classCount: Int { classNames.count }

  /// The samples at `indices`, in that order.
  public func rows(_ indices: [Int]) -> LabeledDataset {
    let d = featureCount
    var scalars = [Double]()
    scalars.reserveCapacity(indices.count * d)
    for i in indices { scalars.append(contentsOf: features.scalars[(i * d)..<((i + 1) * d)]) }
    // Indices come from this data set, so labels stay in range: no check needed.
    return LabeledDataset(
      unchecked: name, Matrix(rows: indices.count, columns: d, scalars: scalars), indices.map { labels[$0] },
      classNames)
  }

  /// A reproducible stratified split: within each class, a shuffled `testFraction` of the samples
  /// goes to the test set, so both sets keep the class proportions.
  public func split(testFraction: Double, seed: UInt64) -> (train: LabeledDataset, test: LabeledDataset) {
    var rng = SeededGenerator(seed: seed)
    var train = [Int](), test = [Int]()
    for c in 0..<classCount {
      let members = labels.indices.filter { labels[$0] == c }.shuffled(using: &rng)
      let testCount = Int((Double(members.count) * testFraction).rounded())
      test += members.prefix(testCount)
      train += members.dropFirst(testCount)
    }
    return (rows(train.shuffled(using: &rng)), rows(test.shuffled(using: &rng)))
  }

  /// The labels as one-hot rows (`count × classCount`).
  public var oneHotLabels: Matrix<Double> {
    var m = Matrix<Double>.zeros(rows: count, columns: classCount)
    for (i, y) in labels.enumerated() { m[i, y] = 1 }
    return m
  }

  init(unchecked name: String, _ features: Matrix<Double>, _ labels: [Int], _ classNames: [String]) {
    self.name = name
    self.features = features
    self.labels = labels
    self.classNames = classNames
  }
}

/// Per-feature centring and scaling `(x − mean) / std`, fitted on training data only and then
/// applied unchanged to held-out data (fitting it on the test set would leak information).
public struct FeatureStandardization: Sendable {
  /// The mean of each feature on the data it was fitted on.
  public var mean: [Double]
  /// The standard deviation of each feature (1 for a constant feature, which is left centred).
  public var scale: [Double]

  /// Fits the means and standard deviations of the columns of `features`.
  public init(fittedOn features: Matrix<Double>) {
    let (n, d) = (features.rows, features.columns)
    var mean = [Double](repeating: 0, count: d)
    var square = [Double](repeating: 0, count: d)
    for i in 0..<n {
      for j in 0..<d {
        let x = features.scalars[i * d + j]
        mean[j] += x
        square[j] += x * x
      }
    }
    let count = Double(max(n, 1))
    let means = mean.map { $0 / count }
    self.mean = means
    scale = (0..<d).map { j in
      let variance = max(square[j] / count - means[j] * means[j], 0)
      return variance > 0 ? variance.squareRoot() : 1
    }
  }

  /// `(x − mean) / std`, column by column.
  public func apply(to features: Matrix<Double>) -> Matrix<Double> {
    let d = features.columns
    var out = features
    for i in 0..<features.rows {
      for j in 0..<d { out.scalars[i * d + j] = (features.scalars[i * d + j] - mean[j]) / scale[j] }
    }
    return out
  }

  /// The data set with its features standardised.
  public func apply(to data: LabeledDataset) -> LabeledDataset {
    var out = data
    out.features = apply(to: data.features)
    return out
  }
}

/// Why a shipped data set could not be loaded.
public enum DatasetError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The resource is not in the package's bundle.
  case resourceMissing(String)
  /// The file was found but could not be read as text.
  case unreadable(file: String, reason: String)
  /// A line of the file does not have the expected form.
  case malformed(file: String, line: Int, message: String)
  /// The parts of a data set do not fit together.
  case inconsistent(String, String)

  public var description: String {
    switch self {
    case .resourceMissing(let file): "data set \(file) is missing from the package's resources"
    case .unreadable(let file, let reason): "cannot read \(file): \(reason)"
    case .malformed(let file, let line, let message): "\(file), line \(line): \(message)"
    case .inconsistent(let name, let message): "data set \(name): \(message)"
    }
  }
}

/// The real data sets shipped in `Resources/` (see `DATA-LICENSES.md`); nothing is downloaded.
public enum Datasets {
  /// UCI optical handwritten digits: 1797 images of 8×8 pixels (intensities 0–16, row by row),
  /// classes `0`–`9`.
  public static func digits() throws -> LabeledDataset {
    let file = "digits.csv"
    let rows = try numericRows(of: file)
    return try labeled(
      "digits", rows, file: file, featureCount: 64, firstLine: 1, classNames: (0...9).map(String.init))
  }

  /// UCI breast cancer Wisconsin (diagnostic): 569 samples of 30 real features, classes
  /// `0` malignant, `1` benign (the names and counts come from the file's header line).
  public static func breastCancer() throws -> LabeledDataset {
    let file = "breast_cancer.csv"
    let text = try contents(of: file)
    var lines = text.split(whereSeparator: \.isNewline)
    guard let header = lines.first else { throw DatasetError.malformed(file: file, line: 1, message: "empty file") }
    let fields = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    guard fields.count >= 3, let n = Int(fields[0]), let d = Int(fields[1]) else {
      throw DatasetError.malformed(
        file: file, line: 1, message: "expected a header `samples,features,class names…`, got \"\(header)\"")
    }
    lines.removeFirst()
    let rows = try lines.enumerated().map { try parse($1, file: file, line: $0 + 2) }
    guard rows.count == n else {
      throw DatasetError.malformed(
        file: file, line: 1, message: "the header announces \(n) samples, the file has \(rows.count)")
    }
    return try labeled(
      "breast cancer", rows, file: file, featureCount: d, firstLine: 2, classNames: Array(fields[2...]))
  }

  // MARK: - Reading

  static func contents(of file: String) throws -> String {
    let parts = file.split(separator: ".", maxSplits: 1).map(String.init)
    guard let url = Bundle.module.url(forResource: parts[0], withExtension: parts.count > 1 ? parts[1] : nil) else {
      throw DatasetError.resourceMissing(file)
    }
    do {
      return try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw DatasetError.unreadable(file: file, reason: "\(error)")
    }
  }

  static func numericRows(of file: String) throws -> [[Double]] {
    try contents(of: file).split(whereSeparator: \.isNewline).enumerated().map {
      try parse($1, file: file, line: $0 + 1)
    }
  }

  static func parse(_ line: Substring, file: String, line number: Int) throws -> [Double] {
    try line.split(separator: ",").map { field in
      let text = field.trimmingCharacters(in: .whitespaces)
      guard let value = Double(text), value.isFinite else {
        throw DatasetError.malformed(file: file, line: number, message: "\"\(text)\" is not a finite number")
      }
      return value
    }
  }

  /// Features (the first `featureCount` columns) and an integer label (the last column).
  static func labeled(
    _ name: String, _ rows: [[Double]], file: String, featureCount d: Int, firstLine: Int, classNames: [String]
  ) throws -> LabeledDataset {
    var scalars = [Double]()
    scalars.reserveCapacity(rows.count * d)
    var labels = [Int]()
    labels.reserveCapacity(rows.count)
    for (i, row) in rows.enumerated() {
      guard row.count == d + 1 else {
        throw DatasetError.malformed(
          file: file, line: i + firstLine, message: "expected \(d) features and a label, got \(row.count) fields")
      }
      let label = row[d]
      guard label == label.rounded(), label >= 0, Int(label) < classNames.count else {
        throw DatasetError.malformed(
          file: file, line: i + firstLine, message: "label \(label) is not one of 0..<\(classNames.count)")
      }
      scalars.append(contentsOf: row[0..<d])
      labels.append(Int(label))
    }
    return try LabeledDataset(
      name: name, features: Matrix(rows: rows.count, columns: d, scalars: scalars), labels: labels,
      classNames: classNames)
  }
}
