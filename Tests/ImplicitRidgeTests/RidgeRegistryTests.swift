import Foundation
import ImplicitCore
import ImplicitReferenceCases
import ImplicitRidge
import ImplicitTestSupport
import Testing

/// The ridge family through a registry: the catalogue cases, and generated cases that
/// differentiate with respect to other parameters (`b`, `A`, a per-feature `theta`), checked
/// against closed forms and finite differences.
@Suite("Ridge family: registry and reference cases")
struct RidgeRegistryTests {
  static func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try RidgeFamily.register(in: registry)
    return registry
  }

  @Test("the catalogue cases pass through a fresh registry")
  func catalogueCases() throws {
    let checks = try TestSupport.checkFamily("ridge", registry: try Self.registry())
    #expect(!checks.isEmpty)
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError < 1e-8, "\(check.id): worst relative error \(check.worstRelativeError)")
    }
  }

  @Test("registering again from the same module is idempotent; another module with the same method throws")
  func duplicateRegistration() throws {
    let registry = try Self.registry()
    try RidgeFamily.register(in: registry)
    #expect(registry.registrations(named: "ridge").count == 1)
    let impostor = ConditionFamily(
      name: "ridge", formula: "x", assumptions: [], module: "SomeOtherModule",
      makeInstance: RidgeFamily.descriptor.makeInstance)
    #expect(throws: RegistryError.duplicateFamily(name: "ridge", modules: ["ImplicitRidge", "SomeOtherModule"])) {
      try registry.register(impostor)
    }
    #expect(registry.registrations(named: "ridge").map(\.module) == ["ImplicitRidge"])
  }

  /// A case in the `implicit-case/1` format built from `data`, `theta` and the expected `x`.
  static func makeCase(
    data: [String: Any], theta: [String: Any], x: [Double], jacobians: [String: Any]
  ) throws -> ReferenceCase {
    let object: [String: Any] = [
      "format": "implicit-case/1", "id": "generated", "family": "ridge", "data": data, "theta": theta,
      "outputs": ["x": ["value": x, "jacobian": jacobians]],
    ]
    let json = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return try ReferenceCase(json: json, file: "generated.json")
  }

  static func evaluate(_ c: ReferenceCase) throws -> CaseCheck {
    CaseCheck(c, evaluation: try registry().evaluate(c), tolerance: 1e-8)
  }

  let problem = RidgeProblem.random(rows: 8, columns: 4, seed: 9)

  @Test("generated case: derivative w.r.t. b = (AᵀA + θI)⁻¹Aᵀ")
  func withRespectToB() throws {
    let θ = 0.6
    let inverse = Reference.inverse(problem.gram([Double](repeating: θ, count: problem.columns)))!
    let jacobian = Reference.matmul(inverse, Reference.transpose(problem.aRows))
    let c = try Self.makeCase(
      data: ["A": problem.aRows, "theta": θ], theta: ["b": problem.b], x: problem.solution(θ),
      jacobians: ["b": jacobian])
    let check = try Self.evaluate(c)
    #expect(
      check.passed, "\(check.blocks.map { "\($0.output) \($0.block): \($0.relativeError)" }) \(check.failure ?? "")")
  }

  @Test("generated case: per-feature theta and b together")
  func perFeatureThetaAndB() throws {
    let θ = [0.2, 0.9, 0.4, 1.3]
    let inverse = Reference.inverse(problem.gram(θ))!
    let c = try Self.makeCase(
      data: ["A": problem.aRows], theta: ["theta": θ, "b": problem.b], x: problem.solution(θ),
      jacobians: ["theta": problem.jacobian(θ), "b": Reference.matmul(inverse, Reference.transpose(problem.aRows))])
    let check = try Self.evaluate(c)
    #expect(
      check.passed, "\(check.blocks.map { "\($0.output) \($0.block): \($0.relativeError)" }) \(check.failure ?? "")")
    #expect(check.blocks.count == 3)
  }

  @Test("generated case: derivative w.r.t. A, against finite differences of re-solving")
  func withRespectToA() throws {
    let θ = 0.5
    let p = problem.columns, n = problem.rows
    // Column (k, l) of the Jacobian: ∂x*/∂A_kl, by central differences of the closed-form solve.
    let flat = problem.aRows.flatMap { $0 }
    let fd = FiniteDifferences.jacobian(at: flat, step: 1e-6) { a in
      let rows = (0..<n).map { Array(a[($0 * p)..<(($0 + 1) * p)]) }
      return RidgeProblem(aRows: rows, b: problem.b).solution(θ)
    }
    let c = try Self.makeCase(
      data: ["b": problem.b, "theta": θ], theta: ["A": problem.aRows], x: problem.solution(θ),
      jacobians: ["A": fd.map { row in (0..<n).map { Array(row[($0 * p)..<(($0 + 1) * p)]) } }])
    let evaluation = try Self.registry().evaluate(c)
    let computed = try #require(evaluation.outputs["x"]?.jacobians["A"])
    #expect(computed.shape == [p, n, p])
    #expect(Reference.relativeError(computed.values, fd.flatMap { $0 }) < 1e-7)
  }

  @Test("a theta of the wrong length names the field")
  func wrongThetaLength() throws {
    let c = try Self.makeCase(
      data: ["A": problem.aRows, "b": problem.b], theta: ["theta": [0.1, 0.2]], x: [0, 0, 0, 0],
      jacobians: [:])
    do {
      _ = try Self.registry().evaluate(c)
      Issue.record("a theta with 2 entries for 4 features was accepted")
    } catch let error as CaseFormatError {
      #expect(error.field == "theta", "\(error)")
    }
  }

  @Test("a missing input names the field")
  func missingInput() throws {
    let c = try Self.makeCase(data: ["A": problem.aRows], theta: ["theta": 0.3], x: [0, 0, 0, 0], jacobians: [:])
    do {
      _ = try Self.registry().evaluate(c)
      Issue.record("a case without b was accepted")
    } catch let error as CaseFormatError {
      #expect(error.field.contains("b"), "\(error)")
    }
  }
}
