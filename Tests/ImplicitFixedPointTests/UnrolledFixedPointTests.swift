import ImplicitCore
import ImplicitFixedPoint
import ImplicitTestSupport
import Testing
import _Differentiation

/// ``FixedPointIteration/unrolled(_:_:from:iterations:)``: reverse mode through the iterations,
/// checked against central differences of the unrolled map and against the implicit derivative
/// of the fixed point (they agree as the iterations grow, `T` being a contraction).
@Suite struct UnrolledFixedPointTests {
  let θ = Vector([0.3, -0.2, 0.5, 0.1, -0.4, 0.2])
  let weights = Vector([1.0, -2, 0.5, 0.3, 1.5, -1])

  @Test func unrolledDerivativeMatchesFiniteDifferencesOfTheUnrolledMap() {
    let map = SigmoidMap.example()
    let start = Vector([0.2, 0, -0.1, 0.4, 0, 0.3])
    for damping in [1.0, 0.7] {
      let solver = FixedPointIteration(damping: damping)
      let g = gradient(at: θ) { θ in solver.unrolled(map, θ, from: start, iterations: 8).dot(weights) }
      let reference = FiniteDifferences.gradient(at: θ.scalars) { θ in
        solver.unrolled(map, Vector(θ), from: start, iterations: 8).dot(weights)
      }
      #expect(Reference.relativeError(g.scalars, reference) < 1e-7, "damping \(damping)")
    }
  }

  @Test func unrolledAndImplicitDerivativesAgreeAsTheIterationsGrow() {
    let map = SigmoidMap.example()
    let fixedPoint = ImplicitFunction(
      fixedPointOf: map, solver: AndersonAcceleration(tolerance: 1e-14), initialGuess: Vector.zeros(6))
    let implicit = gradient(at: θ) { θ in fixedPoint(θ).dot(weights) }
    let solver = FixedPointIteration()
    let errors = [2, 8, 32, 128].map { k in
      let g = gradient(at: θ) { θ in solver.unrolled(map, θ, from: Vector.zeros(6), iterations: k).dot(weights) }
      return Reference.relativeError(g.scalars, implicit.scalars)
    }
    #expect(errors[0] > 1e-2, "\(errors)")
    #expect(zip(errors, errors.dropFirst()).allSatisfy { $1 < $0 || $1 < 1e-12 }, "\(errors)")
    #expect(errors[3] < 1e-10, "\(errors)")
  }

  @Test func unrolledIteratesAreThoseOfTheSolver() throws {
    let map = SigmoidMap.example()
    for damping in [1.0, 0.6] {
      let solver = FixedPointIteration(tolerance: 0, maxIterations: 7, damping: damping)
      let run = try solver.solve(map, θ, from: Vector.zeros(6))
      #expect(run.status == .maxIterationsReached && run.iterations == 7)
      let unrolled = solver.unrolled(map, θ, from: Vector.zeros(6), iterations: 7)
      #expect(Reference.relativeError(unrolled.scalars, run.solution.scalars) < 1e-15, "damping \(damping)")
    }
  }

  /// Anderson's unrolled switch runs the solver's iterates (safeguard on and off).
  @Test func andersonUnrolledIteratesAreThoseOfTheSolver() throws {
    let map = SigmoidMap.example()
    for safeguard in [1.0, nil] {
      let solver = AndersonAcceleration(memory: 3, mixing: 0.9, safeguard: safeguard, tolerance: 0, maxIterations: 9)
      let run = try solver.solve(map, θ, from: Vector.zeros(6))
      #expect(run.status == .maxIterationsReached && run.iterations == 9)
      let unrolled = solver.unrolled(map, θ, from: Vector.zeros(6), iterations: 9)
      #expect(
        Reference.relativeError(unrolled.scalars, run.solution.scalars) < 1e-15, "\(String(describing: safeguard))")
    }
  }

  /// Through the mixing weights' least-squares solve: against central differences of the unrolled map.
  @Test func andersonUnrolledDerivativeMatchesFiniteDifferences() {
    let map = SigmoidMap.example()
    let start = Vector([0.2, 0, -0.1, 0.4, 0, 0.3])
    for (memory, mixing) in [(2, 1.0), (4, 0.7)] {
      let solver = AndersonAcceleration(memory: memory, mixing: mixing, safeguard: nil)
      let g = gradient(at: θ) { θ in solver.unrolled(map, θ, from: start, iterations: 6).dot(weights) }
      let reference = FiniteDifferences.gradient(at: θ.scalars) { θ in
        solver.unrolled(map, Vector(θ), from: start, iterations: 6).dot(weights)
      }
      #expect(Reference.relativeError(g.scalars, reference) < 1e-7, "memory \(memory)")
    }
  }

  @Test func andersonUnrolledTendsToImplicit() {
    let map = SigmoidMap.example()
    let fixedPoint = ImplicitFunction(
      fixedPointOf: map, solver: AndersonAcceleration(tolerance: 1e-14), initialGuess: Vector.zeros(6))
    let implicit = gradient(at: θ) { θ in fixedPoint(θ).dot(weights) }
    let solver = AndersonAcceleration()
    let errors = [1, 3, 6, 12].map { k in
      let g = gradient(at: θ) { θ in solver.unrolled(map, θ, from: Vector.zeros(6), iterations: k).dot(weights) }
      return Reference.relativeError(g.scalars, implicit.scalars)
    }
    print("Anderson unrolled vs implicit:", errors)
    #expect(errors[0] > 1e-2, "\(errors)")
    #expect(errors[3] < 1e-9, "\(errors)")
  }
}
