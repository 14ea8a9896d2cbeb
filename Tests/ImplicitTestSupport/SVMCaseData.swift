import Foundation
public import ImplicitCore

/// The multiclass SVM dual data of a catalogue case, read with plain JSON (independent of the
/// core's case reader), for tests of the families that solve it.
public struct SVMCaseData {
  public let X: Matrix<Double>
  public let Y: Matrix<Double>
  public let theta: Double
  public let beta: Vector<Double>
  public let dBeta: Vector<Double>

  public init(file: String) throws {
    let url = TestSupport.catalog.appendingPathComponent("multiclass-svm-dual/cases/\(file)")
    let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    func rows(_ any: Any) -> [[Double]] { (any as! [Any]).map { ($0 as! [Any]).map { ($0 as! NSNumber).doubleValue } } }
    let data = root["data"] as! [String: Any]
    X = Matrix(rows(data["X"]!))
    Y = Matrix(rows(data["Y"]!))
    theta = ((root["theta"] as! [String: Any])["theta"] as! NSNumber).doubleValue
    let beta = (root["outputs"] as! [String: Any])["beta"] as! [String: Any]
    self.beta = Vector(rows(beta["value"]!).flatMap { $0 })
    self.dBeta = Vector(rows((beta["jacobian"] as! [String: Any])["theta"]!).flatMap { $0 })
  }
}

extension TestSupport {
  /// Random multiclass data: `n × d` normal features and one-hot labels `i mod k` (every class used).
  public static func randomClassificationData(
    samples n: Int, features d: Int, classes k: Int, seed: UInt64
  ) -> (X: Matrix<Double>, Y: Matrix<Double>) {
    var rng = SeededGenerator(seed: seed)
    let x = rng.normalMatrix(rows: n, columns: d)
    var y = Matrix<Double>.zeros(rows: n, columns: k)
    for i in 0..<n { y[i, i % k] = 1 }
    return (x, y)
  }
}
