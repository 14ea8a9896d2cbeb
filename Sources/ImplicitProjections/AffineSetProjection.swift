public import ImplicitCore

/// Projection onto the affine set `{p : Ap = b}` (`θ = (A, b)`, an ``AffineSet``; `A` of full
/// row rank): `P(z) = z − Aᵀy` with `y = (AAᵀ)⁻¹(Az − b)` (one Cholesky factorisation of
/// `G = AAᵀ` per product).
///
/// Differentiating `G y = Az − b` and `p = z − Aᵀy`:
///
///     G dy = dA·p − A·dAᵀy + A·dz − db,    dp = dz − dAᵀy − Aᵀdy
///
/// so `∂P/∂z = I − Aᵀ G⁻¹A` (symmetric: the projector onto the null space of `A`) and
/// `∂P/∂b = AᵀG⁻¹`. Reverse: with `w = G⁻¹Au`,
///
///     (∂P/∂z)ᵀu = u − Aᵀw,   (∂P/∂b)ᵀu = w,   (∂P/∂A)ᵀu = −y(u − Aᵀw)ᵀ − w pᵀ
///
/// Smooth wherever `A` has full row rank. If `AAᵀ` is not numerically positive definite,
/// ``project(_:_:)`` and the products return NaN (never a plausible vector) and
/// ``validate(_:_:)`` throws.
public struct AffineSetProjection: Projection, Sendable {
  public init() {}

  /// `G = AAᵀ` factorised, `y` and `p`.
  struct Solve {
    let cholesky: CholeskyFactorization
    let y: Vector<Double>
    let p: Vector<Double>
  }

  func solve(_ z: Vector<Double>, _ θ: AffineSet) -> Solve? {
    let a = θ.A
    guard let cholesky = CholeskyFactorization(a * a.transposed()) else { return nil }
    let y = Vector(cholesky.solve((a * z - θ.b).scalars))
    return Solve(cholesky: cholesky, y: y, p: z - a.transposedTimes(y))
  }

  public func project(_ z: Vector<Double>, _ θ: AffineSet) -> Vector<Double> {
    solve(z, θ)?.p ?? Vector(repeating: .nan, count: z.count)
  }

  public func jvp(at z: Vector<Double>, _ θ: AffineSet, _ dz: Vector<Double>, _ dθ: AffineSet) -> Vector<Double> {
    guard let s = solve(z, θ) else { return Vector(repeating: .nan, count: z.count) }
    let a = θ.A, n = z.count, m = a.rows
    let dz = dz.expanded(to: n), db = dθ.b.expanded(to: m)
    var rhs = a * dz - db
    var dp = dz
    if !dθ.A.isEmpty {
      let da = dθ.A
      rhs = rhs + da * s.p - a * da.transposedTimes(s.y)
      dp = dp - da.transposedTimes(s.y)
    }
    let dy = Vector(s.cholesky.solve(rhs.scalars))
    return dp - a.transposedTimes(dy)
  }

  public func vjp(at z: Vector<Double>, _ θ: AffineSet, _ u: Vector<Double>) -> (z: Vector<Double>, θ: AffineSet) {
    let a = θ.A, n = z.count, m = a.rows
    guard let s = solve(z, θ) else {
      return (Vector(repeating: .nan, count: n), θ.unflattened([Double](repeating: .nan, count: θ.dimension)))
    }
    let u = u.expanded(to: n)
    let w = Vector(s.cholesky.solve((a * u).scalars))
    let gradZ = u - a.transposedTimes(w)
    var gradA = Matrix<Double>.zeros(rows: m, columns: n)
    for i in 0..<m {
      for j in 0..<n { gradA[i, j] = -s.y[i] * gradZ[j] - w[i] * s.p[j] }
    }
    return (gradZ, AffineSet(A: gradA, b: w))
  }

  /// Requires finite data of matching shapes and `A` of full row rank.
  public func validate(dimension n: Int, _ θ: AffineSet) throws {
    try ProjectionChecks.dimension(n)
    try ImplicitError.checkDimension("A (one column per coordinate)", θ.A.columns, expected: n)
    try ProjectionChecks.count("b (one entry per row of A)", θ.b, θ.A.rows)
    guard θ.A.isFinite else { throw ImplicitError.nonFinite(what: "A") }
    try ProjectionChecks.finite("b", θ.b)
    if CholeskyFactorization(θ.A * θ.A.transposed()) == nil {
      throw ImplicitError.invalidArgument("A must have full row rank (AAᵀ is not positive definite)")
    }
  }
}
