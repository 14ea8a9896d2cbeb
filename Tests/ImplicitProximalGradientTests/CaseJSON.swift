import Foundation
import ImplicitCore

/// A reference case in the `implicit-case/1` format, written from data (outputs are
/// placeholders: the tests compare what the family computes with independent references).
func caseJSON(family: String, data: [(String, Any)], theta: [(String, Any)], outputCount: Int) -> Data {
  func encode(_ value: Any) -> String {
    switch value {
    case let m as Matrix<Double>:
      return "[" + m.rowArrays.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ", ")
        + "]"
    case let v as Vector<Double>: return "[" + v.scalars.map { "\($0)" }.joined(separator: ", ") + "]"
    case let d as Double: return "\(d)"
    case let a as [Double]: return "[" + a.map { "\($0)" }.joined(separator: ", ") + "]"
    default: return "null"
    }
  }
  func object(_ pairs: [(String, Any)]) -> String {
    "{" + pairs.map { "\"\($0.0)\": \(encode($0.1))" }.joined(separator: ", ") + "}"
  }
  let placeholder = encode([Double](repeating: 0.5, count: outputCount))
  let text = """
    {"format": "implicit-case/1", "id": "synthetic", "family": "\(family)",
     "data": \(object(data)), "theta": \(object(theta)),
     "outputs": {"x": {"value": \(placeholder)}}}
    """
  return Data(text.utf8)
}
