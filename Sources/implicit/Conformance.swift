import Foundation
import ImplicitConformance
import ImplicitCore
import ImplicitReferenceCases

/// `implicit conformance [PATH...] [--verbose]`: the conformance kit over the catalogue
/// instances of every registered family (default PATH: `Catalog`).
///
/// Before the kit runs, every case must parse, name a registered family and method, build an
/// instance (which validates its inputs' shapes) and fit the size budget
/// (``ReferenceCase/maximumInputEntries``): anything else is an error naming the file (exit 2),
/// never a skip. An empty folder is an error too.
@MainActor func runConformance(_ arguments: [String]) -> Int32 {
  let options: Options
  do {
    options = try Options(arguments, flags: ["--verbose"], valued: [])
  } catch {
    printError("\(error)")
    return 2
  }
  let paths = options.positional.isEmpty ? ["Catalog"] : options.positional
  let (files, missing) = ReferenceCase.files(in: paths)
  var status: Int32 = 0
  for m in missing {
    printError("\(m): no such file or folder")
    status = 2
  }
  if files.isEmpty && missing.isEmpty {
    printError("no reference cases (*.json) under \(paths.joined(separator: ", "))")
    return 2
  }
  var runnable = [String]()
  for file in files {
    do {
      let c = try ReferenceCase(contentsOf: URL(fileURLWithPath: file))
      try c.checkSize()
      _ = try FamilyRegistry.shared.instance(for: c)
      runnable.append(file)
    } catch {
      // Name the file even when a family's own error (say a shape mismatch) does not.
      let message = "\(error)"
      printError(message.contains(file) ? message : "\(file): \(message)")
      status = 2
    }
  }
  if !runnable.isEmpty {
    let kit = ConformanceCommand.run(
      arguments: runnable + (options.flags.contains("--verbose") ? ["--verbose"] : []), registry: .shared)
    status = max(status, kit)
  }
  return status
}
