import Foundation
import ImplicitCore
import ImplicitProximalGradient
import ImplicitReferenceCases
import ImplicitTestSupport
import Testing

/// The `sparse-lasso` family: its catalogue cases (JAXopt on a BCOO design), agreement with the
/// dense `lasso` family on the densified design and with finite differences of re-solves, and the
/// format errors of bad COO triplets (each naming the offending field).
@Suite("sparse-lasso family")
struct SparseLassoFamilyTests {
  func registry() throws -> FamilyRegistry {
    let registry = FamilyRegistry()
    try ProximalGradientFamilies.register(in: registry)
    return registry
  }

  @Test func catalogueCasesPass() throws {
    let checks = try TestSupport.checkFamily("sparse-lasso", registry: registry())
    #expect(checks.count >= 2)
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "") worst \(check.worstRelativeError)")
      #expect(check.worstRelativeError <= 1e-8, "\(check.id)")
    }
  }

  /// COO triplets of a 12 × 20 design, unsorted, with one duplicated position (summed).
  struct Triplets {
    var rows: [Int], columns: [Int], values: [Double]
    let n = 12, p = 20

    init() {
      var rng = SeededGenerator(seed: 2024)
      var rows = [Int](), columns = [Int](), values = [Double]()
      for i in 0..<n {
        for j in 0..<p where (i * 7 + j * 3) % 4 == 0 {
          rows.append(i)
          columns.append(j)
          values.append(rng.normal())
        }
      }
      // Reverse (unsorted input) and split one entry into two summed halves.
      rows.reverse()
      columns.reverse()
      values.reverse()
      rows.append(rows[0])
      columns.append(columns[0])
      values[0] *= 0.5
      values.append(values[0])
      (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    var dense: Matrix<Double> {
      var m = Matrix<Double>.zeros(rows: n, columns: p)
      for k in values.indices { m[rows[k], columns[k]] += values[k] }
      return m
    }
  }

  static func list(_ v: [Double]) -> String { "[" + v.map { "\($0)" }.joined(separator: ", ") + "]" }
  static func list(_ v: [Int]) -> String { "[" + v.map { "\($0)" }.joined(separator: ", ") + "]" }

  /// A case with `A` given as `design` (JSON text), `b` and `lam` in `data` or `theta`.
  static func caseData(
    family: String = "sparse-lasso", design: String, b: [Double], lam: Double, theta: [String] = ["b", "lam"]
  ) -> Data {
    let inputs = [("b", list(b)), ("lam", "\(lam)")]
    func object(_ pairs: [(String, String)]) -> String {
      "{" + pairs.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }
    let text = """
      {"format": "implicit-case/1", "id": "synthetic", "family": "\(family)",
       "data": \(object([("A", design)] + inputs.filter { !theta.contains($0.0) })),
       "theta": \(object(inputs.filter { theta.contains($0.0) })),
       "outputs": {"x": {"value": \(list([Double](repeating: 0.5, count: 20)))}}}
      """
    return Data(text.utf8)
  }

  static func coo(_ t: Triplets, shape: String = "[12, 20]") -> String {
    "{\"shape\": \(shape), \"rows\": \(list(t.rows)), \"columns\": \(list(t.columns)), \"values\": \(list(t.values))}"
  }

  static func denseText(_ m: Matrix<Double>) -> String {
    "[" + m.rowArrays.map { list($0) }.joined(separator: ", ") + "]"
  }

  /// The same problem through the dense `lasso` family (on the densified design) and through
  /// central differences of re-solves of the sparse case: `x`, `∂x/∂b` and `∂x/∂lam` agree.
  @Test func matchesDenseFamilyAndFiniteDifferences() throws {
    let t = Triplets()
    var rng = SeededGenerator(seed: 9)
    let b = rng.normalVector(t.n).scalars
    let lam = 0.2 * t.dense.transposedTimes(Vector(b)).scalars.map(abs).max()!
    func evaluate(_ b: [Double], _ lam: Double, dense: Bool = false) throws -> ReferenceCase.Output {
      let json =
        dense
        ? Self.caseData(family: "lasso", design: Self.denseText(t.dense), b: b, lam: lam)
        : Self.caseData(design: Self.coo(t), b: b, lam: lam)
      return try #require(try registry().evaluate(ReferenceCase(json: json, file: "synthetic.json")).outputs["x"])
    }
    let sparse = try evaluate(b, lam), dense = try evaluate(b, lam, dense: true)
    let support = sparse.value.values.filter { $0 != 0 }.count
    #expect(support >= 3 && support < t.n, "a non-trivial support: \(support)")
    #expect(CaseCheck.errors(sparse.value.values, dense.value.values).relative <= 1e-10)
    for name in ["b", "lam"] {
      let s = try #require(sparse.jacobians[name]), d = try #require(dense.jacobians[name])
      #expect(s.shape == d.shape)
      #expect(CaseCheck.errors(s.values, d.values).relative <= 1e-10, "d/d\(name) against the dense family")
    }
    // Finite differences (the lasso path is piecewise affine: exact while the support holds).
    let h = 1e-6
    let dLam = try #require(sparse.jacobians["lam"]).values
    let up = try evaluate(b, lam + h).value.values, down = try evaluate(b, lam - h).value.values
    for i in 0..<t.p {
      #expect(abs(dLam[i] - (up[i] - down[i]) / (2 * h)) <= 1e-6 * max(1, abs(dLam[i])), "dx\(i)/dlam")
    }
    let dB = try #require(sparse.jacobians["b"]).values
    for j in [0, 5, 11] {
      var plus = b, minus = b
      plus[j] += h
      minus[j] -= h
      let up = try evaluate(plus, lam).value.values, down = try evaluate(minus, lam).value.values
      for i in 0..<t.p {
        let fd = (up[i] - down[i]) / (2 * h)
        #expect(abs(dB[i * t.n + j] - fd) <= 1e-6 * max(1, abs(fd)), "dx\(i)/db\(j)")
      }
    }
  }

  /// Bad triplets and misplaced designs are ``CaseFormatError``s naming the field, never a trap.
  @Test(arguments: [
    ("row out of range", "rows", 3, "40", "A.rows[3]"),
    ("negative column", "columns", 5, "-1", "A.columns[5]"),
    ("fractional index", "rows", 2, "1.5", "A.rows[2]"),
    ("huge index", "columns", 0, "1e300", "A.columns[0]"),
  ])
  func badIndexNamesTheEntry(what: String, key: String, entry: Int, replacement: String, field: String) throws {
    let t = Triplets()
    var rows = t.rows.map { "\($0)" }, columns = t.columns.map { "\($0)" }
    if key == "rows" { rows[entry] = replacement } else { columns[entry] = replacement }
    let design =
      "{\"shape\": [12, 20], \"rows\": [\(rows.joined(separator: ", "))], "
      + "\"columns\": [\(columns.joined(separator: ", "))], \"values\": \(Self.list(t.values))}"
    try expectFormatError(Self.caseData(design: design, b: [Double](repeating: 1, count: 12), lam: 0.1), field, what)
  }

  @Test func badTripletsNameTheField() throws {
    let t = Triplets()
    let b = [Double](repeating: 1, count: 12)
    let valuesList = Self.list(t.values), rowsList = Self.list(t.rows), columnsList = Self.list(t.columns)
    func design(shape: String = "[12, 20]", rows: String? = nil, values: String? = nil, extra: String = "") -> String {
      "{\"shape\": \(shape), \"rows\": \(rows ?? rowsList), \"columns\": \(columnsList), "
        + "\"values\": \(values ?? valuesList)\(extra)}"
    }
    try expectFormatError(
      Self.caseData(design: design(rows: Self.list(Array(t.rows.dropLast()))), b: b, lam: 0.1), "A (rows, columns",
      "length mismatch")
    try expectFormatError(
      Self.caseData(design: design(values: "[1e308, 1e308]", extra: ""), b: b, lam: 0.1), "A (rows, columns",
      "length mismatch (values)")
    // Two halves that overflow when the duplicates are summed.
    let overflow = "{\"shape\": [12, 20], \"rows\": [1, 1], \"columns\": [2, 2], \"values\": [1e308, 1e308]}"
    try expectFormatError(Self.caseData(design: overflow, b: b, lam: 0.1), "A.values", "overflowing duplicates")
    try expectFormatError(
      Self.caseData(design: design(extra: ", \"format\": \"csr\""), b: b, lam: 0.1), "data.A.format", "unknown key")
    try expectFormatError(
      Self.caseData(design: "{\"shape\": [12, 20], \"rows\": [], \"columns\": []}", b: b, lam: 0.1),
      "data.A.values", "missing key")
    try expectFormatError(Self.caseData(design: design(shape: "[12]"), b: b, lam: 0.1), "data.A.shape", "1-d shape")
    try expectFormatError(Self.caseData(design: design(shape: "[0, 20]"), b: b, lam: 0.1), "data.A.shape", "empty")
    try expectFormatError(Self.caseData(design: "{}", b: b, lam: 0.1), "data.A.", "empty object")
    // b of the wrong length for the shape; a dense A for this family; a sparse A for the dense one.
    try expectFormatError(Self.caseData(design: design(), b: [1, 2], lam: 0.1), "b", "b too short")
    try expectFormatError(Self.caseData(design: Self.denseText(t.dense), b: b, lam: 0.1), "A", "dense A")
    try expectFormatError(Self.caseData(family: "lasso", design: design(), b: b, lam: 0.1), "A", "sparse A, lasso")
    // A is data in this family.
    let aInTheta = Data(
      String(decoding: Self.caseData(design: design(), b: b, lam: 0.1, theta: ["lam"]), as: UTF8.self)
        .replacingOccurrences(of: "\"theta\": {", with: "\"theta\": {\"A\": [1.0], ").utf8)
    try expectFormatError(aInTheta, "theta.A", "A under theta")
  }

  /// An absurd shape is refused by the size budget before anything is allocated.
  @Test func absurdShapeIsRefusedBeforeAllocation() throws {
    let design = "{\"shape\": [1000000000000000, 20], \"rows\": [0], \"columns\": [0], \"values\": [1.0]}"
    let c = try ReferenceCase(json: Self.caseData(design: design, b: [1], lam: 0.1), file: "huge.json")
    #expect(throws: CaseSizeError.self) { try registry().evaluate(c) }
  }

  /// Expects a ``CaseFormatError`` whose field contains `fieldPart` (the reader names
  /// `data.A.…`, the family `A.…`).
  /// A design whose `p × dim θ` Jacobian would not fit in memory is refused, naming `A`.
  @Test func jacobianBeyondTheMemoryBudgetIsRefused() throws {
    let design = "{\"shape\": [20000, 20000], \"rows\": [0], \"columns\": [0], \"values\": [1.0]}"
    let b = [Double](repeating: 1, count: 20000)
    try expectFormatError(Self.caseData(design: design, b: b, lam: 0.1), "A", "20000 × 20001 Jacobian")
  }

  func expectFormatError(_ json: Data, _ fieldPart: String, _ what: String) throws {
    do {
      _ = try registry().evaluate(ReferenceCase(json: json, file: "bad.json"))
      Issue.record("\(what): no error")
    } catch let error as CaseFormatError {
      #expect(error.field.contains(fieldPart), "\(what): field `\(error.field)` (\(error.message))")
    } catch {
      Issue.record("\(what): \(type(of: error)) \(error), expected a CaseFormatError")
    }
  }
}
