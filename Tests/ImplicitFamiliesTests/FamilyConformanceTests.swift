import Foundation
import ImplicitConformance
import ImplicitCore
import ImplicitFamilies
import ImplicitReferenceCases
import ImplicitTestSupport
import Testing

/// Every registered family, run through the conformance kit on its catalogue instances, and
/// every catalogue case checked against its reference values.
@Suite("Registered families")
struct FamilyConformanceTests {
  static let registry: FamilyRegistry = {
    let r = FamilyRegistry()
    try! AllFamilies.register(in: r)
    return r
  }()

  static let cases: [ReferenceCase] = {
    let (files, _) = ReferenceCase.files(in: [TestSupport.catalog.path])
    return files.compactMap { try? ReferenceCase(contentsOf: URL(fileURLWithPath: $0)) }
  }()

  @Test("every catalogue case parses and names a registered family and method")
  func casesAreRunnable() throws {
    let (files, _) = ReferenceCase.files(in: [TestSupport.catalog.path])
    #expect(files.count == Self.cases.count, "some catalogue files do not parse")
    #expect(Self.cases.count >= 23)
    for c in Self.cases {
      #expect(Self.registry.family(named: c.family, method: c.method) != nil, "\(c.file): no registration")
    }
  }

  @Test("every catalogue case matches its reference to 1e-6", arguments: cases.map(\.file))
  func referenceCase(file: String) throws {
    let c = try #require(Self.cases.first { $0.file == file })
    let check = CaseCheck(c, evaluation: try Self.registry.evaluate(c), tolerance: 1e-6)
    #expect(
      check.passed, "\(c.id): failure \(check.failure ?? "none"); worst relative error \(check.worstRelativeError)")
  }

  @Test("every registered family passes the conformance kit on its catalogue instances", arguments: cases.map(\.file))
  func conformance(file: String) throws {
    let c = try #require(Self.cases.first { $0.file == file })
    let family = try #require(Self.registry.family(named: c.family, method: c.method))
    let report = ConformanceKit().run(try family.makeInstance(c), name: c.id)
    #expect(report.passed, "\(report)")
  }
}
