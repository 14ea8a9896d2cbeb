import Foundation

/// A JSON value that keeps what `JSONSerialization` loses and a mutator needs: key order,
/// duplicate keys, the exact text of each number, and tokens that are not JSON at all (`NaN`).
indirect enum JSON: Equatable {
  case null
  case bool(Bool)
  /// A number and its literal text, written back unchanged so unmutated numbers round-trip exactly.
  case number(Double, literal: String)
  case string(String)
  case array([JSON])
  /// Members in document order; duplicates allowed (a mutation writes them on purpose).
  case object([Member])
  /// Text written verbatim (`NaN`, `Infinity`, `1e400`): lets a mutant hold what JSON cannot.
  case raw(String)

  struct Member: Equatable {
    var key: String
    var value: JSON
  }

  /// A number written the shortest way that reads back to the same `Double` (finite only).
  static func double(_ x: Double) -> JSON { .number(x, literal: "\(x)") }

  // MARK: access

  /// The value of the first member `key` of an object.
  subscript(key: String) -> JSON? {
    get {
      guard case .object(let members) = self else { return nil }
      return members.first { $0.key == key }?.value
    }
    set {
      guard case .object(var members) = self else { return }
      if let i = members.firstIndex(where: { $0.key == key }) {
        if let newValue { members[i].value = newValue } else { members.remove(at: i) }
      } else if let newValue {
        members.append(Member(key: key, value: newValue))
      }
      self = .object(members)
    }
  }

  /// The keys of an object, in order.
  var keys: [String] {
    guard case .object(let members) = self else { return [] }
    return members.map(\.key)
  }

  var number: Double? {
    if case .number(let x, _) = self { return x }
    return nil
  }

  /// The shape of a rectangular nested list of numbers (`[]` for a number), nil otherwise.
  var shape: [Int]? {
    switch self {
    case .number: return []
    case .array(let items):
      guard let first = items.first else { return [0] }
      guard let inner = first.shape, items.allSatisfy({ $0.shape == inner }) else { return nil }
      return [items.count] + inner
    default: return nil
    }
  }

  /// The numbers of a nested list in row-major order.
  var flat: [Double] {
    switch self {
    case .number(let x, _): return [x]
    case .array(let items): return items.flatMap(\.flat)
    default: return []
    }
  }

  /// A nested list of `shape` holding `values` (row-major); a number for shape `[]`.
  static func tensor(_ values: [Double], shape: [Int]) -> JSON {
    guard let n = shape.first else { return .double(values[0]) }
    let inner = Array(shape.dropFirst())
    let stride = inner.reduce(1, *)
    return .array((0..<n).map { i in tensor(Array(values[(i * stride)..<((i + 1) * stride)]), shape: inner) })
  }

  /// Replaces the `index`-th number (row-major) by `replacement`.
  func replacingLeaf(_ index: Int, with replacement: JSON) -> JSON {
    var counter = 0
    func walk(_ v: JSON) -> JSON {
      switch v {
      case .number:
        defer { counter += 1 }
        return counter == index ? replacement : v
      case .array(let items): return .array(items.map(walk))
      default: return v
      }
    }
    return walk(self)
  }

  // MARK: text

  /// Compact JSON text (numbers as their literals, raw tokens verbatim).
  var text: String {
    var out = ""
    write(to: &out)
    return out
  }

  private func write(to out: inout String) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(_, let literal): out += literal
    case .raw(let t): out += t
    case .string(let s): JSON.quote(s, into: &out)
    case .array(let items):
      out += "["
      for (i, item) in items.enumerated() {
        if i > 0 { out += "," }
        item.write(to: &out)
      }
      out += "]"
    case .object(let members):
      out += "{"
      for (i, m) in members.enumerated() {
        // One member a line keeps the files readable when a failure is reproduced by hand.
        out += i > 0 ? ",\n" : "\n"
        JSON.quote(m.key, into: &out)
        out += ": "
        m.value.write(to: &out)
      }
      out += members.isEmpty ? "}" : "\n}"
    }
  }

  private static func quote(_ s: String, into out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      default: out.unicodeScalars.append(scalar)
      }
    }
    out += "\""
  }

  // MARK: parsing (the seeds are valid JSON; this reader need not be lenient)

  struct ParseError: Error, CustomStringConvertible {
    var description: String
  }

  init(parsing data: Data) throws {
    var parser = Parser(bytes: [UInt8](data))
    self = try parser.value()
    parser.skipSpace()
    guard parser.i == parser.bytes.count else { throw ParseError(description: "trailing text at \(parser.i)") }
  }

  private struct Parser {
    let bytes: [UInt8]
    var i = 0

    mutating func skipSpace() {
      while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
    }

    func fail(_ what: String) -> ParseError { ParseError(description: "\(what) at byte \(i)") }

    mutating func value() throws -> JSON {
      skipSpace()
      guard i < bytes.count else { throw fail("unexpected end") }
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var members = [Member]()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .object(members)
        }
        while true {
          skipSpace()
          guard case .string(let key) = try value() else { throw fail("expected a key") }
          skipSpace()
          guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected :") }
          i += 1
          members.append(Member(key: key, value: try value()))
          skipSpace()
          guard i < bytes.count else { throw fail("unexpected end") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "}") else { throw fail("expected , or }") }
          i += 1
          return .object(members)
        }
      case UInt8(ascii: "["):
        i += 1
        var items = [JSON]()
        skipSpace()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .array(items)
        }
        while true {
          items.append(try value())
          skipSpace()
          guard i < bytes.count else { throw fail("unexpected end") }
          if bytes[i] == UInt8(ascii: ",") {
            i += 1
            continue
          }
          guard bytes[i] == UInt8(ascii: "]") else { throw fail("expected , or ]") }
          i += 1
          return .array(items)
        }
      case UInt8(ascii: "\""):
        return .string(try string())
      case UInt8(ascii: "t"): return try literal("true", .bool(true))
      case UInt8(ascii: "f"): return try literal("false", .bool(false))
      case UInt8(ascii: "n"): return try literal("null", .null)
      default:
        let start = i
        while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard let x = Double(text) else { throw fail("bad number \"\(text)\"") }
        return .number(x, literal: text)
      }
    }

    mutating func literal(_ word: String, _ v: JSON) throws -> JSON {
      let w = Array(word.utf8)
      guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("bad literal") }
      i += w.count
      return v
    }

    mutating func string() throws -> String {
      i += 1
      var scalars = String.UnicodeScalarView()
      var run = [UInt8]()
      func flush() {
        scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
        run.removeAll()
      }
      while i < bytes.count {
        let c = bytes[i]
        if c == UInt8(ascii: "\"") {
          i += 1
          flush()
          return String(scalars)
        }
        if c == UInt8(ascii: "\\") {
          flush()
          guard i + 1 < bytes.count else { throw fail("bad escape") }
          let e = bytes[i + 1]
          i += 2
          switch e {
          case UInt8(ascii: "n"): scalars.append("\n")
          case UInt8(ascii: "t"): scalars.append("\t")
          case UInt8(ascii: "r"): scalars.append("\r")
          case UInt8(ascii: "b"): scalars.append("\u{08}")
          case UInt8(ascii: "f"): scalars.append("\u{0C}")
          case UInt8(ascii: "u"):
            guard i + 4 <= bytes.count,
              let code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
            else { throw fail("bad \\u escape") }
            i += 4
            // Surrogate pairs do not occur in the seeds; a lone one becomes U+FFFD.
            scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
          default: scalars.append(Unicode.Scalar(e))
          }
          continue
        }
        run.append(c)
        i += 1
      }
      throw fail("unterminated string")
    }
  }
}
