public import ImplicitCore

/// Projection of each row of a matrix (flattened row by row into a vector with `columns`
/// entries per row) onto the simplex `{p ≥ 0, Σp = 1}`: the feasible set of the multiclass SVM
/// dual and of other problems over several distributions at once. No parameters
/// (`θ` is a zero-dimensional vector).
///
/// The Jacobian is block diagonal, one ``SimplexProjection`` block
/// `diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|` per row, with the same one-sided choice at ties.
public struct RowSimplexProjection: Projection, Sendable {
  /// The number of entries per row.
  public let columns: Int
  public init(columns: Int) { self.columns = columns }

  func rows(_ v: Vector<Double>) -> Int { columns > 0 ? v.count / columns : 0 }
  func row(_ v: Vector<Double>, _ i: Int) -> Vector<Double> {
    Vector(Array(v.scalars[(i * columns)..<((i + 1) * columns)]))
  }

  public func project(_ z: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Vector((0..<rows(z)).flatMap { SimplexProjection().project(row(z, $0), 1).scalars })
  }

  public func jvp(at z: Vector<Double>, _ θ: Vector<Double>, _ dz: Vector<Double>, _ dθ: Vector<Double>) -> Vector<
    Double
  > {
    let dz = dz.expanded(to: z.count)
    return Vector((0..<rows(z)).flatMap { SimplexProjection().jvp(at: row(z, $0), 1, row(dz, $0), 0).scalars })
  }

  public func vjp(at z: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>) -> (
    z: Vector<Double>, θ: Vector<Double>
  ) {
    let u = u.expanded(to: z.count)
    return (
      Vector((0..<rows(z)).flatMap { SimplexProjection().vjp(at: row(z, $0), 1, row(u, $0)).z.scalars }), θ.zeroLike
    )
  }

  /// Requires `columns > 0`, `n` a multiple of `columns` and an empty `θ`.
  public func validate(dimension n: Int, _ θ: Vector<Double>) throws {
    try ProjectionChecks.dimension(n)
    guard columns > 0 else { throw ImplicitError.invalidArgument("RowSimplexProjection needs columns > 0") }
    guard n % columns == 0 else {
      throw ImplicitError.shapeMismatch(
        what: "z (rows of \(columns) entries)", expected: "a multiple of \(columns)", actual: "\(n)")
    }
    try ProjectionChecks.count("θ (RowSimplexProjection has no parameters)", θ, 0)
  }
}
