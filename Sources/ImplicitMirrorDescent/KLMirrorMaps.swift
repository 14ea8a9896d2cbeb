public import ImplicitCore

/// The entropy (KL) geometry on the probability simplex `Δ = {p ≥ 0, Σp = 1}`:
/// `φ(p) = Σ pᵢ log pᵢ`, `∇φ = log`, `∇φ* = softmax`. Mirror descent in this geometry is the
/// exponentiated-gradient method `p⁺ ∝ p ⊙ exp(−η∇f(p))`.
///
/// ## The safe log at the boundary
/// A coordinate at `0` maps to `log 0 = −∞`, whose softmax weight is `exp(−∞) = 0`: a zero
/// coordinate stays exactly zero, whatever the gradient (JAXopt's `safe_log` convention). Its
/// derivative is taken to be **zero** (not `1/0 = ∞`), because the coordinate is pinned: no
/// first-order change of `p` can move it off `0`. With that convention the condition's
/// Jacobian in `p` is block triangular — rows of zero coordinates are `−eⱼ` — and the implicit
/// derivative of a zero coordinate is exactly `0`, while the other coordinates obey the KKT
/// system restricted to the support. This is what makes solutions with exact zeros (sparse
/// duals, such as the multiclass SVM's) differentiable through the mirror-descent condition.
public struct KLSimplexMirrorMap: MirrorMap, Sendable {
  public init() {}

  public func mirror(_ x: Vector<Double>) -> Vector<Double> { EntropicRows.safeLog(x) }
  public func mirrorJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    EntropicRows.safeLogJVP(at: x, v)
  }
  public func inverseMirror(_ y: Vector<Double>) -> Vector<Double> { EntropicRows(y.count).softmax(y) }
  public func inverseMirrorJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    EntropicRows(y.count).softmaxJVP(at: y, v)
  }
  public func validate(_ x: Vector<Double>) throws {
    if x.isEmpty { throw ImplicitError.invalidArgument("the simplex needs at least one coordinate") }
  }
  public func validateFeasible(_ x: Vector<Double>, tolerance: Double) throws {
    try validate(x)
    try EntropicRows(x.count).checkFeasible(x, tolerance: tolerance)
  }
}

/// The entropy (KL) geometry on a product of simplices: `x` is an `n × k` matrix flattened row
/// by row, each row a probability vector (the feasible set of the multiclass SVM dual, or of any
/// problem over several distributions). Log and softmax act row by row; the safe log of
/// ``KLSimplexMirrorMap`` applies to every coordinate.
public struct KLRowSimplexMirrorMap: MirrorMap, Sendable {
  /// The number of entries per row (`k`).
  public let columns: Int
  public init(columns: Int) { self.columns = columns }

  public func mirror(_ x: Vector<Double>) -> Vector<Double> { EntropicRows.safeLog(x) }
  public func mirrorJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    EntropicRows.safeLogJVP(at: x, v)
  }
  public func inverseMirror(_ y: Vector<Double>) -> Vector<Double> { EntropicRows(columns).softmax(y) }
  public func inverseMirrorJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    EntropicRows(columns).softmaxJVP(at: y, v)
  }
  public func validate(_ x: Vector<Double>) throws {
    guard columns > 0, !x.isEmpty, x.count % columns == 0 else {
      throw ImplicitError.shapeMismatch(
        what: "x (rows of \(columns) entries, flattened)", expected: "a positive multiple of \(columns)",
        actual: "\(x.count)")
    }
  }
  public func validateFeasible(_ x: Vector<Double>, tolerance: Double) throws {
    try validate(x)
    try EntropicRows(columns).checkFeasible(x, tolerance: tolerance)
  }
}

/// Row-wise log / softmax kernels shared by the two KL geometries.
struct EntropicRows {
  /// Entries per row (the whole vector for a single simplex).
  let columns: Int
  init(_ columns: Int) { self.columns = columns }

  /// `log x` with `log 0 = −∞` (negative entries give NaN, which solvers report). Subnormal
  /// entries — where mirror-descent iterates decay on their way to 0 — count as 0: their `1/x`
  /// (~1e323) would make the condition's Jacobian numerically singular.
  static func safeLog(_ x: Vector<Double>) -> Vector<Double> {
    Vector(x.scalars.map { $0 >= 0 && $0 < Double.leastNormalMagnitude ? -Double.infinity : Double.log($0) })
  }

  /// `v / x`, and `0` where `x` is 0 or subnormal (the safe log's pinned coordinates).
  static func safeLogJVP(at x: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    if v.isSymbolicZero { return Vector.zeros(x.count) }
    return Vector(zip(x.scalars, v.scalars).map { $0 >= Double.leastNormalMagnitude ? $1 / $0 : 0 })
  }

  /// Softmax of every row; `−∞` entries get weight exactly `0`.
  func softmax(_ y: Vector<Double>) -> Vector<Double> {
    var out = [Double](repeating: 0, count: y.count)
    y.scalars.withUnsafeBufferPointer { src in
      var start = 0
      while start < src.count {
        let end = min(start + columns, src.count)
        var m = -Double.infinity
        for i in start..<end where src[i] > m { m = src[i] }
        var s = 0.0
        for i in start..<end {
          let e = src[i] == -.infinity ? 0 : Double.exp(src[i] - m)
          out[i] = e
          s += e
        }
        for i in start..<end { out[i] /= s }
        start = end
      }
    }
    return Vector(out)
  }

  /// `(diag(p) − ppᵀ) v` row by row, `p = softmax(y)`; zero-weight entries contribute nothing
  /// even when `v` is not finite there.
  func softmaxJVP(at y: Vector<Double>, _ v: Vector<Double>) -> Vector<Double> {
    if v.isSymbolicZero { return Vector.zeros(y.count) }
    return Self.weightedCentering(softmax(y), v, columns: columns)
  }

  /// `p ⊙ (v − ⟨p, v⟩)` row by row, skipping entries with `p = 0`.
  static func weightedCentering(_ p: Vector<Double>, _ v: Vector<Double>, columns: Int) -> Vector<Double> {
    var out = [Double](repeating: 0, count: p.count)
    var start = 0
    while start < p.count {
      let end = min(start + columns, p.count)
      var mean = 0.0
      for i in start..<end where p[i] != 0 { mean += p[i] * v[i] }
      for i in start..<end where p[i] != 0 { out[i] = p[i] * (v[i] - mean) }
      start = end
    }
    return Vector(out)
  }

  /// Throws unless every row of `x` is a probability vector (within `tolerance`).
  func checkFeasible(_ x: Vector<Double>, tolerance: Double) throws {
    var start = 0
    while start < x.count {
      let end = min(start + columns, x.count)
      var s = 0.0
      for i in start..<end {
        guard x[i].isFinite, x[i] >= -tolerance else {
          throw ImplicitError.invalidArgument("x[\(i)] = \(x[i]) is not in the simplex (negative or not finite)")
        }
        s += x[i]
      }
      guard abs(s - 1) <= tolerance * Double(end - start) + tolerance else {
        throw ImplicitError.invalidArgument("row starting at x[\(start)] sums to \(s), not 1")
      }
      start = end
    }
  }
}
