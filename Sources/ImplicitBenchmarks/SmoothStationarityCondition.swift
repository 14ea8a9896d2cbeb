import ImplicitCore
import _Differentiation

/// The stationarity condition of a smooth workload, `F(w, θ) = ∇ₓf(w, θ) = Xᵀℓ'(Xw, y)/n + θ ∘ w`,
/// with hand-written products on the fused kernels:
/// `A = ∂F/∂w = Xᵀ diag(ℓ''(Xw)) X/n + diag(θ)` (symmetric positive definite: CG applies) and
/// `B = ∂F/∂θ = diag(w)`.
///
/// `A` depends on `w` through the per-sample curvatures `ℓ''(⟨xᵢ, w⟩)`; they are computed once per
/// point (by the residual evaluation the linearisation starts with) and reused by every product
/// of the linear solve, so each CG iteration costs exactly one pass over `X`.
struct SmoothStationarityCondition: OptimalityCondition {
  let problem: SmoothProblem
  /// Residual and curvatures at the last point seen (a class: the protocol's methods are not
  /// mutating, and the linearisation asks for them at one point many times).
  let cache = Cache()

  final class Cache {
    var point: [Double] = []
    var parameter: [Double] = []
    var residual: [Double] = []
    var curvaturePoint: [Double] = []
    var curvatures: [Double]?
  }

  init(_ problem: SmoothProblem) { self.problem = problem }

  @differentiable(reverse)
  func callAsFunction(_ w: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { residual(w, θ) }

  @derivative(of: callAsFunction)
  func vjpCallAsFunction(_ w: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    (
      residual(w, θ),
      { u in
        let u = u.materialized(like: w)
        return (self.hessianProduct(u, at: w, θ), w * u)
      }
    )
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  func validate(_ w: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("w (one weight per feature)", w.count, expected: problem.features)
    try ImplicitError.checkDimension("θ (one strength per feature)", θ.count, expected: problem.features)
  }

  func solutionJacobianProduct(_ v: Vector<Double>, at w: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    hessianProduct(v, at: w, θ)
  }

  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at w: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    hessianProduct(u, at: w, θ)
  }

  func parameterJacobianProduct(_ t: Vector<Double>, at w: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    w * t
  }

  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at w: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    w * u
  }

  /// `F(w, θ)`, remembered for the point (array identity makes the repeat check O(1)).
  func residual(_ w: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    if cache.point == w.scalars && cache.parameter == θ.scalars { return Vector(cache.residual) }
    let (gradient, margins) = problem.gradient(at: w.scalars, theta: θ.scalars)
    cache.point = w.scalars
    cache.parameter = θ.scalars
    cache.residual = gradient
    cache.curvaturePoint = w.scalars
    cache.curvatures = problem.curvatures(margins: margins)
    return Vector(gradient)
  }

  /// `A v` at `w`: one fused pass over `X` (plus one to get the curvatures at a new point).
  func hessianProduct(_ v: Vector<Double>, at w: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    if problem.loss != .squared && cache.curvaturePoint != w.scalars {
      cache.curvaturePoint = w.scalars
      cache.curvatures = problem.curvatures(margins: problem.gradient(at: w.scalars, theta: θ.scalars).margins)
    }
    return Vector(problem.hessianProduct(v.scalars, curvatures: cache.curvatures, theta: θ.scalars))
  }
}
