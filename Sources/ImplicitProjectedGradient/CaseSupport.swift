import ImplicitCore
import ImplicitProjections

enum CaseSupport {
  /// Input `name` as `count` entries: a vector of that length, or a scalar broadcast.
  static func broadcastVector(_ c: any CaseData, _ name: String, count: Int) throws -> Vector<Double> {
    let a = try c.array(name)
    guard a.values.allSatisfy({ !$0.isNaN }) else { throw c.formatError(field: name, message: "contains NaN") }
    if a.values.count == 1 && (a.shape.isEmpty || a.shape == [1]) {
      return Vector(repeating: a.values[0], count: count)
    }
    guard a.shape == [count] else {
      throw c.formatError(field: name, message: "expected a scalar or \(count) entries, got shape \(a.shape)")
    }
    return Vector(a.values)
  }

  /// Turns a projection's typed error into a case error naming the file.
  static func validated<P: Projection>(_ c: any CaseData, _ projection: P, _ z: Vector<Double>, _ θ: P.Parameter)
    throws
  {
    do {
      try projection.validate(z, θ)
    } catch let error as ImplicitError {
      throw c.formatError(field: "data", message: "\(error)")
    }
  }
}
