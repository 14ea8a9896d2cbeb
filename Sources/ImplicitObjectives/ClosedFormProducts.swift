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
  v.isSymbolicZero && count > 0 ? Vector.zeros(count) : v
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

/// `(Hu + θ ⊙ u_p, u_p ⊙ x_p)` — the pullback of a loss (Hessian product `hessian`) plus an l2
/// penalty on the first `penalised` of `dimension` coordinates (`⟨u_p, x_p⟩` for one strength).
func penalisedPullback(
  at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>, dimension: Int, penalised: Int,
  hessian: (Vector<Double>) -> Vector<Double>
) -> (x: Vector<Double>, θ: Vector<Double>) {
  let u = orZeros(u, dimension)
  var hu = hessian(u)
  addPenaltyProduct(θ, prefix(u, penalised), to: &hu)
  return (hu, penaltyMixedTransposed(prefix(u, penalised), prefix(x, penalised), strengths: θ.count))
}

/// `Hv + θ ⊙ v_p + t ⊙ x_p` — the forward product of the same loss plus penalty.
func penalisedJVP(
  at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>, dimension: Int,
  penalised: Int, hessian: (Vector<Double>) -> Vector<Double>
) -> Vector<Double> {
  let v = orZeros(v, dimension)
  var out = hessian(v)
  addPenaltyProduct(θ, prefix(v, penalised), to: &out)
  if !t.isEmpty { addPenaltyProduct(t, prefix(x, penalised), to: &out) }
  return out
}

extension LeastSquares: ClosedFormDerivatives {
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

extension RidgeRegression: ClosedFormDerivatives {
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
    penalisedPullback(at: x, θ, u, dimension: A.columns, penalised: A.columns) { A.normalProduct($0).product }
  }

  /// `AᵀAv + θ ⊙ v + t ⊙ x` (`t·x` for one shared strength), in one pass over `A`.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    penalisedJVP(at: x, θ, along: v, t, dimension: A.columns, penalised: A.columns) { A.normalProduct($0).product }
  }
}

extension BinaryLogisticRegression: ClosedFormDerivatives {
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
    let weights = curvatureWeights(at: x)
    return penalisedPullback(at: x, θ, u, dimension: solutionDimension, penalised: features.columns) {
      negatedSignedDesign.normalProduct($0, weights: weights).product
    }
  }

  /// `X̃ᵀ diag(s(1 − s)) X̃ v/n + diag(θ, 0)v + (t ⊙ w, 0)`; one pass over the data per product
  /// once the weights at `x` are known.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    let weights = curvatureWeights(at: x)
    return penalisedJVP(at: x, θ, along: v, t, dimension: solutionDimension, penalised: features.columns) {
      negatedSignedDesign.normalProduct($0, weights: weights).product
    }
  }
}

extension SoftmaxCrossEntropy: ClosedFormDerivatives {
  /// The row-wise softmax `P` (`n × k`, flat) of the scores `X̃W` at `x`, computed once per point.
  func probabilities(at x: Vector<Double>) -> Vector<Double> {
    softmaxCache.value(at: x) {
      let k = classes
      var p = design.times(Matrix(reshaping: x, rows: design.columns, columns: k)).scalars
      for i in 0..<design.rows {
        var top = p[i * k]
        for l in 1..<k where p[i * k + l] > top { top = p[i * k + l] }
        var total = 0.0
        for l in 0..<k {
          p[i * k + l] = Double.exp(p[i * k + l] - top)
          total += p[i * k + l]
        }
        for l in 0..<k { p[i * k + l] /= total }
      }
      return Vector(p)
    }
  }

  /// `X̃ᵀ(Ṗ − T)/n` with `Ṗᵢ = Pᵢ ⊙ (żᵢ − ⟨Pᵢ, żᵢ⟩)` and `Ż = X̃V` (the Hessian product along `v`
  /// plus the mixed product along the targets' direction `t`), and `Ż` itself; one pass over
  /// `X̃` along the `k` columns of `V`. Both flat, row by row.
  func secondOrderProduct(
    at x: Vector<Double>, along v: Vector<Double>, targets t: Vector<Double>?
  ) -> (product: [Double], scores: [Double]) {
    let (n, d, k) = (design.rows, design.columns, classes)
    let p = probabilities(at: x).scalars
    var directions = [Double](repeating: 0, count: k * d)
    for j in 0..<d { for l in 0..<k { directions[l * d + j] = v[j * k + l] } }
    let scale = 1 / Double(Swift.max(n, 1))
    // Context: the probabilities, then the targets' direction (zeros without one).
    let context = p + (t?.scalars ?? [Double](repeating: 0, count: n * k))
    let (scores, out) = design.fusedRowPass(directions: directions, count: k, context: context) {
      context, i, z, coefficients in
      let pi = context + i * k, ti = context + n * k + i * k
      var mean = 0.0
      for l in 0..<k { mean += pi[l] * z[l] }
      for l in 0..<k { coefficients[l] = (pi[l] * (z[l] - mean) - ti[l]) * scale }
    }
    var product = [Double](repeating: 0, count: d * k)
    for j in 0..<d { for l in 0..<k { product[j * k + l] = out[l * d + j] } }
    return (product, scores)
  }

  /// `X̃ᵀ(P − Θ)/n`, in one pass over the design.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let r = fusedSoftmaxCrossEntropy(
      values: x.scalars, derivatives: nil, targets: θ.scalars, targetDerivatives: nil, design: design, classes: classes)
    return Vector(r.x.map(\.value))
  }

  /// `(∇²f·u, −X̃U/n)`, in one pass over the design once `P` at `x` is known.
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    let r = secondOrderProduct(at: x, along: orZeros(u, solutionDimension), targets: nil)
    let scale = -1 / Double(Swift.max(design.rows, 1))
    return (Vector(r.product), Vector(r.scores.map { $0 * scale }))
  }

  /// `∇²f·v − X̃ᵀT/n`, in one pass over the design once `P` at `x` is known.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    Vector(secondOrderProduct(at: x, along: orZeros(v, solutionDimension), targets: t.isEmpty ? nil : t).product)
  }
}

extension L2MulticlassLogisticRegression: ClosedFormDerivatives {
  /// `X̃ᵀ(P − Y)/n + θ ⊙ W`, in one pass over the design.
  public func gradient(at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var g = crossEntropy.gradient(at: x, targets)
    addPenaltyProduct(θ, prefix(x, penalisedCount), to: &g)
    return g
  }

  /// `(∇²f·u, u_W ⊙ W)` (`⟨u_W, W⟩` for one shared strength), one pass over the design.
  public func gradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, _ u: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>) {
    penalisedPullback(at: x, θ, u, dimension: solutionDimension, penalised: penalisedCount) {
      Vector(crossEntropy.secondOrderProduct(at: x, along: $0, targets: nil).product)
    }
  }

  /// `∇²f·v + (t ⊙ W, 0)`, one pass over the design.
  public func gradientJVP(
    at x: Vector<Double>, _ θ: Vector<Double>, along v: Vector<Double>, _ t: Vector<Double>
  ) -> Vector<Double> {
    penalisedJVP(at: x, θ, along: v, t, dimension: solutionDimension, penalised: penalisedCount) {
      Vector(crossEntropy.secondOrderProduct(at: x, along: $0, targets: nil).product)
    }
  }
}
