import Foundation
import ImplicitCore
import ImplicitReferenceCases

/// `implicit check PATH... [--tol T] [--json] [--verbose]`.
@MainActor func runCheck(_ arguments: [String]) -> Int32 {
  let options: Options
  let tolerance: Double
  do {
    options = try Options(arguments, flags: ["--json", "--verbose"], valued: ["--tol"])
    tolerance = try options.double("--tol", default: 1e-6)
    guard tolerance > 0 else { throw OptionError("--tol must be positive, got \(tolerance)") }
  } catch {
    printError("\(error)")
    return 2
  }
  guard !options.positional.isEmpty else {
    printError("check needs at least one file or folder")
    return 2
  }
  var malformed = [(file: String, message: String)]()
  let (files, missing) = ReferenceCase.files(in: options.positional)
  malformed += missing.map { ($0, "\($0): no such file or folder") }
  // An empty folder is a mistake (a wrong path, a failed copy), never a success.
  if files.isEmpty && missing.isEmpty {
    printError("no reference cases (*.json) under \(options.positional.joined(separator: ", "))")
    return 2
  }

  var checks = [CaseCheck]()
  for file in files {
    let referenceCase: ReferenceCase
    do {
      referenceCase = try ReferenceCase(contentsOf: URL(fileURLWithPath: file))
    } catch {
      malformed.append((file, "\(error)"))
      continue
    }
    do {
      let evaluation = try FamilyRegistry.shared.evaluate(referenceCase)
      checks.append(CaseCheck(referenceCase, evaluation: evaluation, tolerance: tolerance))
    } catch let error as CaseFormatError {
      malformed.append((file, "\(error)"))
    } catch let error as RegistryError {
      malformed.append((file, "\(error)"))
    } catch let error as CaseSizeError {
      malformed.append((file, "\(error)"))
    } catch {
      checks.append(CaseCheck(referenceCase, failure: "\(error)"))
    }
  }

  let passed = checks.filter(\.passed).count
  let failed = checks.count - passed + malformed.count
  let worst = checks.flatMap(\.blocks).map(\.relativeError).max()
  if options.flags.contains("--json") {
    printJSON(checks: checks, malformed: malformed, tolerance: tolerance, passed: passed, failed: failed, worst: worst)
  } else {
    for m in malformed { printError(m.message) }
    for c in checks { printCheck(c, verbose: options.flags.contains("--verbose")) }
    if let worst { print("worst relative error: \(format(worst))") }
    if !malformed.isEmpty { print("\(malformed.count) malformed input(s), counted as failed") }
    print("\(passed) passed, \(failed) failed")
  }
  if !malformed.isEmpty { return 2 }
  return failed > 0 ? 1 : 0
}

func printCheck(_ c: CaseCheck, verbose: Bool) {
  let name = c.family + (c.method.map { "/\($0)" } ?? "")
  print("\(c.passed ? "PASS" : "FAIL")  \(name)  \(c.id)")
  for b in c.blocks {
    let label = "\(b.output) \(b.block)".padding(toLength: 24, withPad: " ", startingAt: 0)
    print(
      "      \(label) abs \(format(b.maxAbsoluteError))  rel \(format(b.relativeError))  \(b.passed ? "PASS" : "FAIL")")
  }
  if let failure = c.failure { print("      error: \(failure)") }
  if verbose { for note in c.notes { print("      note: \(note)") } }
}

func format(_ x: Double) -> String { String(format: "%.3e", x) }

func printJSON(
  checks: [CaseCheck], malformed: [(file: String, message: String)], tolerance: Double, passed: Int, failed: Int,
  worst: Double?
) {
  let cases: [[String: Any]] = checks.map { c in
    [
      "file": c.file, "id": c.id, "family": c.family, "method": c.method ?? NSNull(), "passed": c.passed,
      "error": c.failure ?? NSNull(), "notes": c.notes,
      "blocks": c.blocks.map { b in
        [
          "output": b.output, "block": b.block, "max_abs_error": jsonNumber(b.maxAbsoluteError),
          "relative_error": jsonNumber(b.relativeError), "passed": b.passed,
        ] as [String: Any]
      },
    ]
  }
  let root: [String: Any] = [
    "tolerance": tolerance, "cases": cases, "passed": passed, "failed": failed,
    "malformed": malformed.map { ["file": $0.file, "error": $0.message] },
    "worst_relative_error": worst.map(jsonNumber) ?? NSNull(),
  ]
  if let data = try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]),
    let text = String(data: data, encoding: .utf8)
  {
    print(text)
  }
}

/// JSON has no NaN or infinity: such errors become strings.
func jsonNumber(_ x: Double) -> Any { x.isFinite ? x : "\(x)" }
