import ImplicitCore
import _Differentiation

/// The lasso's optimality condition restricted to the support `S` of the solution:
/// `F(v, λ) = X_Sᵀ(X_S v − y)/n + λ·sign(w*_S)` for `v = w_S`.
///
/// Why restrict: at a solution with strict complementarity (`|∇ⱼf| < λ` off `S`, checked by the
/// workload) the coordinates off `S` stay 0 under small changes of λ, and the full fixed-point
/// condition `ST(w − η∇f, ηλ) − w = 0` linearises to exactly this system on `S` (its `A` is
/// `−I` off `S` and `−η·H_SS` on `S`). The restriction keeps the structure that matters: `A = H_SS =
/// X_SᵀX_S/n` is symmetric positive definite (when `|S| ≤ n` and `X_S` has full column rank), so
/// plain CG solves it with condition number `κ(H_SS)`, instead of normal-equation CG on the
/// non-symmetric `p × p` system with `κ²`. `B = ∂F/∂λ = sign(w*_S)`.
struct LassoSupportCondition: OptimalityCondition {
  /// `X_S` (the support's columns, compacted) with the training targets.
  let data: SmoothDataSet
  /// `sign(w*_S)`.
  let signs: Vector<Double>

  /// Gathers the support's columns of `problem.train` (rows split over the team).
  init(problem: LassoProblem, support: [Int], signs: [Double]) {
    let (n, p, k) = (problem.samples, problem.features, support.count)
    let data = SmoothDataSet(rows: n, columns: k)
    let (source, chunks) = (problem.train, problem.train.chunks)
    let columns = support
    problem.train.team.run(chunks: chunks) { c in
      for i in smoothPartition(n, parts: chunks, c) {
        let row = source.x.p + i * p, target = data.x.p + i * k
        for c in 0..<k { target[c] = row[columns[c]] }
        data.y.p[i] = source.y.p[i]
      }
    }
    self.data = data
    self.signs = Vector(signs)
  }

  @differentiable(reverse)
  func callAsFunction(_ v: Vector<Double>, _ λ: Double) -> Vector<Double> { residual(v, λ) }

  @derivative(of: callAsFunction)
  func vjpCallAsFunction(_ v: Vector<Double>, _ λ: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Double)
  ) {
    (
      residual(v, λ),
      { u in
        let u = u.materialized(like: v)
        return (self.gramProduct(u), self.signs.innerProduct(with: u))
      }
    )
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  func validate(_ v: Vector<Double>, _ λ: Double) throws {
    try ImplicitError.checkDimension("w_S (one weight per support coordinate)", v.count, expected: data.columns)
  }

  func solutionJacobianProduct(_ u: Vector<Double>, at v: Vector<Double>, _ λ: Double) -> Vector<Double>? {
    gramProduct(u)
  }

  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at v: Vector<Double>, _ λ: Double) -> Vector<Double>? {
    gramProduct(u)
  }

  func parameterJacobianProduct(_ t: Double, at v: Vector<Double>, _ λ: Double) -> Vector<Double>? { t * signs }

  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at v: Vector<Double>, _ λ: Double) -> Double? {
    signs.innerProduct(with: u)
  }

  /// `X_Sᵀ(X_S v − y)/n + λ·s`: one fused pass over `X_S`.
  func residual(_ v: Vector<Double>, _ λ: Double) -> Vector<Double> {
    let k = data.columns
    let vb = SmoothBuffer.copy(v.scalars), out = SmoothBuffer.zeros(k)
    defer {
      vb.free()
      out.free()
    }
    let (y, scale) = (data.y, 1 / Double(data.rows))
    data.fusedProduct(vb, diagonal: nil, dots: nil, into: out) { i, d in (d - y.p[i]) * scale }
    var r = out.array(k)
    for c in 0..<k { r[c] += λ * signs[c] }
    return Vector(r)
  }

  /// `H_SS u = X_SᵀX_S u/n`: one fused pass over `X_S`.
  func gramProduct(_ u: Vector<Double>) -> Vector<Double> {
    let k = data.columns
    let ub = SmoothBuffer.copy(u.scalars), out = SmoothBuffer.zeros(k)
    defer {
      ub.free()
      out.free()
    }
    let scale = 1 / Double(data.rows)
    data.fusedProduct(ub, diagonal: nil, dots: nil, into: out) { _, d in d * scale }
    return Vector(out.array(k))
  }
}
