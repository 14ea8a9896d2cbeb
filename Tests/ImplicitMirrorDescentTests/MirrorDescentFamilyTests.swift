import ImplicitCore
import ImplicitMirrorDescent
import ImplicitTestSupport
import Testing

@Suite("Mirror-descent reference families")
struct MirrorDescentFamilyTests {
  func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try MirrorDescentFamilies.register(in: registry)
    return registry
  }

  @Test(arguments: ["softmax-entropy", "entropic-qp-simplex"])
  func catalogueCasesPass(family: String) throws {
    let checks = try TestSupport.checkFamily(family, registry: registry())
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError < 1e-8, "\(check.id)")
    }
  }

  /// Only the `mirror-descent` case of the SVM family is this module's; the others belong to
  /// other modules and must be refused by this registry, not run with the wrong condition.
  @Test func svmMirrorDescentCasePasses() throws {
    let checks = try TestSupport.checkFamily("multiclass-svm-dual", registry: registry())
    let mine = checks.filter { $0.method == "mirror-descent" }
    #expect(mine.count == 1)
    for check in mine {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError < 1e-8, "\(check.id)")
    }
    for check in checks where check.method != "mirror-descent" {
      #expect(!check.passed)
    }
  }

  @Test func registersTheSVMMethodOnly() throws {
    let registry = try registry()
    #expect(registry.family(named: "multiclass-svm-dual", method: "mirror-descent") != nil)
    #expect(registry.family(named: "multiclass-svm-dual", method: nil) == nil)
    #expect(registry.family(named: "multiclass-svm-dual", method: "projected-gradient") == nil)
  }
}
