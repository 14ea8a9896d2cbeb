import Foundation
import ImplicitConformance
import ImplicitCore
import ImplicitFamilies
import ImplicitTestSupport
import Testing

/// `ConformanceCommand.run`, the library entry plugins call: unknown flags and unknown families
/// are errors (exit 2), as in the CLI; they used to be ignored and skipped (exit 0).
@Suite("ConformanceCommand.run rejects what it cannot run")
struct ConformanceCommandTests {
  static func registry() throws -> FamilyRegistry {
    let r = FamilyRegistry()
    try AllFamilies.register(in: r)
    return r
  }

  static let ridgeCase = TestSupport.catalog.appendingPathComponent("ridge/cases/a_ridge_wrt_theta.json").path

  /// A fresh folder holding `contents` as `name`.
  static func folder(_ name: String, _ contents: Data) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("conformance-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try contents.write(to: dir.appendingPathComponent(name))
    return dir
  }

  @Test("a valid case passes (exit 0)")
  func validCase() throws {
    #expect(ConformanceCommand.run(arguments: [Self.ridgeCase], registry: try Self.registry()) == 0)
    #expect(ConformanceCommand.run(arguments: [Self.ridgeCase, "--verbose"], registry: try Self.registry()) == 0)
  }

  @Test("an unknown flag is an error (exit 2)", arguments: ["--verbos", "--tolerance=1e-6", "-v"])
  func unknownFlag(_ flag: String) throws {
    #expect(ConformanceCommand.run(arguments: [Self.ridgeCase, flag], registry: try Self.registry()) == 2)
  }

  @Test("a case of an unknown family is an error, not a skip (exit 2)")
  func unknownFamily() throws {
    var object = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.ridgeCase))) as? [String: Any])
    object["family"] = "no-such-family"
    let dir = try Self.folder("unknown.json", try JSONSerialization.data(withJSONObject: object))
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(ConformanceCommand.run(arguments: [dir.path], registry: try Self.registry()) == 2)
    // Also with a registry that knows no family at all (a plugin that forgot to register).
    #expect(ConformanceCommand.run(arguments: [Self.ridgeCase], registry: FamilyRegistry()) == 2)
  }

  @Test("a missing path or a folder without cases is an error (exit 2)")
  func missingOrEmpty() throws {
    let dir = try Self.folder("notes.txt", Data("no cases".utf8))
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(ConformanceCommand.run(arguments: [dir.path], registry: try Self.registry()) == 2)
    #expect(ConformanceCommand.run(arguments: [dir.path + "/absent"], registry: try Self.registry()) == 2)
  }
}
