import Foundation
import ImplicitCore
import ImplicitKKT
import ImplicitReferenceCases
import ImplicitTestSupport
import Testing

@Suite struct QuadraticProgramFamilyTests {
  static func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try KKTFamilies.register(in: registry)
    return registry
  }

  @Test(arguments: ["qp", "equality-qp"])
  func referenceCasesPass(_ family: String) throws {
    let checks = try TestSupport.checkFamily(family, registry: Self.registry())
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "")")
      #expect(check.worstRelativeError < 1e-8, "\(check.id)")
    }
  }

  /// A case in the reference format for `program`, with `differentiated` under `theta`.
  static func referenceCase(
    _ program: QuadraticProgram, family: String, method: String?, differentiated: Set<String>
  ) throws -> ReferenceCase {
    func matrix(_ m: Matrix<Double>) -> [[Double]] { m.rowArrays }
    let all: [(String, Any)] = [
      ("Q", matrix(program.Q)), ("c", program.c.scalars), ("E", matrix(program.E)), ("d", program.d.scalars),
      ("G", matrix(program.G)), ("h", program.h.scalars),
    ]
    let relevant = family == "qp" ? all : Array(all.prefix(4))
    var data = [String: Any](), theta = [String: Any]()
    for (name, value) in relevant {
      if differentiated.contains(name) { theta[name] = value } else { data[name] = value }
    }
    var object: [String: Any] = [
      "format": "implicit-case/1", "id": "synthetic", "family": family, "data": data, "theta": theta,
      "outputs": ["x": ["value": program.c.scalars]],
    ]
    if let method { object["method"] = method }
    return try ReferenceCase(json: JSONSerialization.data(withJSONObject: object), file: "synthetic.json")
  }

  /// The family differentiates whatever is under `theta` (here the matrices), for both methods.
  @Test(arguments: ["osqp", "kkt-active-set"])
  func familyJacobiansWithRespectToMatricesMatchReSolving(_ method: String) throws {
    let planted = PlantedQuadraticProgram(variables: 4, equalities: 1, inequalities: 5, active: 2, seed: 81)
    let program = planted.program
    let c = try Self.referenceCase(program, family: "qp", method: method, differentiated: ["Q", "E", "G", "h"])
    let evaluation = try Self.registry().evaluate(c)
    let reference = ImplicitJacobianTests.reSolvedJacobian(program) { try ActiveSetQPSolver().solve($0).converged() }
    let n = 4, p = 1, m = 5
    // Offsets of each parameter in the program's coordinates (Q, c, E, d, G, h).
    let offsets = [
      "Q": (0, n * n), "E": (n * n + n, p * n), "G": (n * n + n + p * n + p, m * n),
      "h": (n * n + n + p * n + p + m * n, m),
    ]
    for (output, start, count) in [("x", 0, n), ("dual_eq", n, p), ("dual_ineq", n + p, m)] {
      let computed = try #require(evaluation.outputs[output])
      #expect(
        TestSupport.relativeError(computed.value.values, Array(planted.solution.flattened[start..<(start + count)]))
          < 1e-10)
      for (name, (offset, width)) in offsets {
        let block = try #require(computed.jacobians[name])
        #expect(block.shape == [count] + (name == "h" ? [m] : name == "E" ? [p, n] : name == "G" ? [m, n] : [n, n]))
        let expected = (start..<(start + count)).flatMap { r in (offset..<(offset + width)).map { reference[r, $0] } }
        #expect(TestSupport.relativeError(block.values, expected) < 1e-7, "\(output) d/d\(name)")
      }
    }
  }

  @Test func caseWithoutMethodAndWithoutEqualitiesRuns() throws {
    let planted = PlantedQuadraticProgram(variables: 5, equalities: 0, inequalities: 4, active: 2, seed: 82)
    let c = try Self.referenceCase(planted.program, family: "qp", method: nil, differentiated: ["c"])
    let evaluation = try Self.registry().evaluate(c)
    let x = try #require(evaluation.outputs["x"])
    #expect(TestSupport.relativeError(x.value.values, planted.solution.primal.scalars) < 1e-10)
    #expect(evaluation.outputs["dual_eq"]?.value.count == 0)
  }

  @Test func unknownParameterIsAFormatError() throws {
    let planted = PlantedQuadraticProgram(variables: 3, equalities: 1, inequalities: 0, active: 0, seed: 83)
    var c = try Self.referenceCase(planted.program, family: "equality-qp", method: nil, differentiated: ["c"])
    c.theta.append((name: "lam", value: NDArray(scalar: 1)))
    #expect(throws: CaseFormatError.self) { try Self.registry().evaluate(c) }
  }

  @Test func weaklyActiveCaseIsATypedError() throws {
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([-1, 0]), E: Matrix(rows: 0, columns: 2, scalars: []), d: Vector([]),
      G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 3]))
    for method in ["osqp", "kkt-active-set"] {
      let c = try Self.referenceCase(program, family: "qp", method: method, differentiated: ["c", "h"])
      #expect(throws: QuadraticProgramError.weaklyActiveConstraints(indices: [0], tolerance: 1e-9)) {
        try Self.registry().evaluate(c)
      }
    }
  }

  @Test func infeasibleCaseIsATypedError() throws {
    let program = QuadraticProgram(
      Q: Matrix([[1, 0], [0, 1]]), c: Vector([0, 0]), E: Matrix([[1, 1]]), d: Vector([3]),
      G: Matrix([[1, 0], [0, 1]]), h: Vector([1, 1]))
    for method in ["osqp", "kkt-active-set"] {
      let c = try Self.referenceCase(program, family: "qp", method: method, differentiated: ["c"])
      #expect(throws: QuadraticProgramError.self) { try Self.registry().evaluate(c) }
    }
  }
}
