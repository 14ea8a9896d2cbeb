public import ImplicitCore

/// The differentiated parameters of a reference case packed into one vector `p` (the
/// parameter of the family's runnable instance, see ``ParameterLayout``), and the way back:
/// a Jacobian with respect to `p` split into one block per named parameter.
public struct ParameterPack: Sendable {
  /// Where each parameter sits in `p`.
  public let layout: ParameterLayout

  /// Packs the `theta` of `referenceCase`.
  public init(_ referenceCase: ReferenceCase) throws { layout = try ParameterLayout(referenceCase) }

  /// The packed values.
  public var packed: Vector<Double> { layout.packed }

  /// Splits a Jacobian with respect to `p` (`dim(output) × dim(p)`) into one block per
  /// parameter, shaped `shape(output) + shape(parameter)`, and pairs it with the value.
  public func output(_ value: NDArray, jacobian: Matrix<Double>) -> ReferenceCase.Output {
    var blocks = [String: NDArray]()
    let rows = value.count, columns = packed.count
    for e in layout.entries {
      var block = [Double]()
      block.reserveCapacity(rows * e.count)
      for r in 0..<rows { block += jacobian.scalars[(r * columns + e.offset)..<(r * columns + e.offset + e.count)] }
      blocks[e.name] = NDArray(shape: value.shape + e.shape, values: block)
    }
    return ReferenceCase.Output(value: value, jacobians: blocks)
  }
}
