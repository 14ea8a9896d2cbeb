import ImplicitConformance
import ImplicitCore
import Testing
import _Differentiation

@Suite("The conformance kit accepts correct conditions")
struct KitAcceptsCorrectConditions {
  @Test("non-symmetric nonlinear condition, no structure declared")
  func nonSymmetric() {
    let condition = CubicCondition(M: Fixtures.nonSymmetric, N: Fixtures.N)
    let report = ConformanceKit().run(Fixtures.instance(condition: condition, M: Fixtures.nonSymmetric), name: "cubic")
    #expect(report.passed, "\(report)")
    // The checks that apply here really ran (were not skipped).
    for name in [
      "residual", "residual-shrinks", "adjoint-A", "adjoint-B", "linearized-condition",
      "finite-differences", "unrolled", "theorem-1",
    ] {
      #expect(report.check(name)?.passed == true, "\(name) did not run and pass:\n\(report)")
    }
  }

  @Test("symmetric positive-definite condition with its structure declared")
  func declaredSPD() {
    let condition = CubicCondition(M: Fixtures.spd, N: Fixtures.N, declared: .symmetricPositiveDefinite)
    let report = ConformanceKit().run(Fixtures.instance(condition: condition, M: Fixtures.spd), name: "cubic-spd")
    #expect(report.passed, "\(report)")
    #expect(report.check("symmetry")?.passed == true)
    #expect(report.check("positive-definite")?.passed == true)
  }

  @Test("correct hand-written products are accepted")
  func correctOverrides() {
    let condition = OverridingCubic(base: CubicCondition(M: Fixtures.nonSymmetric, N: Fixtures.N), mistake: nil)
    let instance = Instance(condition: condition, parameter: Fixtures.θ) { θ, tolerance in
      try Fixtures.solveCubic(M: Fixtures.nonSymmetric, θ: θ, tolerance: tolerance)
    }
    let report = ConformanceKit().run(instance, name: "cubic-overrides")
    #expect(report.passed, "\(report)")
    for name in ["override-A", "override-Aᵀ", "override-B", "override-Bᵀ"] {
      #expect(report.check(name)?.passed == true, "\(name):\n\(report)")
    }
  }

  @Test("a condition with declared finite-difference derivatives is held to finite-difference bounds")
  func declaredFiniteDifferences() {
    let kit = ConformanceKit()
    let report = kit.run(FiniteDifferenceCubic().instance(), name: "finite-difference-cubic")
    #expect(report.passed, "\(report)")
    for name in ["adjoint-A", "adjoint-B", "override-A", "symmetry"] {
      let check = report.check(name)
      #expect(check?.passed == true, "\(name) did not run and pass:\n\(report)")
      #expect(check?.threshold == kit.finiteDifferenceProductBound, "\(name):\n\(report)")
    }
    for name in ["linearized-condition", "finite-differences", "theorem-1"] {
      #expect(report.check(name)?.passed == true, "\(name) did not run and pass:\n\(report)")
    }
  }

  @Test("a correct projection fixed point is accepted")
  func correctProjection() {
    let report = ConformanceKit().run(ClippedFixedPoint.instance(wrongJacobian: false), name: "clipped")
    #expect(report.passed, "\(report)")
  }
}
