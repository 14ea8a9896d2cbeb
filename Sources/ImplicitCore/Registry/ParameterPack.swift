import _Differentiation

/// The differentiated parameters of a reference case packed into one vector `θ`, so that a
/// family can differentiate with respect to whichever of its inputs a case lists under
/// `"theta"` — `A` in one case, `b` or `lam` in another — with a single condition type.
public struct ParameterPack: Sendable {
  /// Where one named parameter sits in the packed vector.
  public struct Entry: Sendable {
    public var name: String
    public var shape: [Int]
    public var offset: Int
    public var count: Int
  }

  /// The entries, in the case's order.
  public let entries: [Entry]
  /// The packed values.
  public let packed: Vector<Double>

  /// Packs the `theta` of `referenceCase`.
  public init(_ referenceCase: ReferenceCase) {
    var entries = [Entry]()
    var values = [Double]()
    for (name, array) in referenceCase.theta {
      entries.append(Entry(name: name, shape: array.shape, offset: values.count, count: array.count))
      values += array.values
    }
    self.entries = entries
    packed = Vector(values)
  }

  /// Whether `name` is differentiated.
  public func contains(_ name: String) -> Bool { entries.contains { $0.name == name } }

  func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

  /// The parameter `name` taken from `p` (differentiable in `p`), or `fallback` when `name`
  /// is not differentiated.
  @differentiable(reverse,wrt: p)
  public func vector(_ name: String, in p: Vector<Double>, else fallback: Vector<Double>) -> Vector<Double> {
    guard let e = entry(name) else { return fallback }
    return p.slice(from: e.offset, count: e.count)
  }

  /// A matrix parameter from `p`, or `fallback`.
  @differentiable(reverse,wrt: p)
  public func matrix(_ name: String, in p: Vector<Double>, else fallback: Matrix<Double>) -> Matrix<Double> {
    guard let e = entry(name), e.shape.count == 2 else { return fallback }
    return p.slice(from: e.offset, count: e.count).reshaped(rows: e.shape[0], columns: e.shape[1])
  }

  /// A scalar parameter from `p`, or `fallback`.
  @differentiable(reverse,wrt: p)
  public func scalar(_ name: String, in p: Vector<Double>, else fallback: Double) -> Double {
    guard let e = entry(name) else { return fallback }
    return p.slice(from: e.offset, count: 1).sum()
  }

  /// Splits a Jacobian with respect to the packed vector (`dim(output) × dim(θ)`) into one block
  /// per parameter, shaped `shape(output) + shape(parameter)`, and pairs it with the value.
  public func output(_ value: NDArray, jacobian: Matrix<Double>) -> ReferenceCase.Output {
    var blocks = [String: NDArray]()
    let rows = value.count, columns = packed.count
    for e in entries {
      var block = [Double]()
      block.reserveCapacity(rows * e.count)
      for r in 0..<rows { block += jacobian.scalars[(r * columns + e.offset)..<(r * columns + e.offset + e.count)] }
      blocks[e.name] = NDArray(shape: value.shape + e.shape, values: block)
    }
    return ReferenceCase.Output(value: value, jacobians: blocks)
  }
}

extension ReferenceCase {
  /// Input `name` (from `theta` or `data`), required to be present.
  public func array(_ name: String) throws -> NDArray {
    guard let a = input(name) else {
      throw CaseFormatError(file: file, field: "data.\(name)", message: "missing (needed by family \"\(family)\")")
    }
    return a
  }

  /// Input `name` as a matrix.
  public func matrix(_ name: String) throws -> Matrix<Double> {
    let a = try array(name)
    guard let m = a.matrix else {
      throw CaseFormatError(file: file, field: name, message: "expected a matrix, got shape \(a.shape)")
    }
    try checkFinite(name, a)
    return m
  }

  /// Input `name` as a vector (`count` entries, if given).
  public func vector(_ name: String, count: Int? = nil) throws -> Vector<Double> {
    let a = try array(name)
    guard a.shape.count == 1, count == nil || a.count == count else {
      throw CaseFormatError(
        file: file, field: name,
        message: "expected a vector\(count.map { " of \($0) entries" } ?? ""), got shape \(a.shape)")
    }
    try checkFinite(name, a)
    return a.vector
  }

  /// Input `name` as a scalar.
  public func scalar(_ name: String) throws -> Double {
    let a = try array(name)
    guard a.shape.isEmpty || a.count == 1, let s = a.scalar else {
      throw CaseFormatError(file: file, field: name, message: "expected a scalar, got shape \(a.shape)")
    }
    try checkFinite(name, a)
    return s
  }

  func checkFinite(_ name: String, _ a: NDArray) throws {
    if !a.values.allSatisfy(\.isFinite) {
      throw CaseFormatError(file: file, field: name, message: "contains NaN or infinity")
    }
  }
}
