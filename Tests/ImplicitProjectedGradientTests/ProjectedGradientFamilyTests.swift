import Foundation
import ImplicitCore
import ImplicitProjectedGradient
import ImplicitReferenceCases
import ImplicitTestSupport
import Testing

/// The registered reference families: the catalogue cases through a fresh registry, and other
/// instances (other parameters under `theta`, other data) against central differences of
/// re-evaluating the family's own values.
@Suite("Projected-gradient families")
struct ProjectedGradientFamilyTests {
  static func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try ProjectedGradientFamilies.register(in: registry)
    return registry
  }

  static let families = [
    "nonnegative-least-squares", "simplex-least-squares", "box-qp", "projection-simplex", "projection-l1-ball",
    "projection-l2-ball", "projection-box",
  ]

  @Test(arguments: families)
  func catalogueCasesPass(family: String) throws {
    let checks = try TestSupport.checkFamily(family, registry: try Self.registry())
    #expect(!checks.isEmpty)
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError <= 1e-8, "\(check.id)")
    }
  }

  @Test func multiclassSVMProjectedGradientCasePasses() throws {
    // The other methods of this family belong to other modules.
    let checks = try TestSupport.checkFamily("multiclass-svm-dual", registry: try Self.registry())
      .filter { $0.method == "projected-gradient" }
    #expect(checks.count == 1)
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError <= 1e-8)
    }
  }

  @Test func everyDescriptorIsRegistered() throws {
    let registry = FamilyRegistry()
    try ProjectedGradientFamilies.register(in: registry)
    #expect(registry.families.count == ProjectedGradientFamilies.descriptors.count)
  }

  // MARK: - Other instances

  /// A case document with `data`, `theta` and a placeholder output (only `evaluate` is run).
  static func makeCase(
    family: String, method: String? = nil, data: [String: Any], theta: [(String, Any)], output: String
  ) throws -> ReferenceCase {
    var thetaObject = [String: Any]()
    for (k, v) in theta { thetaObject[k] = v }
    var object: [String: Any] = [
      "format": "implicit-case/1", "id": "test_\(family)", "family": family, "data": data, "theta": thetaObject,
      "outputs": [output: ["value": 0]],
    ]
    if let method { object["method"] = method }
    var json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    // Keep θ in the given order (the parser reads the order from the document text).
    let ordered = theta.map {
      "\"\($0.0)\": \(String(decoding: try! JSONSerialization.data(withJSONObject: $0.1, options: .fragmentsAllowed), as: UTF8.self))"
    }
    if let range = json.range(of: "\"theta\":{") {
      let end = json[range.upperBound...].firstIndex(of: "}")!
      json.replaceSubrange(range.upperBound..<end, with: ordered.joined(separator: ","))
    }
    return try ReferenceCase(json: Data(json.utf8), file: "test-\(family).json")
  }

  /// The family's Jacobian blocks of `output` against central differences of its values, every
  /// entry of every parameter under `theta` perturbed in turn.
  static func checkAgainstFiniteDifferences(
    _ c: ReferenceCase, output: String, step: Double = 1e-6, tolerance: Double = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let registry = try registry()
    let evaluation = try registry.evaluate(c)
    let computed = try #require(evaluation.outputs[output])
    for (name, array) in c.theta {
      let block = try #require(computed.jacobians[name], "no Jacobian for \(name)", sourceLocation: sourceLocation)
      let rows = computed.value.count
      for j in 0..<array.count {
        func shifted(_ delta: Double) throws -> [Double] {
          var perturbed = c
          let index = perturbed.theta.firstIndex { $0.name == name }!
          perturbed.theta[index].value.values[j] += delta
          return try registry.evaluate(perturbed).outputs[output]!.value.values
        }
        let plus = try shifted(step), minus = try shifted(-step)
        let fd = (0..<rows).map { (plus[$0] - minus[$0]) / (2 * step) }
        let implicit = (0..<rows).map { block.values[$0 * array.count + j] }
        let scale = max(1, block.values.map(abs).max() ?? 0)
        let gap = zip(fd, implicit).map { abs($0 - $1) }.max() ?? 0
        #expect(gap <= tolerance * scale, "\(c.family) ∂\(output)/∂\(name)[\(j)]", sourceLocation: sourceLocation)
      }
    }
  }

  static func matrixJSON(_ m: Matrix<Double>) -> [[Double]] { m.rowArrays }

  @Test func nonnegativeLeastSquaresInAAndB() throws {
    var rng = SeededGenerator(seed: 301)
    let A = rng.normalMatrix(rows: 8, columns: 4), b = rng.normalVector(8)
    let c = try Self.makeCase(
      family: "nonnegative-least-squares", data: [:], theta: [("A", Self.matrixJSON(A)), ("b", b.scalars)], output: "x")
    try Self.checkAgainstFiniteDifferences(c, output: "x")
  }

  @Test func simplexLeastSquaresInTheSimplexValue() throws {
    var rng = SeededGenerator(seed: 302)
    let A = rng.normalMatrix(rows: 7, columns: 5), b = rng.normalVector(7)
    let c = try Self.makeCase(
      family: "simplex-least-squares", data: ["A": Self.matrixJSON(A)],
      theta: [("simplex_value", 1.4), ("b", b.scalars)],
      output: "x")
    try Self.checkAgainstFiniteDifferences(c, output: "x")
  }

  @Test func boxQPInQAndScalarBounds() throws {
    var rng = SeededGenerator(seed: 303)
    let B = rng.normalMatrix(rows: 5, columns: 5, scale: 0.6)
    let Q = B.transposed() * B + Matrix.identity(5)
    let c = try Self.makeCase(
      family: "box-qp", data: ["c": rng.normalVector(5, scale: 2).scalars, "upper": 0.35],
      theta: [("Q", Self.matrixJSON(Q)), ("lower", -0.3)], output: "x")
    try Self.checkAgainstFiniteDifferences(c, output: "x")
  }

  @Test func projectionsInTheirSetParameters() throws {
    var rng = SeededGenerator(seed: 304)
    let z = rng.normalVector(6, scale: 1.5).scalars
    try Self.checkAgainstFiniteDifferences(
      try Self.makeCase(family: "projection-l1-ball", data: ["z": z], theta: [("r", 0.9)], output: "p"), output: "p")
    try Self.checkAgainstFiniteDifferences(
      try Self.makeCase(family: "projection-l2-ball", data: ["r": 0.7], theta: [("z", z)], output: "p"), output: "p")
    try Self.checkAgainstFiniteDifferences(
      try Self.makeCase(
        family: "projection-box", data: ["z": z],
        theta: [("upper", 0.5), ("lower", [-0.5, -0.2, -1, -0.1, -0.3, -2])],
        output: "p"), output: "p")
    for method in [nil, "bisection"] {
      try Self.checkAgainstFiniteDifferences(
        try Self.makeCase(
          family: "projection-simplex", method: method, data: [:], theta: [("z", z), ("simplex_value", 1.3)],
          output: "p"),
        output: "p")
    }
  }

  @Test func unknownParametersAndBadDataAreCaseErrors() throws {
    let registry = try Self.registry()
    let stray = try Self.makeCase(
      family: "projection-l2-ball", data: ["z": [1, 2]], theta: [("radius", 1.0)], output: "p")
    #expect(throws: CaseFormatError.self) { try registry.evaluate(stray) }
    let negative = try Self.makeCase(
      family: "projection-l1-ball", data: ["z": [1, 2]], theta: [("r", -1.0)], output: "p")
    #expect(throws: CaseFormatError.self) { try registry.evaluate(negative) }
    let crossed = try Self.makeCase(
      family: "box-qp", data: ["Q": [[1.0, 0], [0, 1]], "c": [1, 1]],
      theta: [("lower", [0.5, 0]), ("upper", [0.0, 1])], output: "x")
    #expect(throws: CaseFormatError.self) { try registry.evaluate(crossed) }
  }
}
