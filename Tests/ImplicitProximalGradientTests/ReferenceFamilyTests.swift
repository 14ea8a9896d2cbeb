import ImplicitCore
import ImplicitProximalGradient
import ImplicitReferenceCases
import ImplicitTestSupport
import Testing

@Suite("Proximal-gradient reference families")
struct ReferenceFamilyTests {
  func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try ProximalGradientFamilies.register(in: registry)
    return registry
  }

  @Test(arguments: ["lasso", "elastic-net", "elastic-net-jaxopt"])
  func catalogueCasesPass(family: String) throws {
    let checks = try TestSupport.checkFamily(family, registry: registry())
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError <= 1e-8, "\(check.id)")
    }
  }

  /// Any parameter may be differentiated: here `A` and `lam` of a lasso and `b` and `lam` of an
  /// elastic net, against central differences of re-solving the perturbed cases through the family.
  @Test(arguments: [
    ("lasso", ["A", "lam"], [0.4]), ("elastic-net", ["b", "lam"], [0.3, 0.5]),
    ("elastic-net-jaxopt", ["A", "b"], [0.3, 0.8]),
  ])
  func anyParameterMatchesFiniteDifferences(family: String, differentiated: [String], lam: [Double]) throws {
    var rng = SeededGenerator(seed: 77)
    let A = rng.normalMatrix(rows: 7, columns: 5), b = rng.normalVector(7)
    let values: [String: [Double]] = ["A": A.scalars, "b": b.scalars, "lam": lam]
    func encoded(_ name: String, _ v: [Double]) -> Any {
      name == "A" ? Matrix(rows: 7, columns: 5, scalars: v) : (v.count == 1 ? v[0] as Any : Vector(v))
    }
    func evaluate(_ values: [String: [Double]]) throws -> ReferenceCase.Output {
      let names = ["A", "b", "lam"]
      let json = caseJSON(
        family: family,
        data: names.filter { !differentiated.contains($0) }.map { ($0, encoded($0, values[$0]!)) },
        theta: differentiated.map { ($0, encoded($0, values[$0]!)) }, outputCount: 5)
      return try #require(try registry().evaluate(ReferenceCase(json: json, file: "synthetic.json")).outputs["x"])
    }
    let base = try evaluate(values)
    let h = 1e-5
    for name in differentiated {
      let block = try #require(base.jacobians[name])
      let count = values[name]!.count
      for j in 0..<count {
        var plus = values, minus = values
        plus[name]![j] += h
        minus[name]![j] -= h
        let up = try evaluate(plus).value.values, down = try evaluate(minus).value.values
        for i in 0..<5 {
          let fd = (up[i] - down[i]) / (2 * h)
          #expect(
            abs(block.values[i * count + j] - fd) <= 1e-6 * max(1, abs(fd)), "\(family) d x\(i) / d \(name)[\(j)]")
        }
      }
    }
  }

  @Test func unknownParameterAndBadStrengthAreFormatErrors() throws {
    let A = Matrix([[0.3, 0.2], [0.4, -0.7], [0.9, 0.25]])
    let unknown = caseJSON(
      family: "lasso", data: [("A", A), ("b", Vector([0.3, 0.2, 0.4]))], theta: [("gamma", 0.5)], outputCount: 2)
    #expect(throws: CaseFormatError.self) { try registry().evaluate(ReferenceCase(json: unknown, file: "u.json")) }
    let badLam = caseJSON(
      family: "elastic-net", data: [("A", A), ("b", Vector([0.3, 0.2, 0.4]))], theta: [("lam", 0.5)], outputCount: 2)
    #expect(throws: CaseFormatError.self) { try registry().evaluate(ReferenceCase(json: badLam, file: "l.json")) }
  }
}
