/// The outcome of one check.
public struct ConformanceCheck: Sendable, CustomStringConvertible {
  /// What was checked.
  public var name: String
  /// Whether it passed. `nil`: not applicable (the reason is in ``detail``).
  public var passed: Bool?
  /// The measured quantity (an error, a slope, …).
  public var measured: Double
  /// The bound it was held to.
  public var threshold: Double
  /// How it was measured.
  public var detail: String

  /// One line: verdict, name, measured value, bound, how it was measured.
  public var description: String {
    let verdict = passed.map { $0 ? "PASS" : "FAIL" } ?? "n/a "
    return "\(verdict)  \(name): \(measured) (bound \(threshold)) — \(detail)"
  }
}

/// Everything the battery measured for one instance.
public struct ConformanceReport: Sendable, CustomStringConvertible {
  /// The instance's label (for the registry's instances: family, method and case id).
  public var name: String
  /// Every check, in the order run.
  public var checks: [ConformanceCheck]

  /// Whether no check failed.
  public var passed: Bool { !checks.contains { $0.passed == false } }
  /// The checks that failed.
  public var failures: [ConformanceCheck] { checks.filter { $0.passed == false } }
  /// The check called `name`.
  public func check(_ name: String) -> ConformanceCheck? { checks.first { $0.name == name } }

  /// The verdict and one line per check.
  public var description: String {
    "conformance of \(name): \(passed ? "PASS" : "FAIL")\n" + checks.map { "  \($0)" }.joined(separator: "\n")
  }
}
