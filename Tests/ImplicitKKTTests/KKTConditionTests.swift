import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Testing
import _Differentiation

/// Projection of θ onto {x : Σx = 1, ‖x‖² ≤ r²}: a nonlinear KKT problem with a closed form.
struct BallSliceProjection: ConstrainedProblem {
  var radius: Double

  @differentiable(reverse)
  func objective<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S { S(0.5) * (x - θ).squaredNorm() }

  @differentiable(reverse)
  func equalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
    Vector([S(1)]) * (x.sum() - S(1))
  }

  @differentiable(reverse)
  func inequalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
    Vector([S(1)]) * (x.squaredNorm() - S(radius * radius))
  }

  /// The closed form. Project onto the hyperplane (y), then onto the slice's circle of centre
  /// 1/n and radius ρ = √(r² − 1/n), of which y lies outside here (D = ‖y − 1/n‖ > ρ):
  /// x = 1/n + ρ(y − 1/n)/D. Multipliers from x − θ + ν𝟙 + 2λx = 0: the part orthogonal to 𝟙
  /// gives λ = (D − ρ)/(2ρ), the mean gives ν.
  func solution(_ θ: Vector<Double>) -> KKTSolution {
    let n = Double(θ.count)
    let y = θ - (θ.sum() - 1) / n
    let centred = y - 1 / n
    let D = centred.norm(), ρ = (radius * radius - 1 / n).squareRoot()
    let x = ρ / D * centred + 1 / n
    let λ = (D - ρ) / (2 * ρ)
    let ν = -(x - θ + 2 * λ * x).sum() / n
    return KKTSolution(primal: x, equality: Vector([ν]), inequality: Vector([λ]))
  }
}

/// A quadratic program written as a general ``ConstrainedProblem`` with θ = c.
struct QuadraticProgramAsProblem: ConstrainedProblem {
  var program: QuadraticProgram

  @differentiable(reverse)
  func objective<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    S(0.5) * x.dot(Matrix<S>(converting: program.Q) * x) + θ.dot(x)
  }

  @differentiable(reverse)
  func equalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
    Matrix<S>(converting: program.E) * x - Vector<S>(converting: program.d.scalars)
  }

  @differentiable(reverse)
  func inequalityConstraints<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> Vector<S> {
    Matrix<S>(converting: program.G) * x - Vector<S>(converting: program.h.scalars)
  }
}

@Suite struct KKTConditionTests {
  let problem = BallSliceProjection(radius: 1)
  let θ = Vector<Double>([1.3, -0.4, 0.9, 0.2])

  @Test func closedFormIsARootOfTheGeneralCondition() {
    let z = problem.solution(θ)
    #expect(z.inequality[0] > 0.1)  // strictly active
    #expect(KKTCondition(problem)(z, θ).norm < 1e-14)
  }

  @Test func generalConditionJacobianMatchesFiniteDifferencesOfTheClosedForm() throws {
    let z = problem.solution(θ)
    let implicit = try ImplicitDifferentiator(KKTCondition(problem)).jacobian(at: z, θ)
    let reference = TestSupport.finiteDifferenceJacobian(at: θ) { Vector(problem.solution($0).flattened) }
    #expect(TestSupport.relativeError(implicit.matrix, reference) < 1e-7)
  }

  /// The hand-written pullback (dual numbers) against central differences of F's value.
  @Test func generalConditionDerivativesMatchFiniteDifferencesOfF() throws {
    let condition = KKTCondition(problem)
    // Away from the root, with a nonzero λ and ν, so that every term matters.
    let z = KKTSolution(primal: Vector([0.3, -0.2, 0.5, 0.6]), equality: Vector([0.7]), inequality: Vector([0.4]))
    let lin = try ImplicitDifferentiator(condition).linearize(at: z, θ)
    let a = lin.materializedA(), b = lin.materializedB()
    let aReference = TestSupport.finiteDifferenceJacobian(at: Vector(z.flattened)) {
      Vector(condition(z.unflattened($0.scalars), θ).flattened)
    }
    let bReference = TestSupport.finiteDifferenceJacobian(at: θ) { Vector(condition(z, $0).flattened) }
    #expect(TestSupport.relativeError(a, aReference) < 1e-8)
    #expect(TestSupport.relativeError(b, bReference) < 1e-8)
    // The exact forward products agree with the reverse ones.
    var rng = SeededGenerator(seed: 3)
    let v = z.unflattened(rng.normalVector(z.dimension).scalars), t = rng.normalVector(θ.count)
    let av = condition.solutionJacobianProduct(v, at: z, θ)!, bt = condition.parameterJacobianProduct(t, at: z, θ)!
    #expect(TestSupport.relativeError(Vector(av.flattened), a * Vector(v.flattened)) < 1e-13)
    #expect(TestSupport.relativeError(Vector(bt.flattened), b * t) < 1e-13)
  }

  @Test func generalConditionOnAQuadraticProgramMatchesReSolving() throws {
    let planted = PlantedQuadraticProgram(variables: 5, equalities: 1, inequalities: 5, active: 2, seed: 21)
    let problem = QuadraticProgramAsProblem(program: planted.program)
    let c = planted.program.c
    let z = try ActiveSetQPSolver().solve(planted.program).converged().point
    let implicit = try ImplicitDifferentiator(KKTCondition(problem)).jacobian(at: z, c)
    let reference = TestSupport.finiteDifferenceJacobian(at: c) { c in
      var program = planted.program
      program.c = c
      return Vector(
        (try? ActiveSetQPSolver().solve(program).converged().point.flattened)
          ?? Array(repeating: .nan, count: z.dimension))
    }
    #expect(TestSupport.relativeError(implicit.matrix, reference) < 1e-7)
  }

  @Test(arguments: [UInt64(31), 32, 33])
  func qpConditionVanishesAtSolverSolutions(_ seed: UInt64) throws {
    let planted = PlantedQuadraticProgram(variables: 8, equalities: 2, inequalities: 10, active: 4, seed: seed)
    let condition = QuadraticProgramKKTCondition()
    for run in [try ActiveSetQPSolver().solve(planted.program), try ADMMQPSolver().solve(planted.program)] {
      let s = try run.converged()
      let residual = condition(s.point, planted.program)
      #expect(residual.norm < 1e-12 * max(1, s.point.norm), "\(run.solver)")
    }
  }

  /// AD of the QP condition and its hand-written forward products against central differences.
  @Test func qpConditionDerivativesMatchFiniteDifferencesOfF() throws {
    let planted = PlantedQuadraticProgram(variables: 4, equalities: 1, inequalities: 3, active: 1, seed: 41)
    let condition = QuadraticProgramKKTCondition()
    var rng = SeededGenerator(seed: 5)
    let program = planted.program
    let z = planted.solution.unflattened(rng.normalVector(planted.solution.dimension).scalars)
    let lin = try ImplicitDifferentiator(condition).linearize(at: z, program)
    let a = lin.materializedA(), b = lin.materializedB()
    let aReference = TestSupport.finiteDifferenceJacobian(at: Vector(z.flattened)) {
      Vector(condition(z.unflattened($0.scalars), program).flattened)
    }
    let bReference = TestSupport.finiteDifferenceJacobian(at: Vector(program.flattened)) {
      Vector(condition(z, program.unflattened($0.scalars)).flattened)
    }
    #expect(TestSupport.relativeError(a, aReference) < 1e-8)
    #expect(TestSupport.relativeError(b, bReference) < 1e-8)
    let v = z.unflattened(rng.normalVector(z.dimension).scalars)
    let t = program.unflattened(rng.normalVector(program.dimension).scalars)
    let av = condition.solutionJacobianProduct(v, at: z, program)!
    let bt = condition.parameterJacobianProduct(t, at: z, program)!
    #expect(TestSupport.relativeError(Vector(av.flattened), a * Vector(v.flattened)) < 1e-13)
    #expect(TestSupport.relativeError(Vector(bt.flattened), b * Vector(t.flattened)) < 1e-13)
  }
}
