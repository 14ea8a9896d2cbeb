import Foundation
public import ImplicitCore
import ImplicitReferenceCases

/// The `conformance` command, shared by the `implicit` CLI and third-party packages: an
/// executable that registers its families and calls ``run(arguments:registry:)`` is what the
/// `swift package conformance` plugin runs.
public enum ConformanceCommand {
  /// Runs the kit over the cases under `arguments`' paths (default `Catalog`) with the families
  /// of `registry`; prints one line per case (the full report with `--verbose` or on failure) and
  /// a closing `N passed, M failed, K skipped`. Returns 0, 1 on failures, 2 on malformed input.
  public static func run(arguments: [String], registry: FamilyRegistry = .shared) -> Int32 {
    let verbose = arguments.contains("--verbose")
    let paths = arguments.filter { !$0.hasPrefix("--") }
    let (files, missing) = ReferenceCase.files(in: paths.isEmpty ? ["Catalog"] : paths)
    var malformed = missing.map { "\($0): no such file or folder" }
    var cases = [ReferenceCase]()
    for file in files {
      do {
        cases.append(try ReferenceCase(contentsOf: URL(fileURLWithPath: file)))
      } catch {
        malformed.append("\(error)")
      }
    }
    for m in malformed { print("error: \(m)") }
    let (reports, skipped) = ConformanceKit().runRegistered(registry, cases: cases)
    for r in reports {
      if verbose || !r.passed {
        print(r)
      } else {
        let applied = r.checks.filter { $0.passed != nil }.count
        print("PASS  \(r.name)  (\(applied) checks applied, \(r.checks.count - applied) not applicable)")
      }
    }
    for s in skipped { print("SKIP  \(s)  (no registered family runs it)") }
    let passed = reports.filter(\.passed).count
    print("\(passed) passed, \(reports.count - passed + malformed.count) failed, \(skipped.count) skipped")
    if !malformed.isEmpty { return 2 }
    return passed == reports.count ? 0 : 1
  }
}
