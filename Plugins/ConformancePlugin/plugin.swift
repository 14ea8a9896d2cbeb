import Foundation
import PackagePlugin

/// `swift package conformance [--verbose]`
///
/// Runs the conformance kit over the package's condition families and prints the report. In a
/// package that defines an executable product named `implicit-conformance` (a third-party
/// condition package: it registers its families and calls `ConformanceCommand.run`), that product
/// is built and run; otherwise this package's own `implicit conformance` runs over `Catalog/`.
@main
struct ConformancePlugin: CommandPlugin {
  func performCommand(context: PluginContext, arguments: [String]) async throws {
    let root = context.package.directoryURL
    let executable: URL
    if context.package.products.contains(where: { $0.name == "implicit-conformance" }) {
      let result = try packageManager.build(.product("implicit-conformance"), parameters: .init(configuration: .debug))
      guard result.succeeded, let built = result.builtArtifacts.first(where: { $0.kind == .executable }) else {
        Diagnostics.error(result.logText)
        throw PluginFailure(message: "building implicit-conformance failed")
      }
      executable = built.url
    } else {
      executable = try context.tool(named: "implicit").url
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = ["conformance", root.appendingPathComponent("Catalog").path] + arguments
    try process.run()
    process.waitUntilExit()
    if process.terminationStatus != 0 {
      throw PluginFailure(message: "conformance failed (status \(process.terminationStatus))")
    }
  }
}

struct PluginFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
