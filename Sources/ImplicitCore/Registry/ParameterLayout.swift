import _Differentiation

/// Where each differentiated input of a ``CaseData`` sits in the packed parameter vector `p` of
/// its runnable instance: the inputs named by ``CaseData/thetaNames``, flattened and
/// concatenated in that order.
///
/// A family differentiates with respect to whichever inputs a case lists — `A` in one case, `b`
/// or `lam` in another — with one condition, reparametrised (``Reparametrized``) by the
/// ``InputSelection`` map that reads those inputs from `p`.
public struct ParameterLayout: Sendable {
  /// One input's place in `p`.
  public struct Entry: Sendable {
    /// The input's name.
    public var name: String
    /// Its shape.
    public var shape: [Int]
    /// Its first index in `p`.
    public var offset: Int
    /// Its number of entries.
    public var count: Int
  }

  /// The entries, in packing order.
  public let entries: [Entry]
  /// `p` at the data's values.
  public let packed: Vector<Double>

  /// The layout of `data`'s differentiated inputs. Throws the data's format error for a name
  /// listed as differentiated but absent.
  public init(_ data: some CaseData) throws {
    var entries = [Entry]()
    var values = [Double]()
    for name in data.thetaNames {
      let a = try data.array(name)
      entries.append(Entry(name: name, shape: a.shape, offset: values.count, count: a.values.count))
      values += a.values
    }
    self.entries = entries
    packed = Vector(values)
  }

  /// The entry of input `name`, if it is differentiated.
  public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }

  /// Whether input `name` is differentiated.
  public func contains(_ name: String) -> Bool { entry(name) != nil }
}
