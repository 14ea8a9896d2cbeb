public import ImplicitCore
import Synchronization

// Closed forms of the gradient and the second-order products (``ParametricObjective``'s
// `gradient`, `gradientJVP`, `gradientPullback`) of the objectives whose Hessian is known: on
// doubles, one pass over the data per product (``Matrix/normalProduct(_:weights:minus:)``), where
// the default runs reverse mode over dual numbers (a tape, and a pass along two directions).
// Each is checked against that default in the objectives' tests.

/// A vector computed from a point `x` and kept for the last `x` seen (thread-safe): the curvature
/// weights of a loss at `x`, which every Hessian product of an implicit solve at `x` reuses.
final class PointCache: Sendable {
  private let state = Mutex<(x: Vector<Double>, value: Vector<Double>)?>(nil)

  func value(at x: Vector<Double>, _ compute: () -> Vector<Double>) -> Vector<Double> {
    if let known = state.withLock({ entry -> Vector<Double>? in
      guard let entry, entry.x == x else { return nil }
      return entry.value
    }) {
      return known
    }
    let value = compute()
    state.withLock { $0 = (x, value) }
    return value
  }
}

/// `v`, or `count` zeros when `v` is the symbolic zero (empty).
func orZeros(_ v: Vector<Double>, _ count: Int) -> Vector<Double> {
  v.isEmpty && count > 0 ? Vector.zeros(count) : v
}

/// `g[0..<x.count] += θ ⊙ x` (or `θ·x` for one shared strength): the l2 penalty's gradient (with
/// `x` the coefficients) or its Hessian product (with `x` a direction).
func addPenaltyProduct(_ θ: Vector<Double>, _ x: Vector<Double>, to g: inout Vector<Double>) {
  precondition(θ.count == 1 || θ.count == x.count, "l2Penalty: \(θ.count) strengths for \(x.count) coordinates")
  if θ.count == 1 {
    let s = θ[0]
    for j in 0..<x.count { g.scalars[j] += s * x[j] }
  } else {
    for j in 0..<x.count { g.scalars[j] += θ[j] * x[j] }
  }
}

/// `(∂∇f/∂θ)ᵀu` of the l2 penalty at coefficients `w`: `u ⊙ w` per coordinate, `⟨u, w⟩` shared.
func penaltyMixedTransposed(_ u: Vector<Double>, _ w: Vector<Double>, strengths: Int) -> Vector<Double> {
  if strengths == 1 {
    var s = 0.0
    for j in 0..<w.count { s += u[j] * w[j] }
    return Vector([s])
  }
  return Vector((0..<w.count).map { u[$0] * w[$0] })
}

/// The first `count` entries of `v`.
func prefix(_ v: Vector<Double>, _ count: Int) -> Vector<Double> {
  v.count == count ? v : Vector(Array(v.scalars[0..<count]))
}

extension LeastSquares {
  /// `Aᵀ(Ax − b)` with `b = θ`, in one pass over `A`.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    A.normalProduct(x, minus: θ).product
  }

  /// `(AᵀAu, −Au)`, in one pass over `A` (`Au` gathered from the nonzero columns when `u` is sparse).
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let (product, image) = A.normalProduct(orZeros(u, A.columns))
    return (product, image.scaled(by: -1))
  }

  /// `AᵀAv − Aᵀt = Aᵀ(Av − t)`, in one pass over `A`.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    A.normalProduct(orZeros(v, A.columns), minus: t.isEmpty ? nil : t).product
  }
}

extension RidgeRegression {
  /// `Aᵀ(Ax − b) + θ ⊙ x`, in one pass over `A`.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var g = A.normalProduct(x, minus: b).product
    addPenaltyProduct(θ, x, to: &g)
    return g
  }

  /// `(AᵀAu + θ ⊙ u, u ⊙ x)` (`⟨u, x⟩` for one shared strength), in one pass over `A`.
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let u = orZeros(u, A.columns)
    var hu = A.normalProduct(u).product
    addPenaltyProduct(θ, u, to: &hu)
    return (hu, penaltyMixedTransposed(u, x, strengths: θ.count))
  }

  /// `AᵀAv + θ ⊙ v + t ⊙ x` (`t·x` for one shared strength), in one pass over `A`.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    let v = orZeros(v, A.columns)
    var out = A.normalProduct(v).product
    addPenaltyProduct(θ, v, to: &out)
    if !t.isEmpty { addPenaltyProduct(t, x, to: &out) }
    return out
  }
}

extension BinaryLogisticRegression {
  /// `−X̃ᵀ(y ⊙ (1 − s))/n + θ ⊙ w` (as `Mᵀσ(Mx)/n` with `M = −diag(y)X̃`), in one pass over the data.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var g = negatedSignedDesign.meanSoftplusValueAndGradient(x).gradient
    addPenaltyProduct(θ, prefix(x, features.columns), to: &g)
    return g
  }

  /// `Mᵀ diag(σ(1 − σ))/n M`: the curvature weights at `x`, computed once per point.
  func curvatureWeights(at x: Vector<Double>) -> Vector<Double> {
    curvature.value(at: x) { negatedSignedDesign.meanSoftplusCurvature(x) }
  }

  /// `(X̃ᵀ diag(s(1 − s)) X̃ u/n + diag(θ, 0)u, u_w ⊙ w)` (`⟨u_w, w⟩` for one shared strength);
  /// one pass over the data per product once the weights at `x` are known.
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let u = orZeros(u, solutionDimension)
    var hu = negatedSignedDesign.normalProduct(u, weights: curvatureWeights(at: x)).product
    let d = features.columns
    addPenaltyProduct(θ, prefix(u, d), to: &hu)
    return (hu, penaltyMixedTransposed(prefix(u, d), prefix(x, d), strengths: θ.count))
  }

  /// `X̃ᵀ diag(s(1 − s)) X̃ v/n + diag(θ, 0)v + (t ⊙ w, 0)`; one pass over the data per product
  /// once the weights at `x` are known.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    let v = orZeros(v, solutionDimension)
    var out = negatedSignedDesign.normalProduct(v, weights: curvatureWeights(at: x)).product
    let d = features.columns
    addPenaltyProduct(θ, prefix(v, d), to: &out)
    if !t.isEmpty { addPenaltyProduct(t, prefix(x, d), to: &out) }
    return out
  }
}
