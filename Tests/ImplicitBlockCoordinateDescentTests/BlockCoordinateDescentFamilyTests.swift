import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitTestSupport
import Testing

@Suite("Block-coordinate-descent reference families")
struct BlockCoordinateDescentFamilyTests {
  func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try BlockCoordinateDescentFamilies.register(in: registry)
    return registry
  }

  /// Only the `block-coordinate-descent` case of the SVM family is this module's; the others
  /// must be refused by this registry, not run with the wrong condition.
  @Test func svmBlockCoordinateDescentCasePasses() throws {
    let checks = try TestSupport.checkFamily("multiclass-svm-dual", registry: registry())
    let mine = checks.filter { $0.method == "block-coordinate-descent" }
    #expect(mine.count == 1)
    for check in mine {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError < 1e-8, "\(check.id)")
    }
    for check in checks where check.method != "block-coordinate-descent" {
      #expect(!check.passed)
    }
  }

  @Test func registersTheSVMMethodOnly() throws {
    let registry = try registry()
    #expect(registry.family(named: "multiclass-svm-dual", method: "block-coordinate-descent") != nil)
    #expect(registry.family(named: "multiclass-svm-dual", method: nil) == nil)
    #expect(registry.family(named: "multiclass-svm-dual", method: "mirror-descent") == nil)
  }
}
