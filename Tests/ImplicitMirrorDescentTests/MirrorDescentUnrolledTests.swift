import ImplicitCore
import ImplicitMirrorDescent
import ImplicitTestSupport
import Testing
import _Differentiation

/// `MirrorDescent.unrolled`: reverse-mode AD through the iterations agrees with the implicit
/// derivative once the iterations have converged (an interior, strongly convex entropic QP).
@Suite("Unrolled differentiation through mirror descent")
struct MirrorDescentUnrolledTests {
  /// A differentiable function cannot throw: a bad step gives NaN (it trapped before).
  @Test func badStepGivesNaNNotATrap() throws {
    let objective = EntropicQuadratic(Q: randomSPD(3, seed: 3), gamma: 0.4)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap())
    let start = Vector(repeating: 1.0 / 3, count: 3)
    for step in [Double.nan, 0, -1] {
      let x = MirrorDescent(stepSize: step, fixedIterations: 5).unrolled(
        condition, Vector([0.1, 0.2, 0.3]), from: start)
      #expect(x.count == 3 && x.scalars.allSatisfy(\.isNaN), "step \(step)")
    }
  }

  @Test func convergedEntropicQPAgreesWithTheImplicitDerivative() throws {
    let n = 5
    let θ = Vector([0.7, -0.2, 0.4, 1.1, -0.9])
    let objective = EntropicQuadratic(Q: randomSPD(n, seed: 3), gamma: 0.4)
    let condition = try MirrorDescentCondition(objective: objective, mirrorMap: KLSimplexMirrorMap())
    let start = Vector(repeating: 1 / Double(n), count: n)
    let solver = MirrorDescent(stepSize: 0.25, fixedIterations: 400)
    let run = try solver.solve(condition, θ, from: start)
    let p = try MirrorDescent(stepSize: 0.25, tolerance: 1e-15, maxIterations: 100_000)
      .solve(condition, θ, from: start).converged()
    #expect(TestSupport.relativeError(run.solution, p) < 1e-12)
    #expect(TestSupport.relativeError(solver.unrolled(condition, θ, from: start), run.solution) < 1e-14)
    let implicit = try ImplicitDifferentiator(condition).jacobian(at: p, θ).matrix
    let (_, pb) = valueWithPullback(at: θ) { θ in solver.unrolled(condition, θ, from: start) }
    var unrolled = Matrix<Double>.zeros(rows: n, columns: n)
    for i in 0..<n {
      let row = pb(.basis(i, count: n))
      for j in 0..<n { unrolled[i, j] = row[j] }
    }
    #expect(TestSupport.relativeError(unrolled, implicit) < 1e-9)
  }
}
