public import ImplicitCore

/// Central finite differences, independent of the library's AD (coordinates of an
/// ``InnerProductSpace`` in `flattened` order).
public enum FiniteDifferences {
  /// `∇f(x)` by central differences with step `h·max(1, |xᵢ|)` per coordinate.
  public static func gradient<T: InnerProductSpace>(at x: T, step h: Double = 1e-5, _ f: (T) -> Double) -> [Double] {
    let base = x.flattened
    return (0..<base.count).map { i in
      let hi = h * max(1, Swift.abs(base[i]))
      var plus = base, minus = base
      plus[i] += hi
      minus[i] -= hi
      return (f(x.unflattened(plus)) - f(x.unflattened(minus))) / (2 * hi)
    }
  }

  /// `∇f(x)` of a function of plain arrays by central differences with step `h·max(1, |xᵢ|)`
  /// per coordinate (default `h` 1e-6, for smooth functions evaluated to full precision).
  public static func gradient(at x: [Double], step h: Double = 1e-6, _ f: ([Double]) -> Double) -> [Double] {
    (0..<x.count).map { i in
      let step = h * max(1, Swift.abs(x[i]))
      var plus = x, minus = x
      plus[i] += step
      minus[i] -= step
      return (f(plus) - f(minus)) / (2 * step)
    }
  }

  /// The Jacobian (`dim f × dim x`, rows) of a vector map by central differences.
  public static func jacobian(at x: [Double], step h: Double = 1e-5, _ f: ([Double]) -> [Double]) -> Reference.Rows {
    let m = f(x).count
    var columns = Reference.Rows()
    for i in 0..<x.count {
      var plus = x, minus = x
      plus[i] += h
      minus[i] -= h
      let fp = f(plus), fm = f(minus)
      columns.append((0..<m).map { (fp[$0] - fm[$0]) / (2 * h) })
    }
    return Reference.transpose(columns)
  }

  /// Central difference of a vector map along `d`: `(f(x + h d) − f(x − h d)) / 2h`.
  public static func directional(
    at x: [Double], along d: [Double], step h: Double = 1e-6, _ f: ([Double]) -> [Double]
  ) -> [Double] {
    let plus = zip(x, d).map { $0 + h * $1 }
    let minus = zip(x, d).map { $0 - h * $1 }
    return zip(f(plus), f(minus)).map { ($0 - $1) / (2 * h) }
  }
}
