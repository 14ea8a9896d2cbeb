import Foundation

/// A reference case the mutants are made from.
struct SeedCase {
  var id: String
  var path: String
  var raw: Data
  var root: JSON

  init(path: String) throws {
    self.path = path
    raw = try Data(contentsOf: URL(fileURLWithPath: path))
    root = try JSON(parsing: raw)
    guard case .string(let id)? = root["id"] else { throw JSON.ParseError(description: "\(path): no id") }
    self.id = id
  }

  var family: String {
    if case .string(let f)? = root["family"] { return f }
    return ""
  }

  /// Inputs as (section, key, value), `data` first then `theta`, in file order.
  var inputs: [(section: String, key: String, value: JSON)] {
    ["data", "theta"].flatMap { section -> [(section: String, key: String, value: JSON)] in
      guard case .object(let members)? = root[section] else { return [] }
      return members.map { (section, $0.key, $0.value) }
    }
  }

  /// Outputs as (name, value, jacobians by parameter).
  var outputs: [(name: String, value: JSON, jacobians: [JSON.Member])] {
    guard case .object(let members)? = root["outputs"] else { return [] }
    return members.map { m in
      var jacobians = [JSON.Member]()
      if case .object(let js)? = m.value["jacobian"] { jacobians = js }
      return (m.key, m.value["value"] ?? .null, jacobians)
    }
  }

  /// Whether the leading dimension of input `key` is shared with another input, so that
  /// changing it alone makes the problem inconsistent (not merely a different problem).
  func isTied(_ key: String) -> Bool {
    guard let n = inputs.first(where: { $0.key == key })?.value.shape?.first else { return false }
    return inputs.contains { $0.key != key && ($0.value.shape ?? []).contains(n) }
  }

  /// The root with input `key` of `section` replaced (nil removes it).
  func setting(_ section: String, _ key: String, to value: JSON?) -> JSON {
    var root = self.root
    var s = root[section] ?? .object([])
    s[key] = value
    root[section] = s
    return root
  }
}

/// How far a mutated expected block is from the original, measured as `implicit check` does
/// (max |Δ| / max |expected|, or max |Δ| when expected is 0); infinite when the shape changed.
func discrepancy(_ original: JSON, _ mutated: JSON) -> Double {
  guard let a = original.shape, let b = mutated.shape, a == b else { return .infinity }
  let x = original.flat, y = mutated.flat
  var d = 0.0, scale = 0.0
  for (u, v) in zip(x, y) {
    d = max(d, abs(u - v))
    scale = max(scale, abs(v))
  }
  return scale > 0 ? d / scale : d
}

/// Expected numbers moved by more than this (5× the CLI's default tolerance; the seeds agree
/// to 3e-9 or better) must make `implicit check` fail.
let wrongThreshold = 5e-6

/// Makes the mutants of one seed. Each mutation draws from its own stream, keyed by the run
/// seed, the case and the mutation, so the set is reproducible and stable under additions.
struct Generator {
  var seed: UInt64

  func rng(_ c: SeedCase, _ kind: String) -> SplitMix64 { SplitMix64(seed: seed, c.id, kind) }

  func file(_ root: JSON) -> Target { .file(Data((root.text + "\n").utf8)) }

  /// Every mutant of `c`.
  func mutants(of c: SeedCase) -> [Mutant] {
    syntax(c) + schema(c) + shapes(c) + values(c) + expected(c)
  }

  // MARK: text and syntax

  func syntax(_ c: SeedCase) -> [Mutant] {
    var out = [Mutant]()
    let id = c.id
    func add(_ kind: String, _ detail: String, _ t: Target, _ check: Expectation, _ conf: Expectation) {
      out.append(Mutant(kind, seed: id, detail, t, check: check, conformance: conf))
    }
    add("identity", "re-serialized unchanged", file(c.root), .pass, .pass)
    add("reordered-keys", "every object's members in reverse order", file(reversed(c.root)), .pass, .pass)
    add(
      "number-spelling", "every number rewritten as %.17e (same doubles)",
      file(respelled(c.root)), .pass, .pass)
    var r = rng(c, "truncate")
    let bytes = [UInt8](c.raw)
    for k in 0..<2 {
      let cut = Int(Double(bytes.count) * (0.02 + 0.96 * r.unit()))
      add("truncate", "first \(cut) of \(bytes.count) bytes (#\(k))", .file(Data(bytes[..<cut])), .fail, .fail)
    }
    if let last = bytes.lastIndex(where: { $0 == UInt8(ascii: "}") }) {
      add("truncate-brace", "closing brace removed", .file(Data(bytes[..<last])), .fail, .fail)
    }
    r = rng(c, "trailing")
    let tail = r.pick(["x", "{}", "]", ",", "\"more\""])
    add("trailing-garbage", "appended \(tail)", .file(c.raw + Data(tail.utf8)), .fail, .fail)
    add("bom", "UTF-8 byte order mark prepended", .file(Data([0xEF, 0xBB, 0xBF]) + c.raw), .either, .either)
    if let utf16 = String(decoding: c.raw, as: UTF8.self).data(using: .utf16LittleEndian) {
      add("utf16", "re-encoded as UTF-16LE without BOM", .file(utf16), .either, .either)
    }
    var withNul = c.root
    withNul["title"] = .raw("\"bad\u{0}title\"")
    add("nul-byte", "raw NUL inside the title string", file(withNul), .fail, .fail)
    var unicode = c.root
    unicode["id"] = .string("ü/../\u{202E}\(c.id) \u{1F600}")
    add("unicode-id", "id with slashes, RTL override and emoji", file(unicode), .either, .either)

    // Duplicate keys: JSONSerialization keeps one silently; the CLI must refuse the file.
    r = rng(c, "duplicate")
    var variants: [(String, JSON)] = []
    if case .object(var members) = c.root, let i = members.firstIndex(where: { $0.key == "family" }) {
      members.insert(JSON.Member(key: "family", value: .string(otherFamily(c.family))), at: i + 1)
      variants.append(("top-level \"family\" twice, second \(otherFamily(c.family))", .object(members)))
    }
    if let input = c.inputs.first {
      var section = c.root[input.section]!
      if case .object(var members) = section {
        members.append(JSON.Member(key: input.key, value: scaled(input.value, 2)))
        section = .object(members)
        var root = c.root
        root[input.section] = section
        variants.append(("\(input.section).\(input.key) twice, second scaled ×2", root))
      }
    }
    if case .object(var members) = c.root, let i = members.firstIndex(where: { $0.key == "outputs" }) {
      members.insert(members[i], at: i)
      variants.append(("\"outputs\" twice (identical)", .object(members)))
    }
    if let o = c.outputs.first {
      var outputs = c.root["outputs"]!
      if case .object(var members) = outputs {
        var perturbed = members[0]
        perturbed.value["value"] = scaled(o.value, 1.5)
        members.append(perturbed)
        outputs = .object(members)
        var root = c.root
        root["outputs"] = outputs
        variants.append(("outputs.\(o.name) twice, second value ×1.5", root))
      }
    }
    for _ in 0..<2 where !variants.isEmpty {
      let (detail, root) = variants.remove(at: r.int(variants.count))
      add("duplicate-key", detail, file(root), .fail, .fail)
    }
    return out
  }

  // MARK: schema

  func schema(_ c: SeedCase) -> [Mutant] {
    var out = [Mutant]()
    func add(_ kind: String, _ detail: String, _ root: JSON, _ check: Expectation, _ conf: Expectation) {
      out.append(Mutant(kind, seed: c.id, detail, file(root), check: check, conformance: conf))
    }
    func with(_ key: String, _ value: JSON?) -> JSON {
      var root = c.root
      root[key] = value
      return root
    }
    var r = rng(c, "missing-field")
    var fields = ["format", "id", "family", "theta", "outputs"]
    if case .object(let d)? = c.root["data"], !d.isEmpty { fields.append("data") }
    for _ in 0..<2 {
      let f = fields.remove(at: r.int(fields.count))
      add("missing-field", "top-level \"\(f)\" removed", with(f, nil), .fail, .fail)
    }
    for f in ["title", "problem", "reference"] where c.root[f] != nil {
      add("missing-optional", "\"\(f)\" removed", with(f, nil), .pass, .pass)
      break
    }
    if c.root["method"] != nil {
      add("missing-method", "\"method\" removed (family default)", with("method", nil), .either, .either)
    }

    r = rng(c, "missing-input")
    let inputs = c.inputs
    if !inputs.isEmpty {
      let victim = r.pick(inputs)
      var root = c.setting(victim.section, victim.key, to: nil)
      if victim.section == "theta" { root = removingJacobians(root, wrt: victim.key) }
      // simplex_value defaults to 1, the seeds' value: dropping it gives the same problem.
      let optional = victim.key == "simplex_value"
      add(
        "missing-input", "\(victim.section).\(victim.key) removed", root, optional ? .either : .fail,
        optional ? .either : .fail)
    }

    r = rng(c, "wrong-type")
    var variants: [(String, JSON)] = [
      ("family is the number 42", with("family", .double(42))),
      ("format is the number 1", with("format", .double(1))),
      ("id is a list", with("id", .array([.string("x")]))),
      ("theta is a string", with("theta", .string("theta"))),
      ("data is a list", with("data", .array([.double(1), .double(2)]))),
      ("outputs is an empty list", with("outputs", .array([]))),
      ("outputs is an empty object", with("outputs", .object([]))),
      ("method is the number 7", with("method", .double(7))),
    ]
    if let o = c.outputs.first {
      var outputs = c.root["outputs"]!
      var entry = outputs[o.name]!
      entry["value"] = .object([JSON.Member(key: "a", value: .double(1))])
      outputs[o.name] = entry
      variants.append(("outputs.\(o.name).value is an object", with("outputs", outputs)))
      entry = c.root["outputs"]![o.name]!
      entry["jacobian"] = .double(3)
      outputs[o.name] = entry
      variants.append(("outputs.\(o.name).jacobian is a number", with("outputs", outputs)))
    }
    for input in inputs {
      let where_ = "\(input.section).\(input.key)"
      variants += [
        ("\(where_) is the string \"0.5\"", c.setting(input.section, input.key, to: .string("0.5"))),
        ("\(where_) is true", c.setting(input.section, input.key, to: .bool(true))),
        ("\(where_) is null", c.setting(input.section, input.key, to: .null)),
        ("\(where_) is an object", c.setting(input.section, input.key, to: .object([]))),
      ]
      let n = input.value.flat.count
      if n > 0 {
        let leaf = r.int(n)
        for (name, v) in [("the string \"1.0\"", JSON.string("1.0")), ("true", .bool(true)), ("null", .null)] {
          variants.append(
            (
              "\(where_) entry \(leaf) is \(name)",
              c.setting(input.section, input.key, to: input.value.replacingLeaf(leaf, with: v))
            ))
        }
      }
    }
    for _ in 0..<4 {
      let (detail, root) = variants.remove(at: r.int(variants.count))
      add("wrong-type", detail, root, .fail, .fail)
    }

    add("format-version", "format implicit-case/2", with("format", .string("implicit-case/2")), .fail, .fail)
    r = rng(c, "unknown-family")
    let fake = r.pick([c.family.uppercased(), c.family + "-x", "", " " + c.family, "no-such-family"])
    add("unknown-family", "family \"\(fake)\"", with("family", .string(fake)), .fail, .fail)
    add("unknown-method", "method \"newton\"", with("method", .string("newton")), .fail, .fail)
    add(
      "other-family", "family \(otherFamily(c.family)) with this case's data",
      with("family", .string(otherFamily(c.family))), .either, .either)
    add(
      "extra-field", "unknown top-level \"comment\" and data.unused",
      {
        var root = with("comment", .string("hello"))
        var d = root["data"] ?? .object([])
        d["unused"] = .array([.double(1), .double(2)])
        root["data"] = d
        return root
      }(), .either, .either)
    return out
  }

  // MARK: shapes of the inputs

  func shapes(_ c: SeedCase) -> [Mutant] {
    var out = [Mutant]()
    func add(_ kind: String, _ detail: String, _ root: JSON, _ check: Expectation, _ conf: Expectation) {
      out.append(Mutant(kind, seed: c.id, detail, file(root), check: check, conformance: conf))
    }
    let inputs = c.inputs
    let arrays = inputs.filter { ($0.value.shape ?? []).count >= 1 && ($0.value.shape?.first ?? 0) > 1 }
    let matrices = inputs.filter { $0.value.shape?.count == 2 }
    let scalars = inputs.filter { $0.value.shape == [] }

    var r = rng(c, "drop-last")
    if !arrays.isEmpty {
      let a = r.pick(arrays)
      guard case .array(var items) = a.value else { return out }
      items.removeLast()
      let root = adaptingTheta(c.setting(a.section, a.key, to: .array(items)), a, newCount: items.count)
      add(
        "shrink-input", "\(a.section).\(a.key) loses its last \(a.value.shape!.count == 1 ? "entry" : "row")", root,
        .fail, c.isTied(a.key) ? .fail : .either)
    }
    r = rng(c, "grow")
    if !arrays.isEmpty {
      let a = r.pick(arrays)
      guard case .array(var items) = a.value else { return out }
      items.append(scaled(items[0], 0.5))
      let root = adaptingTheta(c.setting(a.section, a.key, to: .array(items)), a, newCount: items.count)
      add(
        "grow-input", "\(a.section).\(a.key) gains a \(a.value.shape!.count == 1 ? "entry" : "row")", root, .fail,
        c.isTied(a.key) ? .fail : .either)
    }
    r = rng(c, "scalar-for-array")
    if !arrays.isEmpty {
      let a = r.pick(arrays)
      var root = c.setting(a.section, a.key, to: .double(a.value.flat[0]))
      if a.section == "theta" { root = removingJacobians(root, wrt: a.key) }
      add(
        "scalar-for-array", "\(a.section).\(a.key) replaced by its first entry (jacobians dropped)", root, .fail,
        // A scalar bound broadcasts: a valid problem.
        c.isTied(a.key) && !["lower", "upper"].contains(a.key) ? .fail : .either)
    }
    for s in scalars {
      let v = s.value
      var root = c.setting(s.section, s.key, to: .array([v, v]))
      if s.section == "theta" { root = removingJacobians(root, wrt: s.key) }
      add("array-for-scalar", "\(s.section).\(s.key) = [v, v] (jacobians dropped)", root, .fail, .fail)
      break
    }
    r = rng(c, "column")
    if !arrays.isEmpty {
      let a = r.pick(arrays)
      let shape = a.value.shape!
      var root = c.setting(a.section, a.key, to: .tensor(a.value.flat, shape: shape + [1]))
      if a.section == "theta" { root = removingJacobians(root, wrt: a.key) }
      let isMatrix = shape.count == 2
      add(
        isMatrix ? "matrix-as-3d" : "vector-as-column",
        "\(a.section).\(a.key) reshaped \(shape) → \(shape + [1]) (jacobians dropped)", root,
        isMatrix ? .fail : .either, isMatrix ? .fail : .either)
    }
    r = rng(c, "transpose-input")
    let rectangular = matrices.filter { $0.value.shape![0] != $0.value.shape![1] }
    if !rectangular.isEmpty {
      let m = r.pick(rectangular)
      let s = m.value.shape!
      let t = transpose(m.value.flat, rows: s[0], columns: s[1])
      add(
        "transpose-input", "\(m.section).\(m.key) \(s) transposed",
        c.setting(m.section, m.key, to: .tensor(t, shape: [s[1], s[0]])),
        .fail, c.isTied(m.key) ? .fail : .either)
    }
    r = rng(c, "empty-input")
    if !inputs.isEmpty {
      let a = r.pick(inputs)
      var root = c.setting(a.section, a.key, to: .array([]))
      if a.section == "theta" { root = removingJacobians(root, wrt: a.key) }
      add("empty-input", "\(a.section).\(a.key) = []", root, .fail, .fail)
    }
    r = rng(c, "empty-rows")
    if !matrices.isEmpty {
      let m = r.pick(matrices)
      add(
        "empty-rows", "\(m.section).\(m.key) = [[], [], …] (\(m.value.shape![0]) empty rows)",
        c.setting(m.section, m.key, to: .array(Array(repeating: .array([]), count: m.value.shape![0]))), .fail, .fail)
    }
    r = rng(c, "ragged")
    if !arrays.isEmpty {
      let a = r.pick(arrays)
      guard case .array(var items) = a.value else { return out }
      let i = r.int(items.count)
      let detail: String
      if case .array(var row) = items[i], !row.isEmpty {
        row.removeLast()
        items[i] = .array(row)
        detail = "row \(i) of \(a.section).\(a.key) one entry short"
      } else {
        items[i] = .array([items[i], items[i]])
        detail = "entry \(i) of \(a.section).\(a.key) is a 2-list"
      }
      add("ragged", detail, c.setting(a.section, a.key, to: .array(items)), .fail, .fail)
    }
    return out
  }

  // MARK: values of the inputs

  func values(_ c: SeedCase) -> [Mutant] {
    var out = [Mutant]()
    let inputs = c.inputs.filter { !$0.value.flat.isEmpty }
    guard !inputs.isEmpty else { return out }
    func leafMutant(_ kind: String, _ token: JSON, _ spelled: String, _ check: Expectation, _ conf: Expectation) {
      var r = rng(c, kind)
      let a = r.pick(inputs)
      let leaf = r.int(a.value.flat.count)
      out.append(
        Mutant(
          kind, seed: c.id, "\(a.section).\(a.key) entry \(leaf) = \(spelled)",
          file(c.setting(a.section, a.key, to: a.value.replacingLeaf(leaf, with: token))), check: check,
          conformance: conf))
    }
    leafMutant("nan-token", .raw("NaN"), "NaN (bare token)", .fail, .fail)
    leafMutant("infinity-token", .raw("-Infinity"), "-Infinity (bare token)", .fail, .fail)
    leafMutant("overflow-literal", .raw("1e400"), "1e400", .fail, .fail)
    leafMutant("nan-string", .string("NaN"), "\"NaN\"", .fail, .fail)
    leafMutant("huge-1e308", .number(1e308, literal: "1e308"), "1e308", .either, .either)
    leafMutant("huge-negative", .number(-1e308, literal: "-1e308"), "-1e308", .either, .either)
    leafMutant("denormal", .number(.leastNonzeroMagnitude, literal: "5e-324"), "5e-324", .either, .either)
    leafMutant(
      "long-integer", .number(1.2345678901234568e29, literal: "123456789012345678901234567890"),
      "123456789012345678901234567890", .either, .either)

    // Degenerate scalars (regularisation 0, negative radius, huge strength): different
    // problems, often ill-posed; a correct CLI fails cleanly or solves them.
    var r = rng(c, "degenerate")
    let scalars = c.inputs.filter { $0.value.shape == [] }
    if !scalars.isEmpty {
      let s = r.pick(scalars)
      for (name, v) in [("0", 0.0), ("-1", -1.0), ("1e300", 1e300)] {
        out.append(
          Mutant(
            "degenerate-scalar", seed: c.id, "\(s.section).\(s.key) = \(name)",
            file(c.setting(s.section, s.key, to: .double(v))), check: .either, conformance: .either))
      }
    }
    // Rank-deficient design with no regularisation: the ridge/lasso x* is not unique.
    if let a = c.inputs.first(where: { $0.key == "A" }), let s = a.value.shape, s.count == 2, s[1] >= 2 {
      var flat = a.value.flat
      for i in 0..<s[0] { flat[i * s[1] + 1] = flat[i * s[1]] }
      var root = c.setting(a.section, "A", to: .tensor(flat, shape: s))
      var zeroed = [String]()
      for reg in ["theta", "lam"] {
        guard let p = c.inputs.first(where: { $0.key == reg }) else { continue }
        root = {
          var r = root
          var sec = r[p.section]!
          sec[reg] = .tensor(Array(repeating: 0, count: p.value.flat.count), shape: p.value.shape ?? [])
          r[p.section] = sec
          return r
        }()
        zeroed.append(reg)
      }
      out.append(
        Mutant(
          "singular-design", seed: c.id,
          "A column 1 := column 0" + (zeroed.isEmpty ? "" : ", \(zeroed.joined(separator: ", ")) := 0"),
          file(root), check: .fail, conformance: .either))
    }
    return out
  }

  // MARK: expected outputs (conformance ignores them; check must notice)

  func expected(_ c: SeedCase) -> [Mutant] {
    var out = [Mutant]()
    let outputs = c.outputs
    guard !outputs.isEmpty else { return out }
    /// Replaces one block (`value` or a jacobian) and classifies by how far it moved.
    func block(_ kind: String, _ detail: String, output: String, jacobian: String?, _ new: JSON) {
      var root = c.root
      var os = root["outputs"]!
      var o = os[output]!
      let old: JSON
      if let t = jacobian {
        var js = o["jacobian"]!
        old = js[t]!
        js[t] = new
        o["jacobian"] = js
      } else {
        old = o["value"]!
        o["value"] = new
      }
      os[output] = o
      root["outputs"] = os
      let d = discrepancy(old, new)
      let check: Expectation = d > wrongThreshold ? .fail : d < 1e-8 ? .pass : .either
      out.append(
        Mutant(kind, seed: c.id, "\(detail) (moved \(format(d)))", file(root), check: check, conformance: .either))
    }
    let blocks: [(output: String, jacobian: String?, value: JSON)] = outputs.flatMap { o in
      [(o.name, nil as String?, o.value)] + o.jacobians.map { (o.name, $0.key, $0.value) }
    }
    let jacobians = blocks.filter { $0.jacobian != nil }
    func label(_ b: (output: String, jacobian: String?, value: JSON)) -> String {
      b.jacobian.map { "\(b.output) d/d\($0)" } ?? "\(b.output) value"
    }

    var r = rng(c, "perturb-value")
    for k in 0..<2 {
      let b = r.pick(blocks.filter { $0.jacobian == nil })
      let n = b.value.flat.count
      let i = r.int(n)
      let scale = b.value.flat.map(abs).max() ?? 0
      let delta = (r.unit() < 0.5 ? -1 : 1) * 0.01 * max(scale, 1e-3)
      block(
        "perturb-value", "\(label(b))[\(i)] += \(format(delta)) (#\(k))", output: b.output, jacobian: nil,
        b.value.replacingLeaf(i, with: .double(b.value.flat[i] + delta)))
    }
    r = rng(c, "perturb-jacobian")
    for k in 0..<3 where !jacobians.isEmpty {
      let b = r.pick(jacobians)
      let i = r.int(b.value.flat.count)
      let scale = b.value.flat.map(abs).max() ?? 0
      let delta = (r.unit() < 0.5 ? -1 : 1) * 0.01 * max(scale, 1e-3)
      block(
        "perturb-jacobian", "\(label(b))[\(i)] += \(format(delta)) (#\(k))", output: b.output,
        jacobian: b.jacobian, b.value.replacingLeaf(i, with: .double(b.value.flat[i] + delta)))
    }
    r = rng(c, "scale-jacobian")
    if !jacobians.isEmpty {
      let b = r.pick(jacobians)
      block(
        "scale-jacobian", "\(label(b)) × (1 + 1e-5)", output: b.output, jacobian: b.jacobian, scaled(b.value, 1 + 1e-5))
      let b2 = r.pick(jacobians)
      block(
        "tiny-perturbation", "\(label(b2)) × (1 + 1e-11)", output: b2.output, jacobian: b2.jacobian,
        scaled(b2.value, 1 + 1e-11))
      let b3 = r.pick(blocks)
      block("negate", "\(label(b3)) negated", output: b3.output, jacobian: b3.jacobian, scaled(b3.value, -1))
      let b4 = r.pick(jacobians)
      block(
        "zero-jacobian", "\(label(b4)) all zeros", output: b4.output, jacobian: b4.jacobian,
        .tensor(Array(repeating: 0, count: b4.value.flat.count), shape: b4.value.shape!))
    }
    r = rng(c, "transpose-jacobian")
    let matrices = jacobians.filter { $0.value.shape?.count == 2 }
    if !matrices.isEmpty {
      let b = r.pick(matrices)
      let s = b.value.shape!
      block(
        "transpose-jacobian", "\(label(b)) \(s) transposed", output: b.output, jacobian: b.jacobian,
        .tensor(transpose(b.value.flat, rows: s[0], columns: s[1]), shape: [s[1], s[0]]))
    }
    r = rng(c, "shuffle")
    let shufflable = blocks.filter { $0.value.flat.count > 1 }
    if !shufflable.isEmpty {
      let b = r.pick(shufflable)
      var v = b.value.flat
      for i in stride(from: v.count - 1, to: 0, by: -1) { v.swapAt(i, r.int(i + 1)) }
      block(
        "shuffle-block", "\(label(b)) entries permuted", output: b.output, jacobian: b.jacobian,
        .tensor(v, shape: b.value.shape!))
    }
    // Two parameters whose blocks have the same shape, swapped (box bounds, c vs lower).
    r = rng(c, "swap-jacobians")
    outer: for o in outputs {
      for (i, a) in o.jacobians.enumerated() {
        for b in o.jacobians[(i + 1)...] where a.value.shape == b.value.shape {
          var root = c.root
          var os = root["outputs"]!
          var oo = os[o.name]!
          var js = oo["jacobian"]!
          js[a.key] = b.value
          js[b.key] = a.value
          oo["jacobian"] = js
          os[o.name] = oo
          root["outputs"] = os
          let d = max(discrepancy(a.value, b.value), discrepancy(b.value, a.value))
          out.append(
            Mutant(
              "swap-jacobians", seed: c.id, "\(o.name) d/d\(a.key) ↔ d/d\(b.key) (moved \(format(d)))", file(root),
              check: d > wrongThreshold ? .fail : .either, conformance: .either))
          break outer
        }
      }
    }
    // Same numbers, another shape: [n] → [2, n/2] (or [n, 1]), the Jacobians reshaped to
    // match so the file is self-consistent. A checker comparing counts only passes it.
    r = rng(c, "reshape-output")
    do {
      let o = r.pick(outputs)
      let s = o.value.shape ?? []
      let n = o.value.flat.count
      let newShape: [Int] =
        s.count == 0 ? [1] : s.count == 2 ? [n] : n % 2 == 0 && n > 2 ? [2, n / 2] : [n, 1]
      var root = c.root
      var os = root["outputs"]!
      var oo = os[o.name]!
      oo["value"] = .tensor(o.value.flat, shape: newShape)
      var js = JSON.object([])
      let thetaShapes = Dictionary(
        c.inputs.filter { $0.section == "theta" }.map { ($0.key, $0.value.shape ?? []) },
        uniquingKeysWith: { a, _ in a })
      for j in o.jacobians {
        js[j.key] = .tensor(j.value.flat, shape: newShape + (thetaShapes[j.key] ?? []))
      }
      oo["jacobian"] = js
      os[o.name] = oo
      root["outputs"] = os
      out.append(
        Mutant(
          "reshape-output", seed: c.id, "\(o.name) value \(s) → \(newShape), Jacobians reshaped to match", file(root),
          check: .fail, conformance: .either))
      // A Jacobian alone reshaped: inconsistent with value ⊗ θ.
      if let j = o.jacobians.first, let js = j.value.shape {
        let count = j.value.flat.count
        let other = js.count == 1 ? [count, 1] : [count]
        block(
          "reshape-jacobian", "\(o.name) d/d\(j.key) \(js) → \(other)", output: o.name, jacobian: j.key,
          .tensor(j.value.flat, shape: other))
      }
    }
    do {
      let o = outputs[0]
      var root = c.root
      var os = root["outputs"]!
      var oo = os[o.name]!
      var js = oo["jacobian"] ?? .object([])
      js["nope"] = o.value
      oo["jacobian"] = js
      os[o.name] = oo
      root["outputs"] = os
      out.append(
        Mutant(
          "jacobian-unknown-theta", seed: c.id, "\(o.name) jacobian w.r.t. undeclared \"nope\"", file(root),
          check: .fail, conformance: .fail))

      root = c.root
      os = root["outputs"]!
      os["extra"] = os[o.name]!
      root["outputs"] = os
      out.append(
        Mutant(
          "extra-output", seed: c.id, "output \"extra\" (copy of \(o.name)) the family does not produce", file(root),
          check: .fail, conformance: .either))

      root = c.root
      if case .object(var members)? = root["outputs"] {
        members[0].key = o.name + "_"
        root["outputs"] = .object(members)
      }
      out.append(
        Mutant(
          "rename-output", seed: c.id, "output \(o.name) renamed \(o.name)_", file(root), check: .fail,
          conformance: .either))

      root = c.root
      os = root["outputs"]!
      oo = os[o.name]!
      oo["value"] = o.value.replacingLeaf(0, with: .number(1e308, literal: "1e308"))
      os[o.name] = oo
      root["outputs"] = os
      out.append(
        Mutant(
          "huge-expected", seed: c.id, "\(o.name) value entry 0 = 1e308", file(root), check: .fail,
          conformance: .either))
    }
    r = rng(c, "drop")
    if outputs.count > 1 {
      let o = r.pick(outputs)
      var root = c.root
      var os = root["outputs"]!
      os[o.name] = nil
      root["outputs"] = os
      out.append(
        Mutant(
          "drop-output", seed: c.id, "output \(o.name) removed", file(root), check: .pass, conformance: .pass))
    }
    if !jacobians.isEmpty {
      let b = r.pick(jacobians)
      var root = c.root
      var os = root["outputs"]!
      var oo = os[b.output]!
      var js = oo["jacobian"]!
      js[b.jacobian!] = nil
      oo["jacobian"] = js
      os[b.output] = oo
      root["outputs"] = os
      out.append(
        Mutant(
          "drop-jacobian", seed: c.id, "\(label(b)) removed", file(root), check: .either, conformance: .either))
    }
    return out
  }

  // MARK: helpers

  func otherFamily(_ f: String) -> String {
    let map = [
      "ridge": "lasso", "lasso": "ridge", "elastic-net": "elastic-net-jaxopt", "elastic-net-jaxopt": "elastic-net",
      "projection-l1-ball": "projection-l2-ball", "projection-l2-ball": "projection-l1-ball",
      "projection-simplex": "softmax-entropy", "softmax-entropy": "projection-simplex",
      "nonnegative-least-squares": "simplex-least-squares", "simplex-least-squares": "nonnegative-least-squares",
      "qp": "equality-qp", "equality-qp": "qp", "box-qp": "qp", "projection-box": "box-qp",
      "entropic-qp-simplex": "softmax-entropy", "multiclass-svm-dual": "logistic-regression-l2",
      "logistic-regression-l2": "multiclass-svm-dual", "sparse-lasso": "lasso", "qp-layer": "qp",
    ]
    return map[f] ?? "ridge"
  }

  /// A theta vector changed length: each Jacobian w.r.t. it keeps its rows, cut or padded with 0
  /// in the last axis, so the file stays self-consistent and the family has to notice.
  func adaptingTheta(
    _ root: JSON, _ input: (section: String, key: String, value: JSON), newCount: Int
  ) -> JSON {
    guard input.section == "theta", input.value.shape?.count == 1 else {
      return input.section == "theta" ? removingJacobians(root, wrt: input.key) : root
    }
    let old = input.value.shape![0]
    var root = root
    guard case .object(var outputs)? = root["outputs"] else { return root }
    for i in outputs.indices {
      guard var js = outputs[i].value["jacobian"], let j = js[input.key], let s = j.shape else { continue }
      let flat = j.flat
      var new = [Double]()
      for row in stride(from: 0, to: flat.count, by: old) {
        let r = Array(flat[row..<(row + old)])
        new += newCount <= old ? Array(r.prefix(newCount)) : r + Array(repeating: 0, count: newCount - old)
      }
      js[input.key] = .tensor(new, shape: Array(s.dropLast()) + [newCount])
      outputs[i].value["jacobian"] = js
    }
    root["outputs"] = .object(outputs)
    return root
  }

  func removingJacobians(_ root: JSON, wrt key: String) -> JSON {
    var root = root
    guard case .object(var outputs)? = root["outputs"] else { return root }
    for i in outputs.indices {
      if var js = outputs[i].value["jacobian"] {
        js[key] = nil
        outputs[i].value["jacobian"] = js
      }
    }
    root["outputs"] = .object(outputs)
    return root
  }

  func scaled(_ v: JSON, _ factor: Double) -> JSON {
    switch v {
    case .number(let x, _): return .double(x * factor)
    case .array(let items): return .array(items.map { scaled($0, factor) })
    default: return v
    }
  }

  func transpose(_ flat: [Double], rows: Int, columns: Int) -> [Double] {
    var t = [Double](repeating: 0, count: flat.count)
    for i in 0..<rows {
      for j in 0..<columns { t[j * rows + i] = flat[i * columns + j] }
    }
    return t
  }

  func reversed(_ v: JSON) -> JSON {
    switch v {
    case .object(let members):
      return .object(members.reversed().map { JSON.Member(key: $0.key, value: reversed($0.value)) })
    case .array(let items): return .array(items.map(reversed))
    default: return v
    }
  }

  func respelled(_ v: JSON) -> JSON {
    switch v {
    case .number(let x, _): return .number(x, literal: String(format: "%.17e", x))
    case .object(let members): return .object(members.map { JSON.Member(key: $0.key, value: respelled($0.value)) })
    case .array(let items): return .array(items.map(respelled))
    default: return v
    }
  }
}

func format(_ x: Double) -> String { String(format: "%.2e", x) }

func secs(_ x: Double) -> String { String(format: "%.1f", x) }
