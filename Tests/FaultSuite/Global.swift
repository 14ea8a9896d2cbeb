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
  /// allocation of a dense n×n for n = 200 000.
  func largeCases() -> [Mutant] {
    var out = [Mutant]()
    var r = SplitMix64(seed: seed, "-", "large")
    func g() -> Double { 2 * r.unit() - 1 }
    func list(_ v: [Double]) -> String { "[" + v.map { String(format: "%.6g", $0) }.joined(separator: ",") + "]" }
    func matrix(_ rows: Int, _ columns: Int, _ entry: () -> Double) -> String {
      "[" + (0..<rows).map { _ in list((0..<columns).map { _ in entry() }) }.joined(separator: ",\n") + "]"
    }
    func doc(_ id: String, _ family: String, data: String, theta: String, outputs: String) -> Target {
      .file(
        Data(
          """
          {"format": "implicit-case/1", "id": "\(id)", "family": "\(family)",
          "data": {\(data)},
          "theta": {\(theta)},
          "outputs": {\(outputs)}}

          """.utf8))
    }
    func add(_ kind: String, _ detail: String, _ t: Target, _ check: Expectation, _ conf: Expectation) {
      out.append(Mutant(kind, seed: "-", detail, t, check: check, conformance: conf))
    }
    // Values rounded to 6 digits as written, so the closed form uses what the CLI reads.
    func rounded(_ x: Double) -> Double { Double(String(format: "%.6g", x))! }

    // Ridge with one row: x = a β / (‖a‖² + θ), dx/dθ = −a β / (‖a‖² + θ)².
    let n = 200_000
    let a = (0..<n).map { _ in rounded(g() / 400) }
    let beta = 0.75, theta = 0.5
    let s = a.reduce(0) { $0 + $1 * $1 } + theta
    add(
      "large-ridge-wide", "ridge, A 1×\(n) (dense AᵀA would be 320 GB), closed-form expectations",
      doc(
        "large_ridge_wide", "ridge", data: "\"A\": [\(list(a))], \"b\": [\(beta)]", theta: "\"theta\": \(theta)",
        outputs:
          "\"x\": {\"value\": \(list(a.map { $0 * beta / s })), \"jacobian\": {\"theta\": \(list(a.map { -$0 * beta / (s * s) }))}}"
      ), .either, .either)
    // Ridge with one column: x = aᵀb / (‖a‖² + θ).
    let b = (0..<n).map { _ in rounded(g()) }
    let ab = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    add(
      "large-ridge-tall", "ridge, A \(n)×1, closed-form expectations",
      doc(
        "large_ridge_tall", "ridge",
        data: "\"A\": [\(a.map { "[\(String(format: "%.6g", $0))]" }.joined(separator: ","))], \"b\": \(list(b))",
        theta: "\"theta\": \(theta)",
        outputs: "\"x\": {\"value\": [\(ab / s)], \"jacobian\": {\"theta\": [\(-ab / (s * s))]}}"), .either, .either)
    // Arbitrary expectations from here on: the check must fail, quickly and cleanly.
    let zeros = list(Array(repeating: 0, count: n))
    add(
      "large-lasso-wide", "lasso, A 1×\(n), arbitrary expectations",
      doc(
        "large_lasso_wide", "lasso", data: "\"A\": [\(list(a))], \"b\": [3]", theta: "\"lam\": 1e-4",
        outputs: "\"x\": {\"value\": \(zeros), \"jacobian\": {\"lam\": \(zeros)}}"), .fail, .either)
    add(
      "large-elastic-net-wide", "elastic-net, A 1×\(n), arbitrary expectations",
      doc(
        "large_elastic_net_wide", "elastic-net", data: "\"A\": [\(list(a))], \"b\": [3]", theta: "\"lam\": [1e-4, 0.2]",
        outputs: "\"x\": {\"value\": \(zeros)}"), .fail, .either)
    add(
      "large-nnls-wide", "nonnegative-least-squares, A 1×\(n), b in theta, arbitrary expectations",
      doc(
        "large_nnls_wide", "nonnegative-least-squares", data: "\"A\": [\(list(a))]", theta: "\"b\": [3]",
        outputs: "\"x\": {\"value\": \(list(a.map { $0 + 1 }))}"), .fail, .either)
    add(
      "large-simplex-projection", "projection-simplex, z of \(n) entries (in data), arbitrary expectations",
      doc(
        "large_simplex_projection", "projection-simplex", data: "\"z\": \(list(b))", theta: "",
        outputs: "\"p\": {\"value\": \(zeros)}"), .fail, .either)
    // Both sides above 1000: the Jacobian must not cost one matrix copy per column.
    let (m, k) = (1200, 1100)
    add(
      "large-ridge-square", "ridge, A \(m)×\(k), arbitrary expectations",
      doc(
        "large_ridge_square", "ridge", data: "\"A\": \(matrix(m, k, g)), \"b\": \(list((0..<m).map { _ in g() }))",
        theta: "\"theta\": 0.5",
        outputs:
          "\"x\": {\"value\": \(list(Array(repeating: 0, count: k))), \"jacobian\": {\"theta\": \(list(Array(repeating: 1, count: k)))}}"
      ), .fail, .either)
    // A box QP of 1500 variables (Q = I written with 0/1 so the file stays small).
    let q = 1500
    let identity =
      "["
      + (0..<q).map { i in "[" + (0..<q).map { $0 == i ? "1" : "0" }.joined(separator: ",") + "]" }.joined(
        separator: ",\n") + "]"
    add(
      "large-box-qp", "box-qp, Q = I of \(q)×\(q), c in theta, arbitrary expectations",
      doc(
        "large_box_qp", "box-qp",
        data:
          "\"Q\": \(identity), \"lower\": \(list(Array(repeating: -1, count: q))), \"upper\": \(list(Array(repeating: 1, count: q)))",
        theta: "\"c\": \(list((0..<q).map { _ in g() }))",
        outputs: "\"x\": {\"value\": \(list(Array(repeating: 5, count: q)))}"), .fail, .either)
    return out
  }
}
