/// The inputs of one problem instance, as a registered family's factory reads them.
///
/// The core knows no file format: a reader (the `ImplicitReferenceCases` module for the
/// `implicit-case/1` JSON cases) conforms its case type, and a family builds its runnable
/// instance from any conformer. The differentiated inputs (``thetaNames``) are packed, in that
/// order, into the instance's parameter vector (see ``ParameterLayout``).
public protocol CaseData: Sendable {
  /// Where the data came from, for messages.
  var file: String { get }
  /// The family named by the data.
  var family: String { get }
  /// The method named by the data, if any.
  var method: String? { get }
  /// The differentiated inputs, in packing order.
  var thetaNames: [String] { get }
  /// Input `name` (differentiated or not): its shape (`[]` for a scalar) and row-major values.
  func input(_ name: String) -> CaseArray?
  /// Input `name` given as a sparse matrix (COO triplets), if it is one. Default: `nil`.
  func sparseInput(_ name: String) -> CaseSparseArray?
  /// The error to throw for malformed input in `field` (the reader's own error type).
  func formatError(field: String, message: String) -> any Error
}

/// An input of a ``CaseData``: shape (`[]` for a scalar) and row-major values.
public typealias CaseArray = (shape: [Int], values: [Double])

/// A sparse-matrix input of a ``CaseData``: its `rows × columns` shape and COO triplets
/// (`values[k]` at `(rowIndices[k], columnIndices[k])`), as read; the family validates them.
public typealias CaseSparseArray = (shape: [Int], rowIndices: [Int], columnIndices: [Int], values: [Double])

extension CaseData {
  public func sparseInput(_ name: String) -> CaseSparseArray? { nil }

  /// Input `name` as COO triplets, required to be present (a dense input is an error).
  public func sparseArray(_ name: String) throws -> CaseSparseArray {
    if let s = sparseInput(name) { return s }
    if let a = input(name) {
      throw formatError(
        field: name,
        message:
          "expected a sparse matrix {\"shape\", \"rows\", \"columns\", \"values\"}, got a dense array of shape \(a.shape)"
      )
    }
    throw formatError(field: "data.\(name)", message: "missing (needed by family \"\(family)\")")
  }

  /// Input `name`, required to be present.
  public func array(_ name: String) throws -> CaseArray {
    if input(name) == nil, sparseInput(name) != nil {
      throw formatError(
        field: name, message: "a sparse matrix (COO triplets); family \"\(family)\" expects a dense array")
    }
    guard let a = input(name) else {
      throw formatError(field: "data.\(name)", message: "missing (needed by family \"\(family)\")")
    }
    return a
  }

  /// Input `name` as a matrix.
  public func matrix(_ name: String) throws -> Matrix<Double> {
    let a = try array(name)
    // A case built in code may give a shape its values do not fill.
    guard a.shape.count == 2, let m = try? Matrix(rows: a.shape[0], columns: a.shape[1], validating: a.values) else {
      throw formatError(field: name, message: "expected a matrix, got shape \(a.shape) with \(a.values.count) values")
    }
    try checkFinite(name, a)
    return m
  }

  /// Input `name` as a vector (`count` entries, if given).
  public func vector(_ name: String, count: Int? = nil) throws -> Vector<Double> {
    let a = try array(name)
    guard a.shape.count == 1, a.shape[0] == a.values.count, count == nil || a.values.count == count else {
      throw formatError(
        field: name, message: "expected a vector\(count.map { " of \($0) entries" } ?? ""), got shape \(a.shape)")
    }
    try checkFinite(name, a)
    return Vector(a.values)
  }

  /// Input `name` as a scalar.
  public func scalar(_ name: String) throws -> Double {
    let a = try array(name)
    guard a.shape.isEmpty || a.values.count == 1, a.values.count == 1 else {
      throw formatError(field: name, message: "expected a scalar, got shape \(a.shape)")
    }
    try checkFinite(name, a)
    return a.values[0]
  }

  /// Throws unless every differentiated input is one of `allowed`.
  public func requireParameters(_ allowed: [String], list: Bool = true) throws {
    for name in thetaNames where !allowed.contains(name) {
      let known = list ? " (parameters: \(allowed.joined(separator: ", ")))" : ""
      throw formatError(field: "theta.\(name)", message: "not a parameter of family \"\(family)\"\(known)")
    }
  }

  func checkFinite(_ name: String, _ a: CaseArray) throws {
    if !a.values.allSatisfy(\.isFinite) { throw formatError(field: name, message: "contains NaN or infinity") }
  }
}
