import Foundation
public import ImplicitCore
import ImplicitReferenceCases

/// The `conformance` command, shared by the `implicit` CLI and third-party packages: an
/// executable that registers its families and calls ``run(arguments:registry:)`` is what the
/// `swift package conformance` plugin runs.
public enum ConformanceCommand {
  /// The flags ``run(arguments:registry:)`` accepts.
  public static let flags: Set<String> = ["--verbose"]

  /// Runs the kit over the cases under `arguments`' paths (default `Catalog`) with the families
  /// of `registry`; prints one line per case (the full report with `--verbose` or on failure) and
  /// a closing `N passed, M failed`.
  ///
  /// Before the kit runs, every case must parse, name a family and method `registry` runs, build
  /// an instance (which validates its inputs' shapes) and fit the size budget
  /// (``ReferenceCase/maximumInputEntries``): anything else is an error naming the file, never a
  /// skip. An unknown flag, a missing path and a folder without cases are errors too. Errors go
  /// to standard error. Returns 0 when every case passes, 1 on failed checks, 2 on malformed
  /// input or arguments (the cases that could run still run).
  public static func run(arguments: [String], registry: FamilyRegistry = .shared) -> Int32 {
    if let unknown = arguments.first(where: { $0.hasPrefix("-") && !flags.contains($0) }) {
      printError("unknown option \(unknown) (conformance accepts \(flags.sorted().joined(separator: ", ")))")
      return 2
    }
    let verbose = arguments.contains("--verbose")
    let given = arguments.filter { !$0.hasPrefix("-") }
    let paths = given.isEmpty ? ["Catalog"] : given
    let (files, missing) = ReferenceCase.files(in: paths)
    var errors = missing.map { "\($0): no such file or folder" }
    if files.isEmpty && missing.isEmpty {
      errors.append("no reference cases (*.json) under \(paths.joined(separator: ", "))")
    }
    let kit = ConformanceKit()
    var reports = [ConformanceReport]()
    for file in files {
      do {
        let c = try ReferenceCase(contentsOf: URL(fileURLWithPath: file))
        try c.checkSize()
        let instance = try registry.instance(for: c)
        reports.append(kit.run(instance, name: "\(c.family)\(c.method.map { "/\($0)" } ?? "") \(c.id)"))
      } catch {
        // Name the file even when a family's own error (say a shape mismatch) does not.
        let message = "\(error)"
        errors.append(message.contains(file) ? message : "\(file): \(message)")
      }
    }
    for e in errors { printError(e) }
    for r in reports {
      if verbose || !r.passed {
        print(r)
      } else {
        let applied = r.checks.filter { $0.passed != nil }.count
        print("PASS  \(r.name)  (\(applied) checks applied, \(r.checks.count - applied) not applicable)")
      }
    }
    let passed = reports.filter(\.passed).count
    print("\(passed) passed, \(reports.count - passed + errors.count) failed")
    if !errors.isEmpty { return 2 }
    return passed == reports.count ? 0 : 1
  }

  static func printError(_ message: String) {
    FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
  }
}
