public import ImplicitCore
public import _Differentiation

/// A primal–dual point `z = (x, ν, λ)` of a constrained problem
/// `min f(x, θ) s.t. h(x, θ) = 0, g(x, θ) ≤ 0`: the solution type of ``KKTCondition`` and
/// ``QuadraticProgramKKTCondition``, and also the type of their residual `F(z, θ)`.
///
/// - ``primal``: `x` (`n` entries);
/// - ``equality``: `ν`, one multiplier per equality constraint (`p` entries, free sign);
/// - ``inequality``: `λ`, one multiplier per inequality constraint (`m` entries, `λ ≥ 0`).
///
/// The multipliers follow the sign convention of the Lagrangian
/// `L = f + νᵀh + λᵀg` (for a QP: `f + νᵀ(Ex − d) + λᵀ(Gx − h)`), so stationarity reads
/// `∇ₓf + ∂ₓhᵀν + ∂ₓgᵀλ = 0`.
///
/// Coordinates are ordered `(x, ν, λ)` by ``flattened``: a Jacobian `∂z*/∂θ` from
/// ``ImplicitDifferentiator/jacobian(at:_:)`` has the rows of `x` first, then those of `ν`, then
/// those of `λ`. A part without constraints is the empty vector.
public struct KKTSolution: Differentiable, AdditiveArithmetic, InnerProductSpace, Sendable, CustomStringConvertible {
  /// `x`.
  public var primal: Vector<Double>
  /// `ν`, the multipliers of the equality constraints.
  public var equality: Vector<Double>
  /// `λ`, the multipliers of the inequality constraints.
  public var inequality: Vector<Double>

  public typealias TangentVector = KKTSolution

  /// The point `(primal, equality, inequality)`.
  @differentiable(reverse)
  public init(primal: Vector<Double>, equality: Vector<Double>, inequality: Vector<Double>) {
    self.primal = primal
    self.equality = equality
    self.inequality = inequality
  }

  /// A point without constraints: `(x, [], [])`.
  public init(primal: Vector<Double>) {
    self.init(primal: primal, equality: Vector([]), inequality: Vector([]))
  }

  public var description: String { "KKTSolution(x: \(primal), ν: \(equality), λ: \(inequality))" }

  // MARK: InnerProductSpace

  public var flattened: [Double] { primal.scalars + equality.scalars + inequality.scalars }

  /// Splits `values` with the part sizes of `self`.
  public func unflattened(_ values: [Double]) -> KKTSolution {
    let n = primal.count, p = equality.count
    precondition(
      values.count == dimension, "KKTSolution.unflattened: \(values.count) values for dimension \(dimension)")
    return KKTSolution(
      primal: Vector(Array(values[0..<n])), equality: Vector(Array(values[n..<(n + p)])),
      inequality: Vector(Array(values[(n + p)...])))
  }

  public func innerProduct(with other: KKTSolution) -> Double {
    primal.innerProduct(with: other.primal) + equality.innerProduct(with: other.equality)
      + inequality.innerProduct(with: other.inequality)
  }

  public mutating func addScaled(_ alpha: Double, _ x: KKTSolution) {
    primal.addScaled(alpha, x.primal)
    equality.addScaled(alpha, x.equality)
    inequality.addScaled(alpha, x.inequality)
  }

  public func scaled(by alpha: Double) -> KKTSolution {
    KKTSolution(
      primal: primal.scaled(by: alpha), equality: equality.scaled(by: alpha), inequality: inequality.scaled(by: alpha))
  }

  public var dimension: Int { primal.count + equality.count + inequality.count }

  /// `self` with every part that is a symbolic (empty) zero expanded to zeros of the size of the
  /// matching part of `template`: pullbacks may receive such parts.
  public func materialized(like template: KKTSolution) -> KKTSolution {
    KKTSolution(
      primal: primal.materialized(like: template.primal), equality: equality.materialized(like: template.equality),
      inequality: inequality.materialized(like: template.inequality))
  }
}
