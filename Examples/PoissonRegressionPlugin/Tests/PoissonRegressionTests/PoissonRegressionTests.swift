import Foundation
import ImplicitConformance
import ImplicitCore
import ImplicitReferenceCases
import PoissonRegression
import Testing

// docs-example: plugin-authors-4
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

func referenceCase() throws -> ReferenceCase {
  try ReferenceCase(
    contentsOf: packageRoot.appendingPathComponent("Catalog/poisson-regression/cases/poisson_wrt_theta.json"))
}

@Test("the condition passes the library's conformance kit")
func conformance() throws {
  let registry = FamilyRegistry()
  try PoissonRegressionFamily.register(in: registry)
  let (reports, skipped) = ConformanceKit().runRegistered(registry, cases: [try referenceCase()])
  #expect(skipped.isEmpty)
  #expect(reports.count == 1)
  for r in reports { #expect(r.passed, "\(r)") }
  // The checks that matter for this condition really ran.
  for name in [
    "residual", "residual-shrinks", "adjoint-A", "adjoint-B", "override-B", "finite-differences", "symmetry",
    "positive-definite",
  ] {
    #expect(reports.first?.check(name)?.passed == true, "\(name) did not run and pass")
  }
}
// end-docs-example

@Test("the kit runs an instance built by hand, at a parameter no case covers")
func conformanceOfAnInstance() throws {
  let c = try referenceCase()
  let condition = try PoissonRegressionCondition(X: try c.matrix("X"), y: try c.vector("y"))
  // The same bundle `makeInstance` hands the registry: condition, θ, a solver taking a tolerance.
  let instance = Instance(condition: condition, parameter: 0.05) { θ, tolerance in
    try condition.solve(θ, tolerance: tolerance)
  }
  let report = ConformanceKit().run(instance, name: "poisson-regression θ = 0.05")
  #expect(report.passed, "\(report)")
}

@Test("the reference case (computed independently with NumPy) matches")
func referenceCaseMatches() throws {
  let registry = FamilyRegistry()
  try PoissonRegressionFamily.register(in: registry)
  let c = try referenceCase()
  let check = CaseCheck(c, evaluation: try registry.evaluate(c), tolerance: 1e-8)
  #expect(check.passed, "worst relative error \(check.worstRelativeError)")
}

@Test("bad input is a typed error")
func badInput() throws {
  #expect(throws: ImplicitError.self) { try PoissonRegressionCondition(X: Matrix([[1, 2]]), y: Vector([1, 2])) }
}
