import ImplicitCore
import ImplicitFixedPoint
import ImplicitTestSupport
import Testing
import _Differentiation

/// `ImplicitFunction(fixedPointOf:solver:initialGuess:)` (JAXopt's `custom_fixed_point`) against
/// the linear closed form and finite differences of re-solving.
@Suite struct ImplicitFixedPointFunctionTests {
  let θ = Vector([0.3, -0.2, 0.5, 0.1, -0.4, 0.2])

  @Test func linearFixedPointJacobianIsInverseOfIMinusM() throws {
    var rng = SeededGenerator(seed: 8)
    let M = rng.normalMatrix(rows: 6, columns: 6, scale: 0.3)
    let f = ImplicitFunction(
      fixedPointOf: LinearMap(M: M), solver: AndersonAcceleration(tolerance: 1e-13), initialGuess: Vector.zeros(6))
    let J = try f.differentiator.jacobian(at: f.solver(θ), θ).matrix
    var iMinusM = Reference.rows(M).map { $0.map { -$0 } }
    for i in 0..<6 { iMinusM[i][i] += 1 }
    for j in 0..<6 {
      let column = Reference.solve(iMinusM, (0..<6).map { $0 == j ? 1 : 0 })!
      #expect(Reference.relativeError((0..<6).map { J[$0, j] }, column) < 1e-11)
    }
  }

  @Test func gradientThroughANonlinearFixedPointMatchesFiniteDifferences() throws {
    let map = SigmoidMap.example()
    let solver = AndersonAcceleration(tolerance: 1e-13)
    let recorder = DiagnosticsRecorder()
    let f = ImplicitFunction(
      fixedPointOf: map, solver: solver, initialGuess: Vector.zeros(6), options: recorder.options)
    let weights = Vector([1.0, -2, 0.5, 0.3, 1.5, -1])
    let g = gradient(at: θ) { θ in f(θ).dot(weights) }
    let reference = FiniteDifferences.gradient(at: θ.scalars) { θ in
      (try? solver.solve(map, Vector(θ), from: Vector.zeros(6)).converged().dot(weights)) ?? .nan
    }
    #expect(Reference.relativeError(g.scalars, reference) < 1e-7)
    if case .success(let diagnostics) = recorder.last {
      #expect(diagnostics.isReliable)
      #expect(diagnostics.residualNorm <= 1e-13)
    } else {
      Issue.record("no diagnostics recorded")
    }
  }

  @Test func failedSolveIsVisibleAsNaN() {
    let f = ImplicitFunction(
      fixedPointOf: SigmoidMap.example(), solver: FixedPointIteration(tolerance: 1e-15, maxIterations: 2),
      initialGuess: Vector.zeros(6))
    let values = f(θ).scalars
    #expect(values.count == 6 && values.allSatisfy { $0.isNaN })
  }

  @Test func registersNoFamily() throws {
    let registry = FamilyRegistry()
    try FixedPointFamilies.register(in: registry)
    #expect(registry.familyNames.isEmpty)
  }
}
