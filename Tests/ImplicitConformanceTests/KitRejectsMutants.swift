import ImplicitConformance
import ImplicitCore
import Testing
import _Differentiation

/// The cubic condition with hand-written products, optionally wrong in one deliberate way.
struct OverridingCubic: OptimalityCondition {
  enum Mistake { case transposedA, wrongSignOfB }
  var base: CubicCondition
  var mistake: Mistake?

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { base(x, θ) }

  func jacobian(at x: Vector<Double>) -> Matrix<Double> {
    var a = base.M
    for i in 0..<x.count { a[i, i] += 3 * base.c * x[i] * x[i] }
    return a
  }
  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    jacobian(at: x) * v
  }
  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    mistake == .transposedA ? jacobian(at: x) * u : jacobian(at: x).transposedTimes(u)
  }
  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    -(base.N * t)
  }
  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    mistake == .wrongSignOfB ? base.N.transposedTimes(u) : -base.N.transposedTimes(u)
  }
}

/// The cubic condition with the cubic term missing — while the solver solves the full problem.
struct MissingTermCubic: OptimalityCondition {
  var M: Matrix<Double>, N: Matrix<Double>
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x - N * θ }
}

/// Projection onto the box [0, 1]ⁿ with a hand-written derivative, optionally wrong (the identity
/// instead of the mask of the free coordinates).
struct BoxClip {
  var wrongJacobian: Bool

  @differentiable(reverse)
  func callAsFunction(_ z: Vector<Double>) -> Vector<Double> { z.mapScalars { min(max($0, 0), 1) } }

  @derivative(of: callAsFunction)
  func _vjp(_ z: Vector<Double>) -> (value: Vector<Double>, pullback: (Vector<Double>) -> Vector<Double>) {
    let mask = Vector(z.scalars.map { $0 > 0 && $0 < 1 ? 1.0 : 0.0 })
    let wrong = wrongJacobian
    return (self(z), { v in wrong ? v : v * mask })
  }
}

/// Projected-gradient fixed point for ½xᵀSx − ⟨Nθ, x⟩ on the box: F = clip(x − η(Sx − Nθ)) − x.
struct ClippedFixedPoint: OptimalityCondition {
  var clip: BoxClip
  var eta = 0.2

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    clip(x - eta * (Fixtures.spd * x - Fixtures.N * θ)) - x
  }

  static func instance(wrongJacobian: Bool) -> Instance<ClippedFixedPoint> {
    let condition = ClippedFixedPoint(clip: BoxClip(wrongJacobian: wrongJacobian))
    // θ chosen so that some coordinates sit on the bounds and others are free.
    let θ = Vector<Double>([2.5, -2.0, 1.5])
    return Instance(condition: condition, parameter: θ) { θ, tolerance in
      var x = Vector<Double>.zeros(Fixtures.n)
      for _ in 0..<200_000 {
        let next = BoxClip(wrongJacobian: false)(x - 0.2 * (Fixtures.spd * x - Fixtures.N * θ))
        if (next - x).norm() <= tolerance { return next }
        x = next
      }
      throw ImplicitError.solverDidNotConverge(solver: "projected gradient", iterations: 200_000, residual: .nan)
    }
  }
}

@Suite("The conformance kit rejects wrong conditions")
struct KitRejectsMutants {
  let kit = ConformanceKit()

  @Test("transposed A in a hand-written Aᵀu")
  func transposedA() {
    let condition = OverridingCubic(
      base: CubicCondition(M: Fixtures.nonSymmetric, N: Fixtures.N), mistake: .transposedA)
    let instance = Instance(
      condition: condition, parameter: Fixtures.θ,
      unrolled: { θ in Fixtures.unrolledCubic(M: Fixtures.nonSymmetric, θ: θ) }
    ) { θ, tol in try Fixtures.solveCubic(M: Fixtures.nonSymmetric, θ: θ, tolerance: tol) }
    let report = kit.run(instance, name: "transposed-A")
    #expect(!report.passed)
    #expect(report.check("override-Aᵀ")?.passed == false, "\(report)")
    #expect(report.check("adjoint-A")?.passed == false, "\(report)")
    #expect(report.check("unrolled")?.passed == false, "\(report)")
  }

  @Test("wrong sign of B in a hand-written Bᵀu")
  func wrongSignOfB() {
    let condition = OverridingCubic(
      base: CubicCondition(M: Fixtures.nonSymmetric, N: Fixtures.N), mistake: .wrongSignOfB)
    let instance = Instance(
      condition: condition, parameter: Fixtures.θ,
      unrolled: { θ in Fixtures.unrolledCubic(M: Fixtures.nonSymmetric, θ: θ) }
    ) { θ, tol in try Fixtures.solveCubic(M: Fixtures.nonSymmetric, θ: θ, tolerance: tol) }
    let report = kit.run(instance, name: "wrong-sign-B")
    #expect(!report.passed)
    #expect(report.check("override-Bᵀ")?.passed == false, "\(report)")
    #expect(report.check("adjoint-B")?.passed == false, "\(report)")
    #expect(report.check("unrolled")?.passed == false, "\(report)")
  }

  @Test("a term missing from F")
  func missingTerm() {
    let condition = MissingTermCubic(M: Fixtures.nonSymmetric, N: Fixtures.N)
    let instance = Instance(condition: condition, parameter: Fixtures.θ) { θ, tol in
      try Fixtures.solveCubic(M: Fixtures.nonSymmetric, θ: θ, tolerance: tol)
    }
    let report = kit.run(instance, name: "missing-term")
    #expect(!report.passed)
    #expect(report.check("residual")?.passed == false, "\(report)")
    #expect(report.check("finite-differences")?.passed == false, "\(report)")
  }

  @Test("a projection with a wrong Jacobian")
  func wrongProjectionJacobian() {
    let report = kit.run(ClippedFixedPoint.instance(wrongJacobian: true), name: "clipped-wrong-jacobian")
    #expect(!report.passed)
    #expect(report.check("finite-differences")?.passed == false, "\(report)")
  }

  @Test("finite-difference derivatives with the wrong sign of B")
  func finiteDifferenceWrongSign() {
    let report = kit.run(FiniteDifferenceCubic(wrongSignOfB: true).instance(), name: "finite-difference-wrong-sign")
    #expect(!report.passed)
    #expect(report.check("finite-differences")?.passed == false, "\(report)")
  }

  @Test("a wrong structure hint (non-symmetric A declared symmetric positive definite)")
  func wrongStructureHint() {
    let condition = CubicCondition(M: Fixtures.nonSymmetric, N: Fixtures.N, declared: .symmetricPositiveDefinite)
    let report = kit.run(Fixtures.instance(condition: condition, M: Fixtures.nonSymmetric), name: "wrong-hint")
    #expect(!report.passed)
    #expect(report.check("symmetry")?.passed == false, "\(report)")
  }
}
