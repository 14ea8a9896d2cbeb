public import ImplicitCore

/// Projection onto the polyhedron `{p : Ep = d, Gp ≤ h}` (`θ` a ``Polyhedron``).
///
/// Solved through its dual, `min_{ν, μ ≥ 0} ½‖Eᵀν + Gᵀμ‖² − νᵀ(Ez − d) − μᵀ(Gz − h)` with
/// `p = z − Eᵀν − Gᵀμ`, by accelerated projected gradient; every few iterations the active set
/// `A = {i : μᵢ > 0}` is polished: the exact projection onto `{Ep = d, G_A p = h_A}` is
/// accepted when it satisfies every KKT condition (feasible, `μ_A ≥ 0`).
///
/// Jacobian. Near `z` the projection is the projection onto the affine set
/// `{Cp = r}` with `C = [E; G_A]`, `r = [d; h_A]`, so its products are those of
/// ``AffineSetProjection`` on the active rows (`∂P/∂z = I − Cᵀ(CCᵀ)⁻¹C`, …); the inactive rows
/// of `G`, `h` have zero derivative. Requires `C` of full row rank (LICQ) and strict
/// complementarity; at a weakly active row (`μᵢ = 0`, `Gᵢp = hᵢ`) the one-sided choice is
/// "inactive". When the solve fails (an empty polyhedron, or no convergence) ``project(_:_:)``
/// and the products return NaN and ``validate(_:_:)`` throws.
public struct PolyhedronProjection: Projection, Sendable {
  /// Iteration budget of the dual solver.
  public var maxIterations: Int
  public init(maxIterations: Int = 50_000) { self.maxIterations = maxIterations }

  /// The projection with its active inequality rows.
  struct Solution {
    let p: Vector<Double>
    let active: [Int]
    /// `{Cp = r}` on the equality and active rows.
    let affine: AffineSet
  }

  func activeAffineSet(_ θ: Polyhedron, _ active: [Int]) -> AffineSet {
    let n = θ.E.rows > 0 ? θ.E.columns : θ.G.columns
    var rows = [Double](), rhs = [Double]()
    for i in 0..<θ.E.rows {
      rows += θ.E.row(i).scalars
      rhs.append(θ.d[i])
    }
    for i in active {
      rows += θ.G.row(i).scalars
      rhs.append(θ.h[i])
    }
    return AffineSet(A: Matrix(rows: rhs.count, columns: n, scalars: rows), b: Vector(rhs))
  }

  /// The exact projection for active set `active`, if it satisfies the KKT conditions.
  func polish(_ z: Vector<Double>, _ θ: Polyhedron, _ active: [Int], scale: Double) -> Solution? {
    let affine = activeAffineSet(θ, active)
    var p = z, multipliers = [Double]()
    if affine.A.rows > 0 {
      let a = affine.A
      guard let cholesky = CholeskyFactorization(a * a.transposed()) else { return nil }
      let lambda = Vector(cholesky.solve((a * z - affine.b).scalars))
      p = z - a.transposedTimes(lambda)
      multipliers = Array(lambda.scalars[θ.E.rows...])
    }
    let slack = 1e-11 * scale
    guard multipliers.allSatisfy({ $0 >= -slack }) else { return nil }
    if θ.G.rows > 0 {
      let gp = θ.G * p
      guard (0..<θ.G.rows).allSatisfy({ gp[$0] <= θ.h[$0] + slack }) else { return nil }
    }
    if θ.E.rows > 0 { guard (θ.E * p - θ.d).scalars.allSatisfy({ abs($0) <= slack }) else { return nil } }
    return Solution(p: p, active: active, affine: affine)
  }

  func solve(_ z: Vector<Double>, _ θ: Polyhedron) -> Solution? {
    let me = θ.E.rows, mi = θ.G.rows
    let scale = max(1, z.norm(), θ.d.isEmpty ? 0 : θ.d.norm(), θ.h.isEmpty ? 0 : θ.h.norm())
    // The projection of z may already be z, or lie on the equality set alone.
    if let exact = polish(z, θ, [], scale: scale) { return exact }
    guard mi > 0 else { return nil }
    let c = activeAffineSet(θ, Array(0..<mi)).A, r = activeAffineSet(θ, Array(0..<mi)).b
    // L = λmax(CCᵀ) ≤ ‖CCᵀ‖_F: a safe step for the dual gradient.
    let gram = c * c.transposed()
    let lipschitz = gram.scalars.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard lipschitz > 0, lipschitz.isFinite else { return nil }
    let eta = 1 / lipschitz
    let cz = c * z - r
    func projectDual(_ v: Vector<Double>) -> Vector<Double> {
      Vector((0..<(me + mi)).map { $0 < me ? v[$0] : max(v[$0], 0) })
    }
    var lambda = Vector<Double>.zeros(me + mi), y = lambda, t = 1.0
    var lastActive = [Int]()
    for iteration in 1...max(1, maxIterations) {
      // ∇q(λ) = C Cᵀλ − (Cz − r).
      let next = projectDual(y - eta * (gram * y - cz))
      let nextT = 0.5 * (1 + (1 + 4 * t * t).squareRoot())
      if (y - next).dot(next - lambda) > 0 {
        y = next
        t = 1
      } else {
        y = next + ((t - 1) / nextT) * (next - lambda)
        t = nextT
      }
      lambda = next
      guard lambda.isFinite else { return nil }
      if iteration % 10 == 0 {
        let active = (0..<mi).filter { lambda[me + $0] > 0 }
        if active != lastActive, let solution = polish(z, θ, active, scale: scale) { return solution }
        lastActive = active
      }
    }
    return nil
  }

  public func project(_ z: Vector<Double>, _ θ: Polyhedron) -> Vector<Double> {
    solve(z, θ)?.p ?? Vector(repeating: .nan, count: z.count)
  }

  /// `dC`, `dr` on the active rows.
  func activeTangent(_ dθ: Polyhedron, _ θ: Polyhedron, _ active: [Int]) -> AffineSet {
    let n = θ.E.rows > 0 ? θ.E.columns : θ.G.columns
    let dE = dθ.E.isEmpty ? Matrix.zeros(rows: θ.E.rows, columns: n) : dθ.E
    let dG = dθ.G.isEmpty ? Matrix.zeros(rows: θ.G.rows, columns: n) : dθ.G
    return activeAffineSet(
      Polyhedron(E: dE, d: dθ.d.expanded(to: θ.d.count), G: dG, h: dθ.h.expanded(to: θ.h.count)), active)
  }

  public func jvp(at z: Vector<Double>, _ θ: Polyhedron, _ dz: Vector<Double>, _ dθ: Polyhedron) -> Vector<Double> {
    guard let s = solve(z, θ) else { return Vector(repeating: .nan, count: z.count) }
    if s.affine.A.rows == 0 { return dz.expanded(to: z.count) }
    return AffineSetProjection().jvp(at: z, s.affine, dz, activeTangent(dθ, θ, s.active))
  }

  public func vjp(at z: Vector<Double>, _ θ: Polyhedron, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Polyhedron) {
    guard let s = solve(z, θ) else {
      return (Vector(repeating: .nan, count: z.count), θ.unflattened([Double](repeating: .nan, count: θ.dimension)))
    }
    if s.affine.A.rows == 0 { return (u.expanded(to: z.count), θ.zeroLike) }
    let (gz, ga) = AffineSetProjection().vjp(at: z, s.affine, u)
    var g = θ.zeroLike
    let n = z.count, me = θ.E.rows
    for i in 0..<me {
      for j in 0..<n { g.E[i, j] = ga.A[i, j] }
      g.d[i] = ga.b[i]
    }
    for (k, i) in s.active.enumerated() {
      for j in 0..<n { g.G[i, j] = ga.A[me + k, j] }
      g.h[i] = ga.b[me + k]
    }
    return (gz, g)
  }

  /// Finite data of matching shapes and a positive iteration budget.
  func checkShapes(dimension n: Int, _ θ: Polyhedron) throws {
    try ProjectionChecks.dimension(n)
    guard maxIterations >= 1 else {
      throw ImplicitError.invalidArgument("PolyhedronProjection needs maxIterations ≥ 1, got \(maxIterations)")
    }
    if θ.E.rows > 0 { try ImplicitError.checkDimension("E (one column per coordinate)", θ.E.columns, expected: n) }
    if θ.G.rows > 0 { try ImplicitError.checkDimension("G (one column per coordinate)", θ.G.columns, expected: n) }
    try ImplicitError.checkDimension("d (one entry per row of E)", θ.d.count, expected: θ.E.rows)
    try ImplicitError.checkDimension("h (one entry per row of G)", θ.h.count, expected: θ.G.rows)
    try ImplicitError.checkFinite("the polyhedron", θ)
  }

  /// Requires finite data of matching shapes, and a successful solve at `z = 0` (a non-empty
  /// polyhedron, independent active constraints).
  public func validate(dimension n: Int, _ θ: Polyhedron) throws {
    try checkShapes(dimension: n, θ)
    try checkSolve(Vector.zeros(n), θ)
  }

  /// Requires finite data of matching shapes, and a successful solve at `z` (a non-empty
  /// polyhedron, independent active constraints, convergence).
  public func validate(_ z: Vector<Double>, _ θ: Polyhedron) throws {
    try ImplicitError.checkFinite("z", z)
    try checkShapes(dimension: z.count, θ)
    try checkSolve(z, θ)
  }

  func checkSolve(_ z: Vector<Double>, _ θ: Polyhedron) throws {
    guard let solution = solve(z, θ) else {
      throw ImplicitError.invalidArgument(
        "the projection onto the polyhedron failed (empty set, dependent active constraints, or no convergence)")
    }
    try ProjectionChecks.finiteResult(solution.p, "the projection onto the polyhedron")
  }
}
