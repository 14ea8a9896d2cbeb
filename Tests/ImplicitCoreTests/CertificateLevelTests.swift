import ImplicitCore
import ImplicitTestSupport
import Synchronization
import Testing
import _Differentiation

/// Counts evaluations of `F`: every linearisation evaluates it once.
final class EvaluationCounter: Sendable {
  private let count = Mutex(0)
  func increment() { count.withLock { $0 += 1 } }
  var value: Int { count.withLock { $0 } }
}

/// ``CoupledCubicCondition`` that counts its evaluations.
struct CountedCubicCondition: OptimalityCondition {
  let base: CoupledCubicCondition
  let counter: EvaluationCounter

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    counter.increment()
    return base(x, θ)
  }
}

@Suite("Certificate levels")
struct CertificateLevelTests {
  /// At an unconverged x̂ both levels return the same derivative; the refined certificate bounds
  /// the true error (against the Jacobian at the exact root) and costs extra linearisations, the
  /// estimated one costs none.
  @Test func estimatedCertificateCostsNothingExtra() throws {
    let base = CoupledCubicCondition.example()
    let θ = [0.3, -0.2, 0.5]
    let root = base.newtonSolve(θ)
    let exact = base.referenceJacobian(root, θ)
    let x̂ = Vector(root.enumerated().map { $0.element + 1e-4 * Double($0.offset + 1) })
    let v = Vector([1.0, -2.0, 0.5, 0.3, 1.5])
    // vᵀJ at the exact root, from the reference Jacobian.
    let truth = (0..<3).map { c in (0..<5).reduce(0.0) { $0 + v[$1] * exact[$1][c] } }

    func run(_ level: DerivativePolicy.Certificate) throws -> (Derivative<Vector<Double>>, evaluations: Int) {
      let counter = EvaluationCounter()
      let condition = CountedCubicCondition(base: base, counter: counter)
      let options = ImplicitOptions(policy: DerivativePolicy(inaccuracy: .ignore, certificate: level))
      let d = try ImplicitDifferentiator(condition, options: options).vjp(v, at: x̂, Vector(θ))
      return (d, counter.value)
    }
    let (refined, refinedEvaluations) = try run(.refined)
    let (estimated, estimatedEvaluations) = try run(.estimated)
    #expect(refined.value == estimated.value)
    let trueError = TestSupport.relativeError(refined.value, Vector(truth)) * Vector(truth).norm()
    #expect(trueError > 0)
    #expect(refined.diagnostics.jacobianErrorEstimate >= trueError)
    #expect(refined.diagnostics.jacobianErrorEstimate <= 30 * trueError)
    #expect(estimated.diagnostics.jacobianErrorEstimate.isFinite && estimated.diagnostics.jacobianErrorEstimate > 0)
    #expect(estimatedEvaluations < refinedEvaluations)
  }
}
