/// The comparison of one reference case against what its family computed.
public struct CaseCheck: Sendable {
  /// One compared block: an output's value or one of its Jacobians.
  public struct Block: Sendable {
    /// The output's name.
    public var output: String
    /// `"value"` or `"d/d<parameter>"`.
    public var block: String
    /// `max |computed − expected|`.
    public var maxAbsoluteError: Double
    /// `max |computed − expected| / max |expected|` (the absolute error when `expected` is 0).
    public var relativeError: Double
    /// `relativeError ≤ tolerance`.
    public var passed: Bool
  }

  /// The case's file.
  public var file: String
  /// The case's id.
  public var id: String
  /// The case's family.
  public var family: String
  /// The case's method, if any.
  public var method: String?
  /// Compared blocks, outputs and parameters in a stable order.
  public var blocks: [Block]
  /// Why the case could not be compared (missing output, solver failure), if it could not.
  public var failure: String?
  /// Notes from the family (solver, residual).
  public var notes: [String]

  /// Whether every block passed and nothing failed.
  public var passed: Bool { failure == nil && !blocks.isEmpty && blocks.allSatisfy(\.passed) }
  /// The largest relative error over all blocks.
  public var worstRelativeError: Double { blocks.map(\.relativeError).max() ?? .infinity }

  /// Compares `evaluation` with the expectations of `referenceCase` at relative `tolerance`.
  public init(_ referenceCase: ReferenceCase, evaluation: CaseEvaluation, tolerance: Double) {
    file = referenceCase.file
    id = referenceCase.id
    family = referenceCase.family
    method = referenceCase.method
    notes = evaluation.notes
    blocks = []
    var problems = [String]()
    for name in referenceCase.outputs.keys.sorted() {
      let expected = referenceCase.outputs[name]!
      guard let computed = evaluation.outputs[name] else {
        problems.append("output \"\(name)\" not computed")
        continue
      }
      var pairs = [("value", expected.value, Optional(computed.value))]
      for t in referenceCase.thetaNames where expected.jacobians[t] != nil {
        pairs.append(("d/d\(t)", expected.jacobians[t]!, computed.jacobians[t]))
      }
      for (label, want, got) in pairs {
        guard let got else {
          problems.append("\(name) \(label): not computed")
          continue
        }
        // Shapes, not only counts: the same numbers laid out differently are another answer.
        guard got.shape == want.shape, got.values.count == want.values.count else {
          problems.append("\(name) \(label): shape \(got.shape) computed, \(want.shape) expected")
          continue
        }
        let (absolute, relative) = CaseCheck.errors(got.values, want.values)
        blocks.append(
          Block(
            output: name, block: label, maxAbsoluteError: absolute, relativeError: relative,
            passed: relative <= tolerance))
      }
    }
    failure = problems.isEmpty ? nil : problems.joined(separator: "; ")
  }

  /// A case that could not be evaluated at all.
  public init(_ referenceCase: ReferenceCase, failure: String) {
    file = referenceCase.file
    id = referenceCase.id
    family = referenceCase.family
    method = referenceCase.method
    blocks = []
    notes = []
    self.failure = failure
  }

  /// `(max |a − b|, max |a − b| / max |b|)`; NaN anywhere counts as an infinite error.
  public static func errors(_ computed: [Double], _ expected: [Double]) -> (absolute: Double, relative: Double) {
    var absolute = 0.0, scale = 0.0
    for (a, b) in zip(computed, expected) {
      let d = abs(a - b)
      absolute = d.isNaN ? .infinity : max(absolute, d)
      scale = max(scale, abs(b))
    }
    return (absolute, scale > 0 ? absolute / scale : absolute)
  }
}
