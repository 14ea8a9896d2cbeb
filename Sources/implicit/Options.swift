/// Minimal option parsing: flags (`--json`), valued options (`--tol 1e-6` or `--tol=1e-6`)
/// and positional arguments.
struct Options {
  var positional: [String] = []
  var flags: Set<String> = []
  var values: [String: String] = [:]

  /// Parses `arguments`; `valued` names options that take a value. Throws on a missing value
  /// or an unknown option.
  init(_ arguments: [String], flags known: Set<String>, valued: Set<String>) throws {
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      if a.hasPrefix("--") {
        if let eq = a.firstIndex(of: "=") {
          let key = String(a[..<eq])
          guard valued.contains(key) else { throw OptionError("unknown option \(key)") }
          values[key] = String(a[a.index(after: eq)...])
        } else if valued.contains(a) {
          guard i + 1 < arguments.count else { throw OptionError("\(a) needs a value") }
          values[a] = arguments[i + 1]
          i += 1
        } else if known.contains(a) {
          flags.insert(a)
        } else {
          throw OptionError("unknown option \(a)")
        }
      } else {
        positional.append(a)
      }
      i += 1
    }
  }

  func double(_ key: String, default value: Double) throws -> Double {
    guard let raw = values[key] else { return value }
    guard let v = Double(raw), v.isFinite else { throw OptionError("\(key) expects a number, got \"\(raw)\"") }
    return v
  }

  func int(_ key: String, default value: Int) throws -> Int {
    guard let raw = values[key] else { return value }
    guard let v = Int(raw), v > 0 else { throw OptionError("\(key) expects a positive integer, got \"\(raw)\"") }
    return v
  }
}

struct OptionError: Error, CustomStringConvertible {
  var description: String
  init(_ message: String) { description = message }
}
