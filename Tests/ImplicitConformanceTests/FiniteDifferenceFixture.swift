import Foundation
import ImplicitConformance
import ImplicitCore
import _Differentiation

/// `F(x, θ) = S x + c·x³ − N θ + noise(x)` (up to the noise, the gradient of
/// `½xᵀSx + c/4·Σx⁴ − ⟨Nθ, x⟩`, so `A` is symmetric) evaluated by plain loops that AD cannot see
/// through, with every derivative product by central differences — a legitimate condition that
/// declares `derivativeSource == .finiteDifference`, like an opaque simulator's gradient.
///
/// The noise (amplitude 1e-12, varying on the scale of the difference step) stands for the
/// rounding of a real opaque gradient: it leaves the root and the derivative of `x*` intact to
/// ~1e-12 but makes the central-difference products accurate to ~1e-8 only, as documented for
/// finite differences, so identities between them hold to that accuracy, not to rounding.
struct FiniteDifferenceCubic: OptimalityCondition {
  var c = 0.1
  /// A deliberate mistake: `B` with the wrong sign.
  var wrongSignOfB = false

  func residual(_ x: [Double], _ θ: [Double]) -> [Double] {
    let s = Fixtures.spd, n = Fixtures.N
    return (0..<x.count).map { i in
      var f = c * x[i] * x[i] * x[i] + 1e-12 * sin(1e6 * x[i] + Double(i))
      for j in 0..<x.count { f += s[i, j] * x[j] }
      for k in 0..<θ.count { f -= n[i, k] * θ[k] }
      return f
    }
  }

  /// Jacobi-relaxed iteration on this `F`, stopped when `‖F‖ ≤ tolerance`.
  func solve(_ θ: Vector<Double>, tolerance: Double) throws -> Vector<Double> {
    var x = [Double](repeating: 0, count: Fixtures.n)
    for _ in 0..<100_000 {
      let f = residual(x, θ.scalars)
      if Vector(f).norm() <= tolerance { return Vector(x) }
      for i in 0..<x.count { x[i] -= 0.8 * f[i] / (Fixtures.spd[i, i] + 3 * c * x[i] * x[i]) }
    }
    throw ImplicitError.solverDidNotConverge(solver: "jacobi", iterations: 100_000, residual: .nan)
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Vector(residual(x.scalars, θ.scalars))
  }

  @derivative(of: callAsFunction)
  func _vjp(_ x: Vector<Double>, _ θ: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Vector<Double>)
  ) {
    let columns = (0..<θ.count).map { k in
      parameterDifference((0..<θ.count).map { $0 == k ? 1.0 : 0.0 }, x.scalars, θ.scalars)
    }
    return (
      self(x, θ),
      { u in
        let u = u.isEmpty ? Vector.zeros(x.count) : u
        let bu = columns.map { column in zip(column, u.scalars).map { $0 * $1 }.reduce(0, +) }
        return (self.solutionDifference(u, x, θ), Vector(bu))
      }
    )
  }

  var structure: LinearStructure { .symmetric }
  var derivativeSource: ForwardProductSource { .finiteDifference }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    solutionDifference(v, x, θ)
  }

  /// `A v ≈ (F(x + hv) − F(x − hv)) / 2h`.
  func solutionDifference(_ v: Vector<Double>, _ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    Vector(Self.centralDifference(x.scalars, v.scalars) { residual($0, θ.scalars) })
  }

  /// `B t ≈ (F(θ + ht) − F(θ − ht)) / 2h` (sign flipped when the mistake is on).
  func parameterDifference(_ t: [Double], _ x: [Double], _ θ: [Double]) -> [Double] {
    let bt = Self.centralDifference(θ, t) { residual(x, $0) }
    return wrongSignOfB ? bt.map { -$0 } : bt
  }

  static func centralDifference(_ z: [Double], _ d: [Double], _ f: ([Double]) -> [Double]) -> [Double] {
    let dNorm = d.map { $0 * $0 }.reduce(0, +).squareRoot()
    guard dNorm > 0 else { return f(z).map { _ in 0 } }
    let zNorm = z.map { $0 * $0 }.reduce(0, +).squareRoot()
    let h = 6.0554544523933395e-06 * max(1, zNorm) / dNorm
    let plus = f(zip(z, d).map { $0 + h * $1 }), minus = f(zip(z, d).map { $0 - h * $1 })
    return zip(plus, minus).map { ($0 - $1) / (2 * h) }
  }

  /// The linear solves are checked against the same central-difference products, so they can
  /// meet a relative residual of about 1e-8, not the default 1e-10.
  func instance() -> Instance<FiniteDifferenceCubic> {
    Instance(
      condition: self, parameter: Fixtures.θ,
      options: ImplicitOptions(linearSolver: AutomaticLinearSolver(relativeTolerance: 1e-7))
    ) { θ, tolerance in try self.solve(θ, tolerance: tolerance) }
  }
}
