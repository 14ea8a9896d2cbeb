import Foundation
import ImplicitCore
import ImplicitReferenceCases
import Testing

/// Regressions found by the fault suite (issue 10, item 4): inputs the CLI used to accept
/// silently or could not survive.
@Suite("Reference cases: shapes, duplicate keys, empty and oversized inputs")
struct FaultRegressionTests {
  static func parse(_ text: String) throws -> ReferenceCase {
    try ReferenceCase(json: Data(text.utf8), file: "case.json")
  }

  static let valid = """
    {"format": "implicit-case/1", "id": "t", "family": "toy",
     "data": {"A": [[1, 2], [3, 4]]}, "theta": {"lam": 0.5},
     "outputs": {"x": {"value": [1, 2, 3, 4], "jacobian": {"lam": [0, 0, 0, 0]}}}}
    """

  @Test("a duplicate key is an error naming the key, at any depth")
  func duplicateKeys() throws {
    _ = try Self.parse(Self.valid)
    let cases = [
      (Self.valid.replacingOccurrences(of: #""id": "t","#, with: #""id": "t", "id": "u","#), "id"),
      (Self.valid.replacingOccurrences(of: #"{"lam": 0.5}"#, with: #"{"lam": 0.5, "lam": 0.7}"#), "theta.lam"),
      (
        Self.valid.replacingOccurrences(
          of: #""value": [1, 2, 3, 4], "#, with: #""value": [1, 2, 3, 4], "value": [9], "#), "outputs.x.value"
      ),
    ]
    for (text, field) in cases {
      #expect(throws: CaseFormatError.self) { try Self.parse(text) }
      do {
        _ = try Self.parse(text)
      } catch let e as CaseFormatError {
        #expect(e.field == field && e.message == "duplicate key", "\(e)")
      }
    }
    // Equal keys in different objects, or in strings, are fine.
    #expect(ReferenceCaseDuplicateProbe.duplicate(#"{"a": {"b": 1}, "c": {"b": 2}, "d": "a"}"#) == nil)
    #expect(ReferenceCaseDuplicateProbe.duplicate(#"{"a": [{"b": 1, "b": 2}]}"#) == "a.b")
  }

  @Test("empty rows and an empty differentiated input are malformed; `[]` is an empty block")
  func emptyLists() throws {
    let rows = Self.valid.replacingOccurrences(of: #""A": [[1, 2], [3, 4]]"#, with: #""A": [[], []]"#)
    #expect(throws: CaseFormatError.self) { try Self.parse(rows) }
    let theta = Self.valid.replacingOccurrences(of: #"{"lam": 0.5}"#, with: #"{"lam": []}"#)
    #expect(throws: CaseFormatError.self) { try Self.parse(theta) }
    let block = Self.valid.replacingOccurrences(of: #""A": [[1, 2], [3, 4]]"#, with: #""A": []"#)
    #expect(try Self.parse(block).data["A"]?.shape == [0])
  }

  @Test("the check compares shapes, not only counts")
  func shapesCompared() throws {
    let c = try Self.parse(Self.valid)
    func evaluation(_ shape: [Int]) -> CaseEvaluation {
      CaseEvaluation(outputs: [
        "x": .init(
          value: NDArray(shape: shape, values: [1, 2, 3, 4]),
          jacobians: ["lam": NDArray(shape: shape, values: [0, 0, 0, 0])])
      ])
    }
    #expect(CaseCheck(c, evaluation: evaluation([4]), tolerance: 1e-9).passed)
    let reshaped = CaseCheck(c, evaluation: evaluation([2, 2]), tolerance: 1e-9)
    #expect(!reshaped.passed)
    #expect(reshaped.failure?.contains("shape") == true)
  }

  @Test("a case beyond the size budget is refused before evaluation")
  func sizeBudget() throws {
    let n = ReferenceCase.maximumInputEntries + 1
    let big = Self.valid.replacingOccurrences(
      of: #""A": [[1, 2], [3, 4]]"#, with: #""A": ["# + Array(repeating: "1", count: n).joined(separator: ",") + "]")
    let c = try Self.parse(big)
    #expect(throws: CaseSizeError.self) { try c.checkSize() }
    #expect(throws: CaseSizeError.self) { try FamilyRegistry().evaluate(c) }
    try Self.parse(Self.valid).checkSize()
    // A document with more numbers than the limit is refused before Foundation parses it.
    let huge = Self.valid.replacingOccurrences(
      of: #""A": [[1, 2], [3, 4]]"#,
      with: #""A": ["# + Array(repeating: "1", count: ReferenceCase.maximumDocumentNumbers).joined(separator: ",") + "]"
    )
    #expect(throws: CaseSizeError.self) { try Self.parse(huge) }
  }
}

/// Reaches the duplicate-key scanner through parsing a minimal document.
enum ReferenceCaseDuplicateProbe {
  static func duplicate(_ object: String) -> String? {
    // Wrap `object` as the data of an otherwise valid case and read the error's field.
    let text = """
      {"format": "implicit-case/1", "id": "t", "family": "toy", "extra": \(object),
       "theta": {"lam": 0.5}, "outputs": {"x": {"value": [1]}}}
      """
    do {
      _ = try ReferenceCase(json: Data(text.utf8), file: "case.json")
      return nil
    } catch let e as CaseFormatError where e.message == "duplicate key" {
      return String(e.field.dropFirst("extra.".count))
    } catch {
      return nil
    }
  }
}
