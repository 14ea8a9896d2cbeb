/// A small, fast, reproducible random number generator (SplitMix64), for synthetic data in
/// tests, demos and benchmarks.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// A standard normal sample (Box–Muller).
  public mutating func normal() -> Double {
    let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &self)
    let v = Double.random(in: 0..<1, using: &self)
    return (-2 * _elementaryLog(u)).squareRoot() * _cosine(2 * Double.pi * v)
  }

  /// A vector of `count` standard normal samples times `scale`.
  public mutating func normalVector(_ count: Int, scale: Double = 1) -> Vector<Double> {
    Vector((0..<count).map { _ in scale * normal() })
  }

  /// A `rows`×`columns` matrix of standard normal samples times `scale`.
  public mutating func normalMatrix(rows: Int, columns: Int, scale: Double = 1) -> Matrix<Double> {
    Matrix(rows: rows, columns: columns, scalars: (0..<(rows * columns)).map { _ in scale * normal() })
  }
}

#if canImport(Glibc)
  import Glibc
  func _cosine(_ x: Double) -> Double { cos(x) }
#elseif canImport(Darwin)
  import Darwin
  func _cosine(_ x: Double) -> Double { cos(x) }
#endif
