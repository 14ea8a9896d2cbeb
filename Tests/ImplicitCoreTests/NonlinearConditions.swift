import ImplicitCore
import ImplicitTestSupport
import _Differentiation

/// `F(x, θ) = M x + 0.2·x³ − N (θ + 0.1·θ²)` (powers elementwise), `M` non-symmetric `n×n`,
/// `N` `n×q`. Hand-derived: `A = M + 0.6·diag(x²)`, `B = −N·diag(1 + 0.2·θ)`.
///
/// Written once, generically over the scalar, so that forward products come exactly from dual
/// numbers (`dualJVP`) when `exactForwardProducts` is set.
struct CoupledCubicCondition: OptimalityCondition {
  let M: Matrix<Double>
  let N: Matrix<Double>
  var exactForwardProducts = false

  @differentiable(reverse,wrt: (x, θ))
  static func residual<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>, M: Matrix<S>, N: Matrix<S>) -> Vector<S> {
    M * x + S(0.2) * (x * x * x) - N * (θ + S(0.1) * (θ * θ))
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Self.residual(x, θ, M: M, N: N)
  }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    guard exactForwardProducts else { return nil }
    let θd = Vector<Dual>(converting: θ.scalars)
    let m = Matrix<Dual>(converting: M), n = Matrix<Dual>(converting: N)
    return dualJVP(at: x, along: v) { xd in Self.residual(xd, θd, M: m, N: n) }
  }

  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    guard exactForwardProducts else { return nil }
    let xd = Vector<Dual>(converting: x.scalars)
    let m = Matrix<Dual>(converting: M), n = Matrix<Dual>(converting: N)
    return dualJVP(at: θ, along: t) { θd in Self.residual(xd, θd, M: m, N: n) }
  }

  // MARK: Independent reference (plain loops)

  var mRows: Reference.Rows { Reference.rows(M) }
  var nRows: Reference.Rows { Reference.rows(N) }

  func referenceResidual(_ x: [Double], _ θ: [Double]) -> [Double] {
    let mx = Reference.matvec(mRows, x)
    let nθ = Reference.matvec(nRows, θ.map { (t: Double) -> Double in t + 0.1 * t * t })
    return (0..<x.count).map { (i: Int) -> Double in
      let cube: Double = x[i] * x[i] * x[i]
      return mx[i] + 0.2 * cube - nθ[i]
    }
  }

  /// `A = M + 0.6·diag(x²)`.
  func referenceA(_ x: [Double]) -> Reference.Rows {
    var a = mRows
    for i in 0..<x.count { a[i][i] += 0.6 * x[i] * x[i] }
    return a
  }

  /// `B = −N·diag(1 + 0.2·θ)`.
  func referenceB(_ θ: [Double]) -> Reference.Rows {
    nRows.map { row in (0..<θ.count).map { -row[$0] * (1 + 0.2 * θ[$0]) } }
  }

  /// `∂x*/∂θ = −A⁻¹B` (columns solved independently).
  func referenceJacobian(_ x: [Double], _ θ: [Double]) -> Reference.Rows {
    let a = referenceA(x), b = referenceB(θ)
    let columns = (0..<θ.count).map { c in Reference.solve(a, b.map { -$0[c] })! }
    return Reference.transpose(columns)
  }

  /// The root by Newton's method with the hand-derived `A` (to machine precision).
  func newtonSolve(_ θ: [Double]) -> [Double] {
    var x = [Double](repeating: 0, count: M.rows)
    for _ in 0..<100 {
      let f = referenceResidual(x, θ)
      let step = Reference.solve(referenceA(x), f)!
      x = Reference.subtract(x, step)
      if Reference.norm(step) <= 1e-15 * max(1, Reference.norm(x)) { break }
    }
    return x
  }

  /// A test instance: `n = 5`, `q = 3`.
  static func example(exactForwardProducts: Bool = false) -> CoupledCubicCondition {
    CoupledCubicCondition(
      M: Reference.matrix(Reference.nonSymmetric(5, seed: 31, shift: 3, scale: 1.5)),
      N: Reference.matrix(Reference.randomRows(5, 3, seed: 32)),
      exactForwardProducts: exactForwardProducts)
  }
}

/// `F(x, θ) = x³ − θ·c` (elementwise) with `x` a vector and `θ` a *scalar*: the mixed-type
/// case where a compiler defect returned garbage for derivatives with respect to `θ` alone.
/// Root `xᵢ = ∛(θcᵢ)`; `∂xᵢ/∂θ = cᵢ / (3xᵢ²)`.
struct MixedCubicCondition: OptimalityCondition {
  let c: Vector<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> { x * x * x - θ * c }

  func rootByBisection(_ θ: Double) -> [Double] {
    c.scalars.map { ci in
      let target = θ * ci
      var lo = -1.0 - Swift.abs(target), hi = 1.0 + Swift.abs(target)
      for _ in 0..<200 {
        let mid = 0.5 * (lo + hi)
        if mid * mid * mid < target { lo = mid } else { hi = mid }
        if hi - lo <= 4 * Double.ulpOfOne * Swift.abs(mid) { break }
      }
      return 0.5 * (lo + hi)
    }
  }

  func closedFormRoot(_ θ: Double) -> [Double] { c.scalars.map { Reference.cbrt(θ * $0) } }

  func closedFormDerivative(_ θ: Double) -> [Double] {
    c.scalars.map { ci in ci / (3 * Reference.cbrt(θ * ci) * Reference.cbrt(θ * ci)) }
  }
}
