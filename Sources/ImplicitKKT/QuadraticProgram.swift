public import ImplicitCore
public import _Differentiation

/// The data of a convex quadratic program
///
///     min_x ½xᵀQx + cᵀx   s.t.   Ex = d,   Gx ≤ h
///
/// with `n` variables, `p` equality and `m` inequality constraints. Leave out what a problem does
/// not have: ``init(Q:c:G:h:)`` (inequalities only), ``init(Q:c:E:d:)`` (equalities only),
/// ``init(Q:c:)`` (unconstrained); they store a `0 × n` `E` (`G`) and an empty `d` (`h`).
/// Shapes are checked by ``validate()``, which every solver calls (typed errors, no traps).
///
/// It is also the *parameter* `θ` of ``QuadraticProgramKKTCondition``: a vector space whose
/// coordinates are, in this order, `Q` (row-major), `c`, `E` (row-major), `d`, `G` (row-major),
/// `h` — so `∂z*/∂θ` covers every entry of the data.
///
/// Only the symmetric part of `Q` enters the objective: the solvers use `½(Q + Qᵀ)`, and
/// derivatives with respect to an entry `Q_ij` are those of `½xᵀQx` with `Q_ij` alone perturbed
/// (as in JAXopt, which differentiates `∇ₓ(½xᵀQx) = ½(Q + Qᵀ)x`).
public struct QuadraticProgram: Differentiable, AdditiveArithmetic, InnerProductSpace, Sendable {
  /// `Q` (`n × n`, symmetric positive semidefinite).
  public var Q: Matrix<Double>
  /// `c` (`n`).
  public var c: Vector<Double>
  /// `E` (`p × n`).
  public var E: Matrix<Double>
  /// `d` (`p`).
  public var d: Vector<Double>
  /// `G` (`m × n`).
  public var G: Matrix<Double>
  /// `h` (`m`).
  public var h: Vector<Double>

  public typealias TangentVector = QuadraticProgram

  /// The program with the given data (not validated: call ``validate()``).
  @differentiable(reverse)
  public init(
    Q: Matrix<Double>, c: Vector<Double>, E: Matrix<Double>, d: Vector<Double>, G: Matrix<Double>, h: Vector<Double>
  ) {
    self.Q = Q
    self.c = c
    self.E = E
    self.d = d
    self.G = G
    self.h = h
  }

  /// A program with equality constraints only (`m = 0`): `min ½xᵀQx + cᵀx s.t. Ex = d`.
  public init(Q: Matrix<Double>, c: Vector<Double>, E: Matrix<Double>, d: Vector<Double>) {
    self.init(Q: Q, c: c, E: E, d: d, G: Self.noConstraints(c), h: Vector([]))
  }

  /// A program with inequality constraints only (`p = 0`): `min ½xᵀQx + cᵀx s.t. Gx ≤ h`.
  public init(Q: Matrix<Double>, c: Vector<Double>, G: Matrix<Double>, h: Vector<Double>) {
    self.init(Q: Q, c: c, E: Self.noConstraints(c), d: Vector([]), G: G, h: h)
  }

  /// An unconstrained program `min ½xᵀQx + cᵀx`.
  public init(Q: Matrix<Double>, c: Vector<Double>) {
    self.init(Q: Q, c: c, E: Self.noConstraints(c), d: Vector([]), G: Self.noConstraints(c), h: Vector([]))
  }

  /// A `0 × n` constraint matrix (`n` from `c`, so that a wrong `Q` is reported by
  /// ``validate()`` rather than inherited).
  static func noConstraints(_ c: Vector<Double>) -> Matrix<Double> {
    Matrix(rows: 0, columns: c.count, scalars: [])
  }

  /// The number of variables `n`.
  public var variableCount: Int { c.count }
  /// The number of equality constraints `p`.
  public var equalityCount: Int { d.count }
  /// The number of inequality constraints `m`.
  public var inequalityCount: Int { h.count }

  /// Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` when the shapes disagree and
  /// ``ImplicitError/nonFinite(what:)`` on NaN or ±∞.
  public func validate() throws {
    let n = c.count
    guard n > 0 else {
      throw ImplicitError.invalidArgument("a quadratic program needs at least one variable (c is empty)")
    }
    try Self.checkShape("Q", Q, rows: n, columns: n)
    try Self.checkShape("E", E, rows: d.count, columns: n)
    try Self.checkShape("G", G, rows: h.count, columns: n)
    for (name, ok) in [
      ("Q", Q.isFinite), ("c", c.isFinite), ("E", E.isFinite), ("d", d.isFinite), ("G", G.isFinite), ("h", h.isFinite),
    ] where !ok {
      throw ImplicitError.nonFinite(what: name)
    }
  }

  static func checkShape(_ name: String, _ a: Matrix<Double>, rows: Int, columns: Int) throws {
    // A constraint matrix with no rows may come as 0×0.
    if rows == 0 && a.scalars.isEmpty { return }
    if a.rows != rows || a.columns != columns || a.scalars.count != rows * columns {
      throw ImplicitError.shapeMismatch(what: name, expected: "\(rows)×\(columns)", actual: "\(a.rows)×\(a.columns)")
    }
  }

  /// `½(Q + Qᵀ)`, row-major.
  var symmetrizedQ: [Double] {
    let n = c.count
    var s = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { s[i * n + j] = 0.5 * (Q.scalars[i * n + j] + Q.scalars[j * n + i]) } }
    return s
  }

  // MARK: InnerProductSpace

  public var flattened: [Double] { Q.scalars + c.scalars + E.scalars + d.scalars + G.scalars + h.scalars }

  /// Splits `values` with the shapes of `self`.
  public func unflattened(_ values: [Double]) -> QuadraticProgram {
    precondition(
      values.count == dimension, "QuadraticProgram.unflattened: \(values.count) values for dimension \(dimension)")
    var offset = 0
    func take(_ count: Int) -> [Double] {
      defer { offset += count }
      return Array(values[offset..<(offset + count)])
    }
    return QuadraticProgram(
      Q: Matrix(rows: Q.rows, columns: Q.columns, scalars: take(Q.scalars.count)), c: Vector(take(c.count)),
      E: Matrix(rows: E.rows, columns: E.columns, scalars: take(E.scalars.count)), d: Vector(take(d.count)),
      G: Matrix(rows: G.rows, columns: G.columns, scalars: take(G.scalars.count)), h: Vector(take(h.count)))
  }

  /// `self` with every part that is a symbolic (empty) zero expanded like `template`.
  public func materialized(like template: QuadraticProgram) -> QuadraticProgram {
    QuadraticProgram(
      Q: Q.materialized(like: template.Q), c: c.materialized(like: template.c), E: E.materialized(like: template.E),
      d: d.materialized(like: template.d), G: G.materialized(like: template.G), h: h.materialized(like: template.h))
  }

  public var dimension: Int {
    Q.scalars.count + c.count + E.scalars.count + d.count + G.scalars.count + h.count
  }
}
