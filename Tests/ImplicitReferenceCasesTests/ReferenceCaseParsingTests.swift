import Foundation
import ImplicitCore
import ImplicitReferenceCases
import Testing
import _Differentiation

/// Malformed reference cases throw a `CaseFormatError` that names the file and the field.
@Suite("Reference-case parsing and the registry")
struct ReferenceCaseParsingTests {
  static let valid = """
    {
      "format": "implicit-case/1", "id": "t", "family": "toy",
      "data": { "A": [[1, 2], [3, 4], [5, 6]] },
      "theta": { "b": [1, 2, 3], "lam": 0.5 },
      "outputs": { "x": { "value": [0.1, 0.2], "jacobian": { "b": [[1, 0, 0], [0, 1, 0]], "lam": [0.3, 0.4] } } }
    }
    """

  static func parse(_ text: String) throws -> ReferenceCase {
    try ReferenceCase(json: Data(text.utf8), file: "case.json")
  }

  /// Parsing `text` throws a `CaseFormatError` whose field is `field`.
  static func expectFormatError(
    _ text: String, field: String, messageContains fragment: String? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    do {
      _ = try parse(text)
      Issue.record("parsed without error; expected field \(field)", sourceLocation: sourceLocation)
    } catch let error as CaseFormatError {
      #expect(error.field == field, "\(error)", sourceLocation: sourceLocation)
      #expect(error.file == "case.json", sourceLocation: sourceLocation)
      #expect(error.description.contains(field), sourceLocation: sourceLocation)
      if let fragment { #expect(error.message.contains(fragment), "\(error)", sourceLocation: sourceLocation) }
    } catch {
      Issue.record("expected CaseFormatError, got \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test("a valid case parses: shapes, theta order, accessors")
  func validCase() throws {
    let c = try Self.parse(Self.valid)
    #expect(c.family == "toy" && c.id == "t" && c.method == nil)
    #expect(c.thetaNames == ["b", "lam"])
    #expect(try c.matrix("A") == Matrix([[1, 2], [3, 4], [5, 6]]))
    #expect(try c.vector("b", count: 3).scalars == [1, 2, 3])
    #expect(try c.scalar("lam") == 0.5)
    #expect(c.outputs["x"]?.jacobians["b"]?.shape == [2, 3])
    #expect(c.outputs["x"]?.jacobians["lam"]?.shape == [2])
    let pack = try ParameterPack(c)
    #expect(pack.packed.scalars == [1, 2, 3, 0.5])
    #expect(pack.layout.entry("lam")?.offset == 3)
  }

  @Test("missing theta names `theta`")
  func missingTheta() {
    Self.expectFormatError(Self.valid.replacingOccurrences(of: "\"theta\"", with: "\"thetaX\""), field: "theta")
  }

  @Test("a ragged list names its field")
  func raggedList() {
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "[[1, 2], [3, 4], [5, 6]]", with: "[[1, 2], [3], [5, 6]]"), field: "data.A",
      messageContains: "ragged")
  }

  @Test("a Jacobian of the wrong shape names output and parameter")
  func wrongJacobianShape() {
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "[[1, 0, 0], [0, 1, 0]]", with: "[[1, 0], [0, 1]]"),
      field: "outputs.x.jacobian.b", messageContains: "shape")
  }

  @Test("other malformed fields")
  func otherErrors() {
    Self.expectFormatError("[1, 2]", field: "(document)")
    Self.expectFormatError("{ not json", field: "(document)")
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "implicit-case/1", with: "implicit-case/9"), field: "format")
    Self.expectFormatError(Self.valid.replacingOccurrences(of: "\"family\": \"toy\",", with: ""), field: "family")
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "\"lam\": 0.5", with: "\"lam\": \"half\""), field: "theta.lam")
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "\"lam\": [0.3, 0.4]", with: "\"mu\": [0.3, 0.4]"),
      field: "outputs.x.jacobian.mu")
    Self.expectFormatError(
      Self.valid.replacingOccurrences(of: "\"value\": [0.1, 0.2], ", with: ""), field: "outputs.x.value")
  }

  @Test("typed accessors name the field on a wrong shape or a missing input")
  func accessorErrors() throws {
    let c = try Self.parse(Self.valid)
    #expect(throws: CaseFormatError.self) { try c.matrix("b") }
    #expect(throws: CaseFormatError.self) { try c.vector("b", count: 4) }
    #expect(throws: CaseFormatError.self) { try c.scalar("A") }
    do {
      _ = try c.array("Q")
      Issue.record("missing input accepted")
    } catch let e as CaseFormatError {
      #expect(e.field.contains("Q"))
    }
  }

  /// `F(x, p) = x − p[0..<dim x]`: its solution is the head of `p`.
  struct Toy: OptimalityCondition {
    let dimension: Int
    @differentiable(reverse)
    func callAsFunction(_ x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> {
      x - p.slice(from: 0, count: dimension)
    }
  }

  static func toyFamily(module: String, methods: [String] = [], acceptsNoMethod: Bool = true) -> ConditionFamily {
    ConditionFamily(
      name: "toy", formula: "F = x − θ", assumptions: [], module: module, methods: methods,
      acceptsNoMethod: acceptsNoMethod,
      makeInstance: { c in
        let p = try ParameterLayout(c).packed
        return Instance(
          condition: Toy(dimension: 2), parameter: p, reference: { (p.slice(from: 0, count: 2), [module]) }
        ) { p, _ in p.slice(from: 0, count: 2) }
      })
  }

  @Test("the generic evaluator splits ∂x*/∂p into the case's named blocks")
  func evaluatorBlocks() throws {
    let registry = FamilyRegistry()
    try registry.register(Self.toyFamily(module: "ToyModule"))
    let evaluation = try registry.evaluate(try Self.parse(Self.valid))
    let x = try #require(evaluation.outputs["x"])
    #expect(x.value.values == [1, 2])
    #expect(x.jacobians["b"]?.shape == [2, 3])
    #expect(x.jacobians["b"]?.values == [1, 0, 0, 0, 1, 0])
    #expect(x.jacobians["lam"]?.values == [0, 0])
  }

  @Test("unknown family → RegistryError.unknownFamily naming the file")
  func unknownFamily() throws {
    let registry = FamilyRegistry()
    try registry.register(Self.toyFamily(module: "ToyModule"))
    let c = try Self.parse(Self.valid.replacingOccurrences(of: "\"toy\"", with: "\"nosuch\""))
    #expect(throws: RegistryError.unknownFamily(name: "nosuch", file: "case.json", known: ["toy"])) {
      try registry.evaluate(c)
    }
  }

  @Test("duplicate registrations throw; same module replaces; disjoint methods coexist")
  func duplicates() throws {
    let registry = FamilyRegistry()
    try registry.register(Self.toyFamily(module: "A"))
    try registry.register(Self.toyFamily(module: "A"))  // idempotent
    #expect(registry.registrations(named: "toy").count == 1)
    #expect(throws: RegistryError.self) { try registry.register(Self.toyFamily(module: "B")) }
    try registry.register(Self.toyFamily(module: "C", methods: ["fast"], acceptsNoMethod: false))
    #expect(throws: RegistryError.self) {
      try registry.register(Self.toyFamily(module: "D", methods: ["fast", "slow"], acceptsNoMethod: false))
    }
    #expect(registry.family(named: "toy", method: "fast")?.module == "C")
    #expect(registry.family(named: "toy")?.module == "A")
    #expect(registry.families.map(\.module) == ["A", "C"])
    #expect(registry.familyNames == ["toy"])

    let withMethod = try Self.parse(
      Self.valid.replacingOccurrences(of: "\"family\": \"toy\",", with: "\"family\": \"toy\", \"method\": \"fast\","))
    #expect(try registry.evaluate(withMethod).notes.first == "C")
    let unknownMethod = try Self.parse(
      Self.valid.replacingOccurrences(of: "\"family\": \"toy\",", with: "\"family\": \"toy\", \"method\": \"magic\","))
    do {
      _ = try registry.evaluate(unknownMethod)
      Issue.record("unknown method accepted")
    } catch let e as CaseFormatError {
      #expect(e.field == "method")
    }
  }

  @Test("concurrent registration and lookup are safe")
  func concurrentUse() async throws {
    let registry = FamilyRegistry()
    try await withThrowingTaskGroup(of: Void.self) { group in
      for i in 0..<16 {
        group.addTask {
          try registry.register(
            ConditionFamily(
              name: "family-\(i)", formula: "", assumptions: [], module: "M\(i % 4)",
              makeInstance: { _ in Instance(condition: Toy(dimension: 0), parameter: Vector([])) { _, _ in Vector([]) }
              }))
          _ = registry.families
        }
      }
      try await group.waitForAll()
    }
    #expect(registry.familyNames.count == 16)
  }
}
