public import Foundation
public import ImplicitCore

/// An n-dimensional array of reals: shape plus row-major values (a scalar has shape `[]`).
public struct NDArray: Sendable, Equatable {
  /// The shape (`[]` for a scalar).
  public var shape: [Int]
  /// The entries in row-major order.
  public var values: [Double]

  /// An array of `shape` holding `values` (row-major).
  public init(shape: [Int], values: [Double]) {
    self.shape = shape
    self.values = values
  }
  /// A scalar.
  public init(scalar: Double) { self.init(shape: [], values: [scalar]) }
  /// A vector.
  public init(_ vector: Vector<Double>) { self.init(shape: [vector.count], values: vector.scalars) }
  /// A matrix.
  public init(_ matrix: Matrix<Double>) {
    self.init(shape: [matrix.rows, matrix.columns], values: matrix.scalars)
  }

  /// The number of entries.
  public var count: Int { values.count }
  /// The single value of a scalar (or one-element array).
  public var scalar: Double? { values.count == 1 ? values[0] : nil }
  /// The array as a vector (any shape, flattened).
  public var vector: Vector<Double> { Vector(values) }
  /// The array as a matrix, if it is two-dimensional and its values fill its shape.
  public var matrix: Matrix<Double>? {
    shape.count == 2 ? try? Matrix(rows: shape[0], columns: shape[1], validating: values) : nil
  }
}

/// Malformed input: names the file and the field.
public struct CaseFormatError: Error, Sendable, CustomStringConvertible {
  /// The file.
  public var file: String
  /// The offending field.
  public var field: String
  /// What is wrong with it.
  public var message: String
  /// An error.
  public init(file: String, field: String, message: String) {
    self.file = file
    self.field = field
    self.message = message
  }
  /// `file: field `field`: message`.
  public var description: String { "\(file): field `\(field)`: \(message)" }
}

/// One reference case in the `implicit-case/1` format: data, the parameters to differentiate,
/// and the expected outputs with their Jacobians.
public struct ReferenceCase: CaseData {
  /// An expected output: its value and `∂output/∂θ_t` for each differentiated parameter `t`.
  public struct Output: Sendable {
    /// The value.
    public var value: NDArray
    /// `∂output/∂θ_t`, by parameter name, shaped `shape(value) + shape(θ_t)`.
    public var jacobians: [String: NDArray]

    /// An output.
    public init(value: NDArray, jacobians: [String: NDArray]) {
      self.value = value
      self.jacobians = jacobians
    }
  }

  /// Where it was read from (for messages).
  public var file: String
  /// The case's id.
  public var id: String
  /// The family that runs it.
  public var family: String
  /// The method (variant) of the family, if any.
  public var method: String?
  /// A one-line title (default: the id).
  public var title: String
  /// Inputs not differentiated.
  public var data: [String: NDArray]
  /// Inputs not differentiated given as sparse matrices (`{"shape", "rows", "columns", "values"}`).
  public var sparseData: [String: SparseInput]
  /// Inputs differentiated, in file order.
  public var theta: [(name: String, value: NDArray)]
  /// Expected outputs.
  public var outputs: [String: Output]

  /// Parses a case. Throws ``CaseFormatError`` naming the offending field.
  public init(json: Data, file: String) throws {
    self.file = file
    // One pass over the bytes before Foundation's parser, which is slow on millions of numbers:
    // an oversized document is refused before it is parsed.
    let scan = Self.scan(json)
    guard scan.numbers <= Self.maximumDocumentNumbers else {
      throw CaseSizeError(
        file: file,
        message:
          "\(scan.numbers) numbers in the document; reference cases are limited to "
          + "\(Self.maximumDocumentNumbers) (and \(Self.maximumInputEntries) input entries)")
    }
    let root: Any
    do {
      root = try JSONSerialization.jsonObject(with: json)
    } catch {
      throw CaseFormatError(file: file, field: "(document)", message: "not valid JSON: \(error.localizedDescription)")
    }
    guard let object = root as? [String: Any] else {
      throw CaseFormatError(file: file, field: "(document)", message: "top level is not an object")
    }
    // JSONSerialization keeps one of two equal keys silently; the format has no legitimate
    // duplicates, so any is an error.
    if let duplicate = scan.duplicateKey {
      throw CaseFormatError(file: file, field: duplicate, message: "duplicate key")
    }
    func string(_ key: String, required: Bool = true) throws -> String? {
      guard let value = object[key] else {
        if required { throw CaseFormatError(file: file, field: key, message: "missing") }
        return nil
      }
      guard let s = value as? String else { throw CaseFormatError(file: file, field: key, message: "not a string") }
      return s
    }
    let format = try string("format")!
    guard format == "implicit-case/1" else {
      throw CaseFormatError(file: file, field: "format", message: "unsupported format \"\(format)\"")
    }
    id = try string("id")!
    family = try string("family")!
    method = try string("method", required: false)
    title = try string("title", required: false) ?? id
    // A sparse matrix is an object of COO triplets; every other input is a number or a nested list.
    let rawData = object["data"] ?? [String: Any]()
    var sparse = [String: SparseInput]()
    if let members = rawData as? [String: Any] {
      for (k, v) in members {
        if let triplets = v as? [String: Any] { sparse[k] = try SparseInput(triplets, field: "data.\(k)", file: file) }
      }
    }
    sparseData = sparse
    data = try Self.arrays(
      (rawData as? [String: Any])?.filter { sparse[$0.key] == nil } ?? rawData, field: "data", file: file)
    guard let thetaObject = object["theta"] else {
      throw CaseFormatError(file: file, field: "theta", message: "missing")
    }
    let thetaArrays = try Self.arrays(thetaObject, field: "theta", file: file)
    // A differentiated input with no entries is an empty problem, not a derivative.
    for (name, value) in thetaArrays where value.count == 0 {
      throw CaseFormatError(file: file, field: "theta.\(name)", message: "empty")
    }
    theta = Self.keyOrder(in: json, of: "theta", keys: Array(thetaArrays.keys)).map { ($0, thetaArrays[$0]!) }
    guard let outputsObject = object["outputs"] as? [String: Any], !outputsObject.isEmpty else {
      throw CaseFormatError(file: file, field: "outputs", message: "missing or not a non-empty object")
    }
    var outputs = [String: Output]()
    for (name, raw) in outputsObject {
      guard let o = raw as? [String: Any], let v = o["value"] else {
        throw CaseFormatError(file: file, field: "outputs.\(name).value", message: "missing")
      }
      let value = try Self.array(v, field: "outputs.\(name).value", file: file)
      let jac = try Self.arrays(o["jacobian"] ?? [String: Any](), field: "outputs.\(name).jacobian", file: file)
      for (t, j) in jac {
        guard let th = thetaArrays[t] else {
          throw CaseFormatError(
            file: file, field: "outputs.\(name).jacobian.\(t)", message: "no such parameter in theta")
        }
        guard j.shape == value.shape + th.shape else {
          throw CaseFormatError(
            file: file, field: "outputs.\(name).jacobian.\(t)",
            message: "shape \(j.shape), expected \(value.shape + th.shape)")
        }
      }
      outputs[name] = Output(value: value, jacobians: jac)
    }
    self.outputs = outputs
  }

  /// Reads and parses a file.
  public init(contentsOf url: URL) throws {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw CaseFormatError(file: url.path, field: "(file)", message: "cannot read: \(error.localizedDescription)")
    }
    try self.init(json: data, file: url.path)
  }

  /// The input `name`, from `theta` or else `data`.
  public func array(named name: String) -> NDArray? { theta.first { $0.name == name }?.value ?? data[name] }

  /// The input `name` as shape and values (``CaseData``).
  public func input(_ name: String) -> CaseArray? { array(named: name).map { ($0.shape, $0.values) } }

  /// The sparse input `name` as triplets (``CaseData``).
  public func sparseInput(_ name: String) -> CaseSparseArray? {
    sparseData[name].map { ($0.shape, $0.rowIndices, $0.columnIndices, $0.values) }
  }

  /// A ``CaseFormatError`` naming this case's file.
  public func formatError(field: String, message: String) -> any Error {
    CaseFormatError(file: file, field: field, message: message)
  }

  /// The names of the differentiated parameters, in file order.
  public var thetaNames: [String] { theta.map(\.name) }

  static func arrays(_ raw: Any, field: String, file: String) throws -> [String: NDArray] {
    guard let object = raw as? [String: Any] else {
      throw CaseFormatError(file: file, field: field, message: "not an object")
    }
    var out = [String: NDArray]()
    for (k, v) in object { out[k] = try array(v, field: "\(field).\(k)", file: file) }
    return out
  }

  /// Parses a number or a rectangular nested list of numbers.
  static func array(_ raw: Any, field: String, file: String) throws -> NDArray {
    // JSON booleans also bridge to NSNumber (and `is Bool` holds for 0 and 1): tell them apart
    // by their encoding, "c".
    if let n = raw as? NSNumber, String(cString: n.objCType) != "c" { return NDArray(scalar: n.doubleValue) }
    guard let list = raw as? [Any] else {
      throw CaseFormatError(file: file, field: field, message: "not a number or a list of numbers")
    }
    // `[]` is an empty block (say a QP without equalities); an empty row inside a list is a
    // matrix without columns, which no problem has.
    if list.isEmpty { return NDArray(shape: [0], values: []) }
    let items = try list.enumerated().map { try array($0.element, field: "\(field)[\($0.offset)]", file: file) }
    let inner = items[0].shape
    guard items.allSatisfy({ $0.shape == inner }) else {
      throw CaseFormatError(file: file, field: field, message: "ragged nested list")
    }
    guard !inner.contains(0) else { throw CaseFormatError(file: file, field: field, message: "empty rows") }
    return NDArray(shape: [list.count] + inner, values: items.flatMap(\.values))
  }

  /// The dotted path of the first key that occurs twice in one object of `json` (`nil` if
  /// none), and the number of number tokens. A single pass over the bytes with an explicit
  /// stack, so deep nesting cannot overflow; keys are compared as written (escapes not decoded).
  static func scan(_ json: Data) -> (duplicateKey: String?, numbers: Int) {
    let bytes = [UInt8](json)
    // One frame per open container: the keys seen (objects only) and the path to it.
    var stack = [(isObject: Bool, keys: Set<String>, path: String)]()
    var pendingKey: String?
    var duplicate: String?
    var numbers = 0, inNumber = false
    var i = 0
    while i < bytes.count {
      let c = bytes[i]
      let numeric = (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-")
      let continuesNumber =
        numeric || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        || c == UInt8(ascii: "+")
      if numeric && !inNumber { numbers += 1 }
      inNumber = inNumber ? continuesNumber : numeric
      switch c {
      case UInt8(ascii: "\""):
        var j = i + 1
        while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
        let text = String(decoding: bytes[(i + 1)..<min(j, bytes.count)], as: UTF8.self)
        // A string directly followed by `:` inside an object is a key.
        var k = j + 1
        while k < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[k]) { k += 1 }
        if k < bytes.count, bytes[k] == UInt8(ascii: ":"), let top = stack.last, top.isObject {
          let path = top.path.isEmpty ? text : "\(top.path).\(text)"
          if duplicate == nil, stack[stack.count - 1].keys.insert(text).inserted == false { duplicate = path }
          pendingKey = path
        }
        i = j + 1
        continue
      case UInt8(ascii: "{"), UInt8(ascii: "["):
        let parent = stack.last?.path ?? ""
        stack.append((c == UInt8(ascii: "{"), [], pendingKey ?? parent))
        pendingKey = nil
      case UInt8(ascii: "}"), UInt8(ascii: "]"):
        if !stack.isEmpty { stack.removeLast() }
        pendingKey = nil
      case UInt8(ascii: ","):
        pendingKey = nil
      default: break
      }
      i += 1
    }
    return (duplicate, numbers)
  }

  /// The keys of the top-level object `key` in the order they appear in the document
  /// (JSONSerialization loses order, and the order of θ fixes how it is packed).
  static func keyOrder(in json: Data, of key: String, keys: [String]) -> [String] {
    let bytes = [UInt8](json)
    // Scan once, tracking nesting depth outside strings; record where each string starts.
    var depth = 0, i = 0
    var objectStart: Int?, objectDepth = 0
    var positions = [String: Int]()
    while i < bytes.count {
      let c = bytes[i]
      if c == UInt8(ascii: "\"") {
        var j = i + 1
        while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
        let text = String(decoding: bytes[(i + 1)..<min(j, bytes.count)], as: UTF8.self)
        if objectStart == nil, depth == 1, text == key {
          objectStart = j
          objectDepth = depth + 1
        } else if let start = objectStart, j > start, depth == objectDepth, positions[text] == nil, keys.contains(text)
        {
          positions[text] = i
        }
        i = j + 1
        continue
      }
      if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth += 1 }
      if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
        depth -= 1
        if objectStart != nil && depth < objectDepth { break }
      }
      i += 1
    }
    guard positions.count == keys.count else { return keys.sorted() }
    return keys.sorted { positions[$0]! < positions[$1]! }
  }
}

/// A sparse-matrix input: `{"shape": [rows, columns], "rows": […], "columns": […], "values": […]}`,
/// COO triplets in any order (a family builds its sparse matrix from them, duplicates summed).
public struct SparseInput: Sendable, Equatable {
  /// `[rows, columns]`.
  public var shape: [Int]
  /// The row of each entry.
  public var rowIndices: [Int]
  /// The column of each entry.
  public var columnIndices: [Int]
  /// The entries.
  public var values: [Double]

  /// Parses the object at `field`: exactly the four keys, a shape of two positive integers,
  /// integer indices, numeric values. Ranges, lengths and finiteness are the family's to check
  /// (they name the entry).
  init(_ object: [String: Any], field: String, file: String) throws {
    let keys = ["shape", "rows", "columns", "values"]
    for key in object.keys where !keys.contains(key) {
      throw CaseFormatError(
        file: file, field: "\(field).\(key)", message: "unknown key of a sparse matrix (expected \(keys))")
    }
    func list(_ key: String) throws -> [Double] {
      guard let raw = object[key] else {
        throw CaseFormatError(file: file, field: "\(field).\(key)", message: "missing (a sparse matrix needs \(keys))")
      }
      let a = try ReferenceCase.array(raw, field: "\(field).\(key)", file: file)
      guard a.shape.count == 1 else {
        throw CaseFormatError(
          file: file, field: "\(field).\(key)", message: "expected a flat list, got shape \(a.shape)")
      }
      return a.values
    }
    func integers(_ key: String) throws -> [Int] {
      try list(key).enumerated().map { k, v in
        // Int(exactly:) is nil for NaN, ±∞, fractions and beyond Int's range: never a trap.
        guard let i = Int(exactly: v) else {
          throw CaseFormatError(file: file, field: "\(field).\(key)[\(k)]", message: "\(v) is not an integer index")
        }
        return i
      }
    }
    shape = try integers("shape")
    guard shape.count == 2, shape.allSatisfy({ $0 > 0 }) else {
      throw CaseFormatError(
        file: file, field: "\(field).shape", message: "expected [rows, columns], both positive, got \(shape)")
    }
    rowIndices = try integers("rows")
    columnIndices = try integers("columns")
    values = try list("values")
  }
}

/// A case too large for the evaluator's budget: names the file and the sizes.
public struct CaseSizeError: Error, Sendable, CustomStringConvertible {
  /// The file.
  public var file: String
  /// What is too large.
  public var message: String
  /// An error.
  public init(file: String, message: String) {
    self.file = file
    self.message = message
  }
  /// `file: too large: message`.
  public var description: String { "\(file): too large: \(message)" }
}

extension ReferenceCase {
  /// The most input entries (data and theta together) a case may have for the evaluator and
  /// the conformance kit. Families solve and differentiate densely for small problems and by
  /// matrix-free iterative solves (one per coordinate of the smaller side of the Jacobian) for
  /// large ones, and may refuse a case above their own memory budget (the ridge family's
  /// `memoryBudget`): beyond this count the memory or the time is out of proportion for a
  /// reference case, so the case is refused before any allocation.
  public static let maximumInputEntries = 100_000
  /// The most numbers a case document may hold (inputs, expected values and Jacobians).
  public static let maximumDocumentNumbers = 250_000

  /// The number of input entries (data and theta); a sparse matrix counts its triplets and its
  /// shape's two sides (the vectors a solve allocates).
  public var inputEntries: Int {
    // Saturating: a sparse shape is read from the file and may be absurd.
    func add(_ a: Int, _ b: Int) -> Int { a.addingReportingOverflow(b).overflow ? .max : a + b }
    let dense = data.values.reduce(0) { $0 + $1.count } + theta.reduce(0) { $0 + $1.value.count }
    return sparseData.values.reduce(dense) { total, s in s.shape.reduce(add(total, 3 * s.values.count), add) }
  }

  /// Throws ``CaseSizeError`` when the case has more than `limit` input entries.
  public func checkSize(limit: Int = ReferenceCase.maximumInputEntries) throws {
    let total = inputEntries
    guard total <= limit else {
      let largest = (data.map { ($0.key, $0.value.shape) } + theta.map { ($0.name, $0.value.shape) })
        .max { $0.1.reduce(1, *) < $1.1.reduce(1, *) }
      throw CaseSizeError(
        file: file,
        message:
          "\(total) input entries (largest: \(largest.map { "`\($0.0)` of shape \($0.1)" } ?? "-")); "
          + "reference cases are limited to \(limit) input entries (dense solves and Jacobians)")
    }
  }
}

/// What a family computed for a case: each output's value and its Jacobians.
public struct CaseEvaluation: Sendable {
  /// Computed outputs, by name.
  public var outputs: [String: ReferenceCase.Output]
  /// Free-form notes (solver used, residual, iterations), shown with `--verbose`.
  public var notes: [String]

  /// An evaluation.
  public init(outputs: [String: ReferenceCase.Output] = [:], notes: [String] = []) {
    self.outputs = outputs
    self.notes = notes
  }
}

extension ReferenceCase {
  /// The `*.json` files under `paths` (files as given; folders searched recursively, sorted),
  /// and the paths that do not exist.
  public static func files(in paths: [String]) -> (files: [String], missing: [String]) {
    var files = [String]()
    var missing = [String]()
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        missing.append(path)
        continue
      }
      if isDirectory.boolValue {
        let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
          .filter { $0.hasSuffix(".json") }.sorted()
        files += found.map { (path as NSString).appendingPathComponent($0) }
      } else {
        files.append(path)
      }
    }
    return (files, missing)
  }
}
