public import ImplicitCore

/// A partition of the coordinates `0..<dimension` into consecutive blocks — e.g. the rows of
/// an `n × k` matrix flattened row by row (`BlockPartition(blockSize: k, dimension: n·k)`).
public struct BlockPartition: Sendable, Hashable {
  /// The blocks, in order; together they cover `0..<dimension` without overlap.
  public let ranges: [Range<Int>]

  /// Blocks of the given sizes, in order. Throws unless every size is positive.
  public init(sizes: [Int]) throws {
    guard !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }) else {
      throw ImplicitError.invalidArgument("block sizes must be positive (got \(sizes))")
    }
    var start = 0
    var ranges = [Range<Int>]()
    ranges.reserveCapacity(sizes.count)
    for size in sizes {
      ranges.append(start..<(start + size))
      start += size
    }
    self.ranges = ranges
  }

  /// `dimension / blockSize` blocks of `blockSize` coordinates. Throws unless `blockSize`
  /// divides `dimension` (both positive).
  public init(blockSize: Int, dimension: Int) throws {
    guard blockSize > 0, dimension > 0, dimension % blockSize == 0 else {
      throw ImplicitError.shapeMismatch(
        what: "block partition", expected: "a positive multiple of the block size \(blockSize)", actual: "\(dimension)")
    }
    try self.init(sizes: Array(repeating: blockSize, count: dimension / blockSize))
  }

  /// The number of coordinates covered.
  public var dimension: Int { ranges.last?.upperBound ?? 0 }

  /// The entries of `x` in `block`.
  public func slice(_ x: Vector<Double>, _ block: Range<Int>) -> Vector<Double> {
    Vector(Array(x.scalars[block]))
  }

  /// Applies `f` to every block of `x` and concatenates the results (each must keep its size).
  func mapBlocks(_ x: Vector<Double>, _ f: (Range<Int>, Vector<Double>) -> Vector<Double>) -> Vector<Double> {
    var out = [Double]()
    out.reserveCapacity(x.count)
    for block in ranges { out += f(block, slice(x, block)).scalars }
    return Vector(out)
  }
}
