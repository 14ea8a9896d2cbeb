import ImplicitCore
import _Differentiation

/// The lasso's full proximal-gradient fixed point, `F(w, λ) = ST(w − η∇f(w), ηλ) − w` on all `p`
/// coordinates (JAXopt's `ProximalGradient` optimality condition), with hand-written products.
///
/// With `m = sign(u)` where the soft threshold keeps `u = w − η∇f(w)` and 0 elsewhere
/// (`D = diag|m|`) and `H = XᵀX/n`: `A = D(I − ηH) − I` (not symmetric), `Aᵀu = (I − ηH)Du − u`,
/// `B = −η m`. Used as a cross-check of ``LassoSupportCondition`` and to time JAXopt's choice of
/// linear solver (normal-equation CG).
struct LassoProximalGradientCondition: OptimalityCondition {
  let problem: LassoProblem
  let cache = Cache()

  final class Cache {
    var point: [Double] = []
    var parameter = Double.nan
    var residual: [Double] = []
    var pattern: [Double] = []
  }

  init(_ problem: LassoProblem) { self.problem = problem }

  @differentiable(reverse)
  func callAsFunction(_ w: Vector<Double>, _ λ: Double) -> Vector<Double> { residual(w, λ) }

  @derivative(of: callAsFunction)
  func vjpCallAsFunction(_ w: Vector<Double>, _ λ: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Double)
  ) {
    (
      residual(w, λ),
      { u in
        let u = u.materialized(like: w)
        return (
          self.transposedJacobianProduct(u), -self.problem.stepSize * Vector(self.cache.pattern).innerProduct(with: u)
        )
      }
    )
  }

  var structure: LinearStructure { .general }

  func validate(_ w: Vector<Double>, _ λ: Double) throws {
    try ImplicitError.checkDimension("w (one weight per feature)", w.count, expected: problem.features)
  }

  func solutionJacobianProduct(_ v: Vector<Double>, at w: Vector<Double>, _ λ: Double) -> Vector<Double>? {
    let pattern = patternAt(w, λ)
    let hv = problem.gramProduct(v.scalars)
    let eta = problem.stepSize
    return Vector(v.scalars.indices.map { j in (pattern[j] == 0 ? 0 : v[j] - eta * hv[j]) - v[j] })
  }

  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at w: Vector<Double>, _ λ: Double) -> Vector<Double>? {
    _ = patternAt(w, λ)
    return transposedJacobianProduct(u)
  }

  func parameterJacobianProduct(_ t: Double, at w: Vector<Double>, _ λ: Double) -> Vector<Double>? {
    (-problem.stepSize * t) * Vector(patternAt(w, λ))
  }

  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at w: Vector<Double>, _ λ: Double) -> Double? {
    -problem.stepSize * Vector(patternAt(w, λ)).innerProduct(with: u)
  }

  /// `Aᵀu = (I − ηH)Du − u` with the pattern of the cached point.
  func transposedJacobianProduct(_ u: Vector<Double>) -> Vector<Double> {
    let pattern = cache.pattern
    let du = u.scalars.indices.map { pattern[$0] == 0 ? 0 : u[$0] }
    let hdu = problem.gramProduct(du)
    let eta = problem.stepSize
    return Vector(du.indices.map { du[$0] - eta * hdu[$0] - u[$0] })
  }

  func residual(_ w: Vector<Double>, _ λ: Double) -> Vector<Double> {
    _ = patternAt(w, λ)
    return Vector(cache.residual)
  }

  /// The support pattern at `(w, λ)` (computing the residual with it: one pass over `X`).
  func patternAt(_ w: Vector<Double>, _ λ: Double) -> [Double] {
    if cache.point == w.scalars && cache.parameter == λ { return cache.pattern }
    let g = problem.smoothGradient(at: w.scalars)
    let eta = problem.stepSize
    var residual = [Double](repeating: 0, count: w.count), pattern = residual
    for j in 0..<w.count {
      let u = w[j] - eta * g[j]
      let next = lassoSoftThreshold(u, eta * λ)
      residual[j] = next - w[j]
      pattern[j] = next == 0 ? 0 : (u > 0 ? 1 : -1)
    }
    cache.point = w.scalars
    cache.parameter = λ
    cache.residual = residual
    cache.pattern = pattern
    return pattern
  }
}

extension LassoProblem {
  /// `XᵀXv/n`: one fused pass.
  func gramProduct(_ v: [Double]) -> [Double] {
    let p = features
    let vb = SmoothBuffer.copy(v), out = SmoothBuffer.zeros(p)
    defer {
      vb.free()
      out.free()
    }
    let scale = 1 / Double(samples)
    train.fusedProduct(vb, diagonal: nil, dots: nil, into: out) { _, d in d * scale }
    return out.array(p)
  }
}
