import ImplicitCore
import ImplicitProjections

/// Where a case parameter sits inside a projection's flattened parameter `θ_C`: `count` entries
/// from `offset`. A case may give such a parameter as a scalar, broadcast over all `count`.
struct ProjectionParameterSlot {
  let name: String
  let offset: Int
  let count: Int
}

enum CaseSupport {
  /// Throws unless every differentiated parameter of `c` is one of the family's `allowed`.
  static func requireParameters(_ c: ReferenceCase, allowed: [String]) throws {
    for name in c.thetaNames where !allowed.contains(name) {
      throw CaseFormatError(
        file: c.file, field: "theta.\(name)",
        message: "not a parameter of family \"\(c.family)\" (parameters: \(allowed.joined(separator: ", ")))")
    }
  }

  /// Input `name` as `count` entries: a vector of that length, or a scalar broadcast.
  static func broadcastVector(_ c: ReferenceCase, _ name: String, count: Int) throws -> Vector<Double> {
    let a = try c.array(name)
    guard a.values.allSatisfy({ !$0.isNaN }) else {
      throw CaseFormatError(file: c.file, field: name, message: "contains NaN")
    }
    if a.count == 1 && (a.shape.isEmpty || a.shape == [1]) { return Vector(repeating: a.values[0], count: count) }
    guard a.shape == [count] else {
      throw CaseFormatError(
        file: c.file, field: name, message: "expected a scalar or \(count) entries, got shape \(a.shape)")
    }
    return a.vector
  }

  /// `p = P(z, θ_C)` and its Jacobian with respect to the case's packed parameters, column by
  /// column from the projection's closed-form `jvp`: `z` is the case input `"z"`, the other
  /// parameters sit in `θ_C` at `slots`.
  static func projectionOutput<P: Projection>(
    _ projection: P, z: Vector<Double>, _ θ: P.Parameter, pack: ParameterPack, slots: [ProjectionParameterSlot]
  ) -> ReferenceCase.Output {
    let n = z.count, columns = pack.packed.count
    var jacobian = Matrix<Double>.zeros(rows: n, columns: columns)
    let zero = [Double](repeating: 0, count: θ.dimension)
    for e in pack.entries {
      for i in 0..<e.count {
        var dz = Vector<Double>.zeros(n), dθ = zero
        if e.name == "z" {
          dz[i] = 1
        } else if let slot = slots.first(where: { $0.name == e.name }) {
          if e.count == 1 {
            for k in 0..<slot.count { dθ[slot.offset + k] = 1 }
          } else {
            dθ[slot.offset + i] = 1
          }
        }
        let column = projection.jvp(at: z, θ, dz, θ.unflattened(dθ))
        for r in 0..<n { jacobian[r, e.offset + i] = column[r] }
      }
    }
    return pack.output(NDArray(projection.project(z, θ)), jacobian: jacobian)
  }

  /// Turns a projection's typed error into a case error naming the file.
  static func validated<P: Projection>(_ c: ReferenceCase, _ projection: P, _ z: Vector<Double>, _ θ: P.Parameter)
    throws
  {
    do {
      try projection.validate(z, θ)
    } catch let error as ImplicitError {
      throw CaseFormatError(file: c.file, field: "data", message: "\(error)")
    }
  }
}
