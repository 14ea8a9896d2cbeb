import Foundation

/// Mutants that do not derive from one seed: odd documents, folders, and large cases.
extension Generator {
  func globalMutants(seeds: [SeedCase]) -> [Mutant] {
    var out = [Mutant]()
    func add(_ kind: String, _ detail: String, _ t: Target, _ check: Expectation, _ conf: Expectation) {
      out.append(Mutant(kind, seed: "-", detail, t, check: check, conformance: conf))
    }
    func text(_ s: String) -> Target { .file(Data(s.utf8)) }
    add("empty-file", "0 bytes", text(""), .fail, .fail)
    add("whitespace-file", "only whitespace", text(" \n\t\n"), .fail, .fail)
    for doc in ["null", "[]", "42", "\"case\"", "{}", "[{}]"] {
      add("not-an-object", "document is \(doc)", text(doc), .fail, .fail)
    }
    var r = SplitMix64(seed: seed, "-", "binary")
    add(
      "binary", "4096 random bytes", .file(Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: r.next()) })), .fail,
      .fail)
    // A stack-depth bomb: a recursive parser must not overflow the stack on it.
    let depth = 100_000
    add(
      "deep-nesting", "data.A nested \(depth) lists deep",
      text(
        #"{"format": "implicit-case/1", "id": "deep", "family": "ridge", "data": {"A": "#
          + String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth)
          + #", "b": [1]}, "theta": {"theta": 1}, "outputs": {"x": {"value": [0]}}}"#), .fail, .fail)
    add("empty-folder", "a folder with no files", .folder([]), .fail, .fail)
    add(
      "folder-without-cases", "a folder with a README and a .txt only",
      .folder([.init(name: "README.md", bytes: Data("# nothing\n".utf8)), .init(name: "a.txt", bytes: Data("{}".utf8))]
      ),
      .fail, .fail)
    add("missing-path", "a path that does not exist", .missing, .fail, .fail)
    if let first = seeds.first {
      let cut = first.raw.prefix(first.raw.count / 2)
      add(
        "folder-one-bad", "a folder with \(first.id) and a truncated copy",
        .folder([.init(name: "good.json", bytes: first.raw), .init(name: "bad.json", bytes: Data(cut))]), .fail, .fail)
    }
    out += largeCases()
    return out
  }

  /// Cases far larger than the seeds, with consistent shapes. Where the answer has a closed form
  /// (ridge with one row or one column) the expected numbers are right and a pass is legitimate;
  /// elsewhere they are arbitrary and the check must fail. Either way: no trap, no hang, no
  /// allocation of a dense n×n for n = 200 000. Built only when written (tens of MB in all).
  func largeCases() -> [Mutant] {
    var out = [Mutant]()
    let seed = self.seed
    func add(
      _ kind: String, _ detail: String, _ check: Expectation, _ conf: Expectation,
      _ make: @escaping @Sendable (inout LargeCase) -> Void
    ) {
      let id = kind.replacingOccurrences(of: "-", with: "_")
      var m = Mutant(
        kind, seed: "-", detail,
        .generated {
          var c = LargeCase(seed: seed, id: id)
          make(&c)
          return c.document
        }, check: check, conformance: conf)
      m.caseID = id
      out.append(m)
    }
    let n = 200_000
    // Ridge with one row: x = a β / (‖a‖² + θ), dx/dθ = −a β / (‖a‖² + θ)².
    add("large-ridge-wide", "ridge, A 1×\(n) (dense AᵀA would be 320 GB), closed-form expectations", .either, .either) {
      let a = $0.vector(n, scale: 1.0 / 400)
      let beta = 0.75, theta = 0.5
      let s = a.reduce(0) { $0 + $1 * $1 } + theta
      $0.set(
        family: "ridge", data: "\"A\": [\(list(a))], \"b\": [\(beta)]", theta: "\"theta\": \(theta)",
        outputs:
          "\"x\": {\"value\": \(list(a.map { $0 * beta / s })), \"jacobian\": {\"theta\": \(list(a.map { -$0 * beta / (s * s) }))}}"
      )
    }
    // Ridge with one column: x = aᵀb / (‖a‖² + θ).
    add("large-ridge-tall", "ridge, A \(n)×1, closed-form expectations", .either, .either) {
      let a = $0.vector(n, scale: 1.0 / 400)
      let b = $0.vector(n, scale: 1)
      let theta = 0.5
      let s = a.reduce(0) { $0 + $1 * $1 } + theta
      let ab = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
      $0.set(
        family: "ridge", data: "\"A\": [\(a.map { "[\(number($0))]" }.joined(separator: ","))], \"b\": \(list(b))",
        theta: "\"theta\": \(theta)",
        outputs: "\"x\": {\"value\": [\(ab / s)], \"jacobian\": {\"theta\": [\(-ab / (s * s))]}}")
    }
    // Arbitrary expectations from here on: the check must fail, quickly and cleanly.
    let zeros = list(Array(repeating: 0, count: n))
    add("large-lasso-wide", "lasso, A 1×\(n), lam 1e-4 (x ≠ 0), arbitrary expectations", .fail, .either) {
      $0.set(
        family: "lasso", data: "\"A\": [\(list($0.vector(n, scale: 1.0 / 400)))], \"b\": [3]", theta: "\"lam\": 1e-4",
        outputs: "\"x\": {\"value\": \(zeros), \"jacobian\": {\"lam\": \(zeros)}}")
    }
    add("large-elastic-net-wide", "elastic-net, A 1×\(n), arbitrary expectations", .fail, .either) {
      $0.set(
        family: "elastic-net", data: "\"A\": [\(list($0.vector(n, scale: 1.0 / 400)))], \"b\": [3]",
        theta: "\"lam\": [1e-4, 0.2]", outputs: "\"x\": {\"value\": \(zeros)}")
    }
    add("large-nnls-wide", "nonnegative-least-squares, A 1×\(n), b in theta, arbitrary expectations", .fail, .either) {
      let a = $0.vector(n, scale: 1.0 / 400)
      $0.set(
        family: "nonnegative-least-squares", data: "\"A\": [\(list(a))]", theta: "\"b\": [3]",
        outputs: "\"x\": {\"value\": \(list(a.map { $0 + 1 }))}")
    }
    add(
      "large-simplex-projection", "projection-simplex, z of \(n) entries (in data), arbitrary expectations", .fail,
      .either
    ) {
      $0.set(
        family: "projection-simplex", data: "\"z\": \(list($0.vector(n, scale: 1)))", theta: "",
        outputs: "\"p\": {\"value\": \(zeros)}")
    }
    // Both sides above 1000: the Jacobian must not cost one matrix copy per column.
    let (m, k) = (1200, 1100)
    add("large-ridge-square", "ridge, A \(m)×\(k), arbitrary expectations", .fail, .either) { c in
      var rows = [[Double]]()
      for _ in 0..<m { rows.append(c.vector(k, scale: 1)) }
      c.set(
        family: "ridge",
        data: "\"A\": [\(rows.map(list).joined(separator: ",\n"))], \"b\": \(list(c.vector(m, scale: 1)))",
        theta: "\"theta\": 0.5",
        outputs:
          "\"x\": {\"value\": \(list(Array(repeating: 0, count: k))), \"jacobian\": {\"theta\": \(list(Array(repeating: 1, count: k)))}}"
      )
    }
    // A box QP of 1500 variables (Q = I written with 0/1 so the file stays small).
    let q = 1500
    add("large-box-qp", "box-qp, Q = I of \(q)×\(q), c in theta, arbitrary expectations", .fail, .either) {
      let identity = (0..<q).map { i in "[" + (0..<q).map { $0 == i ? "1" : "0" }.joined(separator: ",") + "]" }
      $0.set(
        family: "box-qp",
        data:
          "\"Q\": [\(identity.joined(separator: ",\n"))], \"lower\": \(list(Array(repeating: -1, count: q))), \"upper\": \(list(Array(repeating: 1, count: q)))",
        theta: "\"c\": \(list($0.vector(q, scale: 1)))",
        outputs: "\"x\": {\"value\": \(list(Array(repeating: 5, count: q)))}")
    }
    return out
  }
}

/// Builds one large case: random entries from the case's own stream, written with 6 digits
/// (and read back, so closed forms use exactly what the CLI reads).
struct LargeCase {
  var random: SplitMix64
  var id: String
  var document = Data()

  init(seed: UInt64, id: String) {
    random = SplitMix64(seed: seed, "-", id)
    self.id = id
  }

  /// `count` entries uniform in [−scale, scale], rounded as written.
  mutating func vector(_ count: Int, scale: Double) -> [Double] {
    (0..<count).map { _ in Double(number(scale * (2 * random.unit() - 1)))! }
  }

  mutating func set(family: String, data: String, theta: String, outputs: String) {
    document = Data(
      """
      {"format": "implicit-case/1", "id": "\(id)", "family": "\(family)",
      "data": {\(data)},
      "theta": {\(theta)},
      "outputs": {\(outputs)}}

      """.utf8)
  }
}

func number(_ x: Double) -> String { String(format: "%.6g", x) }
func list(_ v: [Double]) -> String { "[" + v.map(number).joined(separator: ",") + "]" }
