import ImplicitBlockCoordinateDescent
import ImplicitCore
import ImplicitFixedPoint
import ImplicitGradientStep
import ImplicitKKT
import ImplicitMirrorDescent
import ImplicitObjectives
import ImplicitProjections
import ImplicitProximal
import ImplicitRidge
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

// The pattern of a Swift 6 `main.swift`, once per family module: a file-scope `let` of an
// `ImplicitFunction` over the family's condition and a top-level differentiable function using
// it. This file compiling (Swift 6 language mode) is the check that each condition is
// `Sendable`; the tests then take the gradient on the caller's task and in a detached task and
// compare both with central differences of re-solving.
// (The proximal- and projected-gradient families pose `ProximalGradientCondition` from
// ImplicitGradientStep; the other families' conditions live in their own modules.)

enum SendableFixtures {
  static let A: Matrix<Double> = {
    var rng = SeededGenerator(seed: 31)
    return rng.normalMatrix(rows: 8, columns: 4)
  }()
  static let b: Vector<Double> = {
    var rng = SeededGenerator(seed: 32)
    return rng.normalVector(8)
  }()
  static func nan(_ n: Int) -> Vector<Double> { Vector(repeating: .nan, count: n) }
}

// Ridge: F(x, θ) = Aᵀ(Ax − b) + θx.
let ridgeFunction: ImplicitFunction<RidgeCondition> = {
  let condition = try! RidgeCondition(A: SendableFixtures.A, b: SendableFixtures.b)
  return ImplicitFunction(condition: condition) { θ in (try? condition.solve(θ)) ?? SendableFixtures.nan(4) }
}()
@differentiable(reverse) func ridgeLoss(_ θ: Double) -> Double { ridgeFunction(θ).sum() }

// Stationarity: ∇ₓf(x, θ) = 0 for the ridge objective.
let stationarityFunction = ImplicitFunction(
  minimizing: try! RidgeRegression(A: SendableFixtures.A, b: SendableFixtures.b), stronglyConvex: true,
  solver: NewtonCG(tolerance: 1e-13), initialGuess: .zeros(4))
@differentiable(reverse) func stationarityLoss(_ θ: Vector<Double>) -> Double { stationarityFunction(θ).sum() }

// KKT: an equality-constrained QP, differentiated in every entry of the program.
let qpFunction = ImplicitFunction(condition: QuadraticProgramKKTCondition()) { (program: QuadraticProgram) in
  (try? ActiveSetQPSolver().solve(program).converged().point)
    ?? KKTSolution(primal: SendableFixtures.nan(4), equality: SendableFixtures.nan(1), inequality: Vector([]))
}
@differentiable(reverse) func qpLoss(_ program: QuadraticProgram) -> Double { qpFunction(program).primal.sum() }

// Proximal gradient: the lasso, θ = [b; λ].
let lassoFunction: ImplicitFunction<ProximalGradientCondition<LeastSquares, LassoProximal>> = {
  let condition = try! ProximalGradientCondition(
    objective: try! LeastSquares(A: SendableFixtures.A), prox: LassoProximal(), objectiveParameterCount: 8,
    proxParameter: Vector([0.3]))
  return ImplicitFunction(condition: condition) { θ in
    (try? FISTA(tolerance: 1e-13).solve(condition, θ, from: .zeros(4)).converged()) ?? SendableFixtures.nan(4)
  }
}()
@differentiable(reverse) func lassoLoss(_ θ: Vector<Double>) -> Double { lassoFunction(θ).sum() }

// Projected gradient: least squares on a box, θ = [b; lower; upper].
let boxFunction: ImplicitFunction<ProximalGradientCondition<LeastSquares, ProjectionProximal<BoxProjection>>> = {
  let condition = try! ProximalGradientCondition(
    objective: try! LeastSquares(A: SendableFixtures.A), projection: BoxProjection(), objectiveParameterCount: 8,
    projectionParameter: BoxBounds(lower: Vector(repeating: -0.2, count: 4), upper: Vector(repeating: 0.2, count: 4)))
  return ImplicitFunction(condition: condition) { θ in
    (try? FISTA(tolerance: 1e-13).solve(condition, θ, from: .zeros(4)).converged()) ?? SendableFixtures.nan(4)
  }
}()
@differentiable(reverse) func boxLoss(_ θ: Vector<Double>) -> Double { boxFunction(θ).sum() }

// Mirror descent: least squares on the simplex in the KL geometry, θ = b.
let mirrorFunction: ImplicitFunction<MirrorDescentCondition<LeastSquares, KLSimplexMirrorMap>> = {
  let condition = try! MirrorDescentCondition(
    objective: try! LeastSquares(A: SendableFixtures.A), mirrorMap: KLSimplexMirrorMap())
  return ImplicitFunction(condition: condition) { θ in
    (try? MirrorDescent(stepSize: 0.02, tolerance: 1e-13, maxIterations: 200_000)
      .solve(condition, θ, from: Vector(repeating: 0.25, count: 4)).converged()) ?? SendableFixtures.nan(4)
  }
}()
@differentiable(reverse) func mirrorLoss(_ θ: Vector<Double>) -> Double {
  mirrorFunction(θ).dot(Vector([1, -2, 3, 0.5]))
}

// Block coordinate descent: least squares on a product of two simplices, θ = b.
let blockFunction: ImplicitFunction<BlockCoordinateDescentCondition<LeastSquares, SimplexProjection>> = {
  let condition = try! BlockCoordinateDescentCondition(
    objective: try! LeastSquares(A: SendableFixtures.A), blockProjection: SimplexProjection(), projectionParameter: 1,
    blocks: try! BlockPartition(blockSize: 2, dimension: 4), objectiveParameterCount: 8)
  let solver = BlockCoordinateDescent(tolerance: 1e-13, maxSweeps: 200_000)
  let start = Vector<Double>(repeating: 0.5, count: 4)
  return ImplicitFunction(condition: condition) { θ in
    (try? solver.solve(condition, θ, from: start).converged()) ?? SendableFixtures.nan(4)
  }
}()
@differentiable(reverse) func blockLoss(_ θ: Vector<Double>) -> Double {
  blockFunction(θ).dot(Vector([1, -2, 3, 0.5]))
}

// Fixed point: x = 0.2·exp(−Mx) + θ (a contraction for this M).
struct DampedExponentialMap: FixedPointMap, Sendable {
  var M: Matrix<Double>
  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> { 0.2 * (-1.0 * (M * x)).exp() + θ }
}
let fixedPointFunction = ImplicitFunction(
  fixedPointOf: DampedExponentialMap(M: 0.05 * (SendableFixtures.A.transposed() * SendableFixtures.A)),
  solver: AndersonAcceleration(tolerance: 1e-13), initialGuess: .zeros(4))
@differentiable(reverse) func fixedPointLoss(_ θ: Vector<Double>) -> Double { fixedPointFunction(θ).sum() }

@Suite("Every family's ImplicitFunction is Sendable")
struct SendableFamilyFunctionsTests {
  /// The gradient on this task and in a detached task agree exactly, and match central
  /// differences of re-solving (`loss` re-solves: the solver runs in the forward pass).
  func check<P: InnerProductSpace & Sendable>(
    _ θ: P, _ direct: P, _ detached: P, tolerance: Double, step: Double = 1e-5, _ loss: (P) -> Double
  ) {
    #expect(direct.flattened == detached.flattened, "detached \(detached) vs direct \(direct)")
    let reference = FiniteDifferences.gradient(at: θ, step: step, loss)
    #expect(Reference.relativeError(direct.flattened, reference) < tolerance, "\(direct.flattened) vs \(reference)")
  }

  @Test func ridge() async {
    let θ = 0.7
    let detached = await Task.detached { gradient(at: θ, of: ridgeLoss) }.value
    check(θ, gradient(at: θ, of: ridgeLoss), detached, tolerance: 1e-7, ridgeLoss)
  }

  @Test func stationarity() async {
    let θ = Vector([0.7])
    let detached = await Task.detached { gradient(at: θ, of: stationarityLoss) }.value
    check(θ, gradient(at: θ, of: stationarityLoss), detached, tolerance: 1e-6, stationarityLoss)
  }

  @Test func kkt() async {
    var rng = SeededGenerator(seed: 33)
    let r = rng.normalMatrix(rows: 4, columns: 4, scale: 0.3)
    let program = QuadraticProgram(
      Q: 0.5 * (r + r.transposed()) + 3 * Matrix<Double>.identity(4), c: rng.normalVector(4),
      E: rng.normalMatrix(rows: 1, columns: 4),
      d: Vector([0.5]))
    let detached = await Task.detached { gradient(at: program, of: qpLoss) }.value
    check(program, gradient(at: program, of: qpLoss), detached, tolerance: 1e-6, qpLoss)
  }

  @Test func proximalGradient() async {
    let θ = Vector(SendableFixtures.b.scalars + [0.3])
    let detached = await Task.detached { gradient(at: θ, of: lassoLoss) }.value
    check(θ, gradient(at: θ, of: lassoLoss), detached, tolerance: 1e-6, lassoLoss)
  }

  @Test func projectedGradient() async {
    let θ = Vector(
      SendableFixtures.b.scalars + [Double](repeating: -0.2, count: 4) + [Double](repeating: 0.2, count: 4))
    let detached = await Task.detached { gradient(at: θ, of: boxLoss) }.value
    check(θ, gradient(at: θ, of: boxLoss), detached, tolerance: 1e-6, boxLoss)
  }

  @Test func mirrorDescent() async {
    // b near A·p for an interior p of the simplex: the solution has no zero coordinate, where the
    // KL iteration would only creep towards the face.
    let θ = SendableFixtures.A * Vector([0.1, 0.2, 0.3, 0.4]) + 0.05 * SendableFixtures.b
    let detached = await Task.detached { gradient(at: θ, of: mirrorLoss) }.value
    check(θ, gradient(at: θ, of: mirrorLoss), detached, tolerance: 1e-5, mirrorLoss)
  }

  @Test func blockCoordinateDescent() async {
    let θ = SendableFixtures.b
    let detached = await Task.detached { gradient(at: θ, of: blockLoss) }.value
    check(θ, gradient(at: θ, of: blockLoss), detached, tolerance: 1e-5, blockLoss)
  }

  @Test func fixedPoint() async {
    let θ = Vector([0.3, -0.2, 0.5, 0.1])
    let detached = await Task.detached { gradient(at: θ, of: fixedPointLoss) }.value
    check(θ, gradient(at: θ, of: fixedPointLoss), detached, tolerance: 1e-7, fixedPointLoss)
  }
}
