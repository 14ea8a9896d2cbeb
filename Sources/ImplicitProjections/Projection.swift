public import ImplicitCore
import _Differentiation

/// A Euclidean projection `P(z, θ) = argmin_{p ∈ C(θ)} ‖p − z‖²` onto a convex set `C(θ)`,
/// with its derivatives written by hand (closed form or implicit), never by differentiating
/// through the projection's branches and sorts.
///
/// Conforming types implement ``project(_:_:)`` and the two derivative products; the protocol
/// extension makes `callAsFunction` `@differentiable(reverse)` from them, so a projection can
/// sit inside any differentiable code — in particular inside a projected-gradient optimality
/// condition.
public protocol Projection {
  /// The parameters of the set (a radius, bounds, …): `Double`, `Vector<Double>`, or a
  /// struct. A set without parameters uses a zero-dimensional `Vector<Double>`.
  associatedtype Parameter: InnerProductSpace

  /// `P(z, θ)`.
  func project(_ z: Vector<Double>, _ θ: Parameter) -> Vector<Double>

  /// The forward product `∂P/∂z · dz + ∂P/∂θ · dθ` at `z`.
  func jvp(at z: Vector<Double>, _ θ: Parameter, _ dz: Vector<Double>, _ dθ: Parameter) -> Vector<Double>

  /// The reverse product `((∂P/∂z)ᵀ u, (∂P/∂θ)ᵀ u)` at `z`.
  func vjp(at z: Vector<Double>, _ θ: Parameter, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Parameter)
}

extension Projection {
  /// `P(z, θ)`, differentiable through the hand-written derivatives.
  @differentiable(reverse)
  public func callAsFunction(_ z: Vector<Double>, _ θ: Parameter) -> Vector<Double> { project(z, θ) }

  @derivative(of: callAsFunction)
  public func _vjpCallAsFunction(_ z: Vector<Double>, _ θ: Parameter) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Parameter)
  ) {
    (project(z, θ), { u in
      if u.isEmpty { return (Vector.zeros(z.count), θ.zeroLike) }
      let (dz, dθ) = self.vjp(at: z, θ, u)
      return (dz, dθ)
    })
  }

  /// The dense Jacobian `∂P/∂z` (`n × n`), column by column from ``jvp(at:_:_:_:)``.
  public func jacobian(at z: Vector<Double>, _ θ: Parameter) -> Matrix<Double> {
    let n = z.count
    var m = Matrix<Double>.zeros(rows: n, columns: n)
    for j in 0..<n {
      let column = jvp(at: z, θ, .basis(j, count: n), θ.zeroLike)
      for i in 0..<n { m[i, j] = column[i] }
    }
    return m
  }
}

/// Projection onto the simplex `{p ≥ 0, Σp = s}` (`θ = s`, the simplex value, default 1) —
/// sparsemax when `s = 1`.
///
/// Sort-based: `p = max(z − τ, 0)` with `τ` chosen so that the entries sum to `s`. On the
/// support `S = {i : pᵢ > 0}` the Jacobian is `∂P/∂z = diag(𝟙_S) − 𝟙_S𝟙_Sᵀ/|S|` and
/// `∂P/∂s = 𝟙_S/|S|` (almost everywhere; at ties the one-sided choice `S = {pᵢ > 0}` is used).
public struct SimplexProjection: Projection {
  public init() {}

  public func project(_ z: Vector<Double>, _ s: Double) -> Vector<Double> {
    let tau = SimplexProjection.threshold(z, s)
    return Vector(z.scalars.map { max($0 - tau, 0) })
  }

  /// The `τ` with `Σ max(zᵢ − τ, 0) = s` (for `s > 0`).
  public static func threshold(_ z: Vector<Double>, _ s: Double) -> Double {
    let sorted = z.scalars.sorted(by: >)
    var cumulative = 0.0
    var tau = sorted.first.map { $0 - s } ?? 0
    for (k, value) in sorted.enumerated() {
      cumulative += value
      let candidate = (cumulative - s) / Double(k + 1)
      if value - candidate > 0 { tau = candidate } else { break }
    }
    return tau
  }

  public func jvp(at z: Vector<Double>, _ s: Double, _ dz: Vector<Double>, _ ds: Double) -> Vector<Double> {
    let support = project(z, s).scalars.map { $0 > 0 ? 1.0 : 0.0 }
    let size = support.reduce(0, +)
    guard size > 0 else { return Vector.zeros(z.count) }
    let dzScalars = dz.isEmpty ? [Double](repeating: 0, count: z.count) : dz.scalars
    let mean = (zip(support, dzScalars).map { $0 * $1 }.reduce(0, +) - ds) / size
    return Vector(zip(support, dzScalars).map { $0 * ($1 - mean) })
  }

  public func vjp(at z: Vector<Double>, _ s: Double, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Double) {
    // The z-Jacobian is symmetric; ∂P/∂s = 𝟙_S/|S|.
    let support = project(z, s).scalars.map { $0 > 0 ? 1.0 : 0.0 }
    let size = support.reduce(0, +)
    guard size > 0 else { return (Vector.zeros(z.count), 0) }
    let mean = zip(support, u.scalars).map { $0 * $1 }.reduce(0, +) / size
    return (Vector(zip(support, u.scalars).map { $0 * ($1 - mean) }), mean)
  }
}

/// Projection of each row of a matrix (flattened row by row into a vector with `columns`
/// entries per row) onto the simplex `{p ≥ 0, Σp = 1}`: the feasible set of the multiclass SVM
/// dual and of other problems over several distributions at once. No parameters.
public struct RowSimplexProjection: Projection {
  /// The number of entries per row.
  public let columns: Int
  public init(columns: Int) { self.columns = columns }

  func rows(_ v: Vector<Double>) -> Int { columns > 0 ? v.count / columns : 0 }
  func row(_ v: Vector<Double>, _ i: Int) -> Vector<Double> { Vector(Array(v.scalars[(i * columns)..<((i + 1) * columns)])) }

  public func project(_ z: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Vector((0..<rows(z)).flatMap { SimplexProjection().project(row(z, $0), 1).scalars })
  }

  public func jvp(at z: Vector<Double>, _ θ: Vector<Double>, _ dz: Vector<Double>, _ dθ: Vector<Double>) -> Vector<Double> {
    let dz = dz.isEmpty ? Vector.zeros(z.count) : dz
    return Vector((0..<rows(z)).flatMap { SimplexProjection().jvp(at: row(z, $0), 1, row(dz, $0), 0).scalars })
  }

  public func vjp(at z: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>) -> (z: Vector<Double>, θ: Vector<Double>) {
    (Vector((0..<rows(z)).flatMap { SimplexProjection().vjp(at: row(z, $0), 1, row(u, $0)).z.scalars }), θ.zeroLike)
  }
}
