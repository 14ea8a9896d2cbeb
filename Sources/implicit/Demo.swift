import ImplicitApplications

/// `implicit demo [NAME | --list]` (default: `ridge`, the paper's Figure 1).
@MainActor func runDemo(_ arguments: [String]) -> Int32 {
  let name = arguments.first ?? "ridge"
  if name == "--list" {
    for d in Demos.all { print("\(d.name)  —  \(d.summary)") }
    return 0
  }
  guard let demo = Demos.named(name) else {
    printError("unknown demo \"\(name)\"; available: \(Demos.all.map(\.name).joined(separator: ", "))")
    return 2
  }
  do {
    try demo.run()
    return 0
  } catch {
    printError("demo \(name): \(error)")
    return 1
  }
}
