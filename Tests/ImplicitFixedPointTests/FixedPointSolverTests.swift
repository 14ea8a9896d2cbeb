import ImplicitCore
import ImplicitFixedPoint
import ImplicitTestSupport
import Testing
import _Differentiation

/// `T(x, θ) = g·sigmoid(Mx) + θ`: a contraction of rate at most `g·‖M‖₂/4` (`σ' ≤ ¼`), written
/// with differentiable vector operations.
struct SigmoidMap: FixedPointMap {
  let M: Matrix<Double>
  let gain: Double

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    gain * (M * x).sigmoid() + θ
  }

  func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("x", x.count, expected: M.columns)
    try ImplicitError.checkDimension("θ", θ.count, expected: M.rows)
  }

  static func example(gain: Double = 1.5) -> SigmoidMap {
    var rng = SeededGenerator(seed: 3)
    let M = rng.normalMatrix(rows: 6, columns: 6, scale: 0.4)
    return SigmoidMap(M: M, gain: gain)
  }
}

/// `T(x, θ) = Mx + θ` (linear): `x* = (I − M)⁻¹θ`, `∂x*/∂θ = (I − M)⁻¹`.
struct LinearMap: FixedPointMap {
  let M: Matrix<Double>
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { M * x + θ }
}

/// How often a ``CountingMap`` was evaluated (a class, so that the solver's copies share it).
final class EvaluationCount {
  var value = 0
}

/// A map that counts its evaluations.
struct CountingMap: FixedPointMap {
  let map: SigmoidMap
  let count: EvaluationCount
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    count.value += 1
    return map(x, θ)
  }
}

@Suite struct FixedPointSolverTests {
  let θ = Vector([0.3, -0.2, 0.5, 0.1, -0.4, 0.2])

  @Test func andersonAndPlainIterationReachTheSameFixedPoint() throws {
    let map = SigmoidMap.example()
    let start = Vector<Double>.zeros(6)
    let plainCount = EvaluationCount(), andersonCount = EvaluationCount()
    let plain = try FixedPointIteration(tolerance: 1e-12, maxIterations: 100_000).solve(
      CountingMap(map: map, count: plainCount), θ, from: start)
    let anderson = try AndersonAcceleration(memory: 5, tolerance: 1e-12).solve(
      CountingMap(map: map, count: andersonCount), θ, from: start)
    let a = try plain.converged(), b = try anderson.converged()
    #expect(Reference.relativeError(a.scalars, b.scalars) < 1e-10)
    // Both are fixed points by an independent evaluation of T with plain loops.
    for x in [a, b] {
      let mx = Reference.matvec(Reference.rows(map.M), x.scalars)
      let tx = (0..<6).map { map.gain * Reference.sigmoid(mx[$0]) + θ[$0] }
      #expect(Reference.norm(zip(tx, x.scalars).map { $0 - $1 }) <= 1e-12)
    }
    #expect(andersonCount.value < plainCount.value)
  }

  @Test func andersonMatchesTheLinearClosedForm() throws {
    var rng = SeededGenerator(seed: 4)
    let M = rng.normalMatrix(rows: 6, columns: 6, scale: 0.3)
    let x = try AndersonAcceleration(memory: 6, tolerance: 1e-13).solve(LinearMap(M: M), θ, from: Vector.zeros(6))
      .converged()
    // (I − M) x = θ
    var iMinusM = Reference.rows(M).map { $0.map { -$0 } }
    for i in 0..<6 { iMinusM[i][i] += 1 }
    #expect(Reference.relativeError(x.scalars, Reference.solve(iMinusM, θ.scalars)!) < 1e-11)
  }

  @Test func dampedIterationAndUnsafeguardedAndersonAlsoConverge() throws {
    let map = SigmoidMap.example()
    let reference = try FixedPointIteration(tolerance: 1e-13).solve(map, θ, from: Vector.zeros(6)).converged()
    let damped = try FixedPointIteration(tolerance: 1e-12, damping: 0.6).solve(map, θ, from: Vector.zeros(6))
      .converged()
    let free = try AndersonAcceleration(memory: 3, mixing: 0.8, safeguard: nil, tolerance: 1e-12)
      .solve(map, θ, from: Vector.zeros(6)).converged()
    #expect(Reference.relativeError(damped.scalars, reference.scalars) < 1e-10)
    #expect(Reference.relativeError(free.scalars, reference.scalars) < 1e-10)
  }

  @Test func nonConvergenceIsATypedError() throws {
    let map = SigmoidMap.example()
    let short = try FixedPointIteration(tolerance: 1e-14, maxIterations: 3).solve(map, θ, from: Vector.zeros(6))
    #expect(short.status == .maxIterationsReached)
    #expect {
      _ = try short.converged()
    } throws: { error in
      guard case ImplicitError.solverDidNotConverge(_, let iterations, let residual) = error else { return false }
      return iterations == 3 && residual == short.residual && residual > 1e-14
    }
    let shortAnderson = try AndersonAcceleration(tolerance: 1e-14, maxIterations: 2).solve(
      map, θ, from: Vector.zeros(6))
    #expect(shortAnderson.status == .maxIterationsReached)
    #expect(throws: ImplicitError.self) { try shortAnderson.converged() }
    // An expanding map diverges under plain iteration: reported, never a plausible number.
    let expanding = try FixedPointIteration(maxIterations: 2_000)
      .solve(LinearMap(M: Matrix<Double>.identity(6).scaled(by: 3)), θ, from: Vector(repeating: 1, count: 6))
    #expect(expanding.status == .nonFinite)
    #expect(throws: ImplicitError.self) { try expanding.converged() }
    // A translation T(x) = x + θ has no fixed point at all.
    let translation = LinearMap(M: Matrix<Double>.identity(6))
    for solver in [
      FixedPointIteration(maxIterations: 500) as any FixedPointSolver, AndersonAcceleration(maxIterations: 200),
    ] {
      let result = try solver.solve(translation, θ, from: Vector(repeating: 1, count: 6))
      #expect(result.status == .maxIterationsReached)
      #expect(throws: ImplicitError.self) { try result.converged() }
    }
  }

  @Test func invalidInputThrows() {
    let map = SigmoidMap.example()
    #expect(throws: ImplicitError.self) { try FixedPointIteration().solve(map, θ, from: Vector.zeros(3)) }
    #expect(throws: ImplicitError.self) { try FixedPointIteration(damping: 0).solve(map, θ, from: Vector.zeros(6)) }
    #expect(throws: ImplicitError.self) { try AndersonAcceleration(memory: 0).solve(map, θ, from: Vector.zeros(6)) }
    #expect(throws: ImplicitError.self) { try AndersonAcceleration(mixing: 1.5).solve(map, θ, from: Vector.zeros(6)) }
  }
}
