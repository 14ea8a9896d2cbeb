public import ImplicitCore

/// Projection onto the sparse simplex `{p ≥ 0, Σp = s, ‖p‖₀ ≤ k}` (`θ = s`; a non-convex set,
/// projected exactly, as JAXopt's `projection_sparse_simplex`): keep the `k` largest entries of
/// `z` (the set `T`), project them onto the simplex of value `s`, set the others to 0.
///
/// With `S ⊆ T` the support of the result:
///
///     ∂P/∂z = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|,   ∂P/∂s = 𝟙_S/|S|
///
/// (the ``SimplexProjection`` Jacobian on `T`, zero elsewhere). One-sided choices: ties for
/// the `k`-th largest entry keep the lower index; ties at the threshold count as outside `S`.
public struct SparseSimplexProjection: Projection, Sendable {
  /// The largest number of non-zero entries, `k ≥ 1`.
  public let maxNonzeros: Int
  public init(maxNonzeros: Int) { self.maxNonzeros = maxNonzeros }

  /// The indices of the `k` largest entries (ties: lower index first).
  func topIndices(_ z: Vector<Double>) -> [Int] {
    let order = z.scalars.indices.sorted { z[$0] > z[$1] || (z[$0] == z[$1] && $0 < $1) }
    return Array(order.prefix(max(0, min(maxNonzeros, z.count))))
  }

  func restricted(_ v: Vector<Double>, _ indices: [Int]) -> Vector<Double> { Vector(indices.map { v[$0] }) }

  func scattered(_ v: Vector<Double>, _ indices: [Int], count: Int) -> Vector<Double> {
    var out = Vector<Double>.zeros(count)
    for (k, i) in indices.enumerated() { out[i] = v[k] }
    return out
  }

  public func project(_ z: Vector<Double>, _ s: Double) -> Vector<Double> {
    let top = topIndices(z)
    return scattered(SimplexProjection().project(restricted(z, top), s), top, count: z.count)
  }

  public func jvp(at z: Vector<Double>, _ s: Double, _ dz: Vector<Double>, _ ds: Double) -> Vector<Double> {
    let top = topIndices(z)
    let dz = dz.expanded(to: z.count)
    return scattered(SimplexProjection().jvp(at: restricted(z, top), s, restricted(dz, top), ds), top, count: z.count)
  }

  public func vjp(at z: Vector<Double>, _ s: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    let top = topIndices(z)
    let u = u.expanded(to: z.count)
    let (gz, gs) = SimplexProjection().vjp(at: restricted(z, top), s, restricted(u, top))
    return (scattered(gz, top, count: z.count), gs)
  }

  /// Requires `k ≥ 1` and what ``SimplexProjection/validate(dimension:_:)`` requires.
  public func validate(dimension n: Int, _ s: Double) throws {
    guard maxNonzeros >= 1 else { throw ImplicitError.invalidArgument("maxNonzeros must be ≥ 1, got \(maxNonzeros)") }
    try SimplexProjection().validate(dimension: n, s)
  }

  /// Also requires finite `z` and a finite result.
  public func validate(_ z: Vector<Double>, _ s: Double) throws {
    try ProjectionChecks.finite("z", z)
    try validate(dimension: z.count, s)
    try ProjectionChecks.finiteResult(project(z, s), "the projection onto the sparse simplex")
  }
}
