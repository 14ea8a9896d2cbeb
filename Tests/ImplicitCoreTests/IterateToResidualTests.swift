import ImplicitCore
import Testing

/// `iterateToResidual` on `x ← x/2 + 1` (fixed point 2, residual |T(x) − x| = |2 − x|/2): the
/// iterates are known in closed form, `xₖ = 2 − 2·2^{−k}` from 0.
@Suite struct IterateToResidualTests {
  func halving(_ x: Double) -> (residual: Double, next: Double) { (abs(x / 2 + 1 - x), x / 2 + 1) }

  @Test func stopsAtTheFirstIterateWithinTheTolerance() throws {
    // The residual of xₖ is 2^{−k}: the first k with 2^{−k} ≤ tolerance.
    for (tolerance, k) in [(1e-1, 4), (1e-4, 14), (1e-9, 30)] {
      let run = try iterateToResidual(from: 0.0, tolerance: tolerance, solver: "halving", halving)
      let scale = Double(1 << k)
      #expect(run.iterations == k, "\(tolerance)")
      #expect(run.residual == 1 / scale, "\(tolerance)")
      #expect(abs(run.solution - (2 - 2 / scale)) <= 1e-15, "\(tolerance)")
    }
  }

  @Test func reportsStagnationWithTheBestResidual() {
    // A map stuck at residual 1e-3: no improvement, so it stops after `patience` iterations.
    #expect(throws: ImplicitError.solverDidNotConverge(solver: "stuck", iterations: 10, residual: 1e-3)) {
      try iterateToResidual(from: 0.0, tolerance: 1e-6, solver: "stuck", patience: 10) { x in (1e-3, x) }
    }
  }

  @Test func reportsTheIterationBudget() {
    #expect(throws: ImplicitError.solverDidNotConverge(solver: "halving", iterations: 5, residual: 1 / 32.0)) {
      try iterateToResidual(from: 0.0, tolerance: 1e-12, solver: "halving", maxIterations: 5, halving)
    }
  }

  @Test func rejectsANonFiniteResidual() {
    #expect(throws: ImplicitError.self) {
      try iterateToResidual(from: 0.0, tolerance: 1e-6, solver: "nan") { x in (.nan, x) }
    }
  }
}
