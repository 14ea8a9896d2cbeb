import Foundation
import PackagePlugin

/// `swift package --allow-writing-to-package-directory regenerate-catalog [--check]`
///
/// Rebuilds `docs/catalog.md` from the family registry and the `Catalog/` entries by running
/// `implicit catalog`. Fails when a registered family has no catalogue entry or an entry has no
/// registered family; with `--check`, fails instead of writing when the index is out of date.
@main
struct RegenerateCatalog: CommandPlugin {
  func performCommand(context: PluginContext, arguments: [String]) async throws {
    let tool = try context.tool(named: "implicit")
    let root = context.package.directoryURL
    let mode = arguments.contains("--check") ? "--check" : "--write"
    let process = Process()
    process.executableURL = tool.url
    process.arguments = [
      "catalog", mode, "--catalog", root.appendingPathComponent("Catalog").path,
      "--output", root.appendingPathComponent("docs/catalog.md").path,
      "--examples", root.appendingPathComponent("Tests/CatalogExamplesTests").path,
    ]
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      Diagnostics.error("implicit catalog failed with status \(process.terminationStatus)")
      throw PluginFailure(message: "catalogue regeneration failed")
    }
  }
}

struct PluginFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
