import Foundation
import ImplicitCore
import ImplicitGradientStep
import ImplicitMirrorDescent
import ImplicitProjections
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The svm-hyperparameters demo: the library's unrolled switches with the θ-dependent step folded
/// into the objective, and the implicit hypergradients.
@Suite struct SVMHyperparameterTests {
  static func problem() throws -> SVMHyperparameterProblem {
    let data = try SVMHyperparameterData.gaussianClasses(
      classes: 3, features: 16, train: 10, validation: 12, test: 1, separation: 1, seed: 3)
    return try SVMHyperparameterProblem(train: data.train, validation: data.validation)
  }

  /// `β` after `n` steps of size `θ/‖X‖₂²` on the dual `f` itself, by the library solvers driven
  /// by the dual's gradient at `θ`: the schedule without the reparametrisation.
  static func stepsOnTheDual(_ problem: SVMHyperparameterProblem, _ solver: SVMDualSolver, logθ: Double, _ n: Int)
    throws -> Vector<Double>
  {
    let θ = Foundation.exp(logθ), η = θ / problem.inLogθ.squaredNorm
    let gradient = { (beta: Vector<Double>) in problem.objective.gradient(at: beta, Vector([θ])) }
    switch solver {
    case .mirrorDescent:
      return try MirrorDescent(stepSize: η, fixedIterations: n)
        .solve(mirrorMap: KLRowSimplexMirrorMap(columns: problem.classes), from: problem.start, gradient: gradient)
        .solution
    case .blockCoordinateDescent:
      // Cyclic sweeps written out: row i takes the step θ/‖xᵢ‖² on the dual's full gradient.
      var beta = problem.start
      let k = problem.classes, x = problem.objective.X
      for _ in 0..<n {
        for i in 0..<problem.samples {
          let row = x.row(i), g = gradient(beta)
          let step = θ / row.dot(row)
          let z = Vector((0..<k).map { c in beta[i * k + c] - step * g[i * k + c] })
          let p = SimplexProjection().project(z, 1)
          for c in 0..<k { beta[i * k + c] = p[c] }
        }
      }
      return beta
    case .projectedGradient:
      let projection = RowSimplexProjection(columns: problem.classes)
      return try FISTA.fixedIterations(n, stepSize: η)
        .solve(from: problem.start, gradient: gradient, prox: { z, _ in projection.project(z, Vector([])) }).solution
    }
  }

  /// Folding the step into the objective changes nothing in the iterates: the unrolled switch's
  /// loss equals the loss after the same steps on `f` with the step `θ/‖X‖₂²`.
  @Test(arguments: SVMDualSolver.allCases)
  func unrolledSwitchRunsTheStepsOnTheDual(solver: SVMDualSolver) throws {
    let problem = try Self.problem()
    let logθ = 1.5, iterations = 40
    let reference = problem.validationLoss(
      try Self.stepsOnTheDual(problem, solver, logθ: logθ, iterations), Foundation.exp(logθ))
    let unrolled = problem.unrolledHypergradient(solver, at: logθ, iterations: iterations).loss
    #expect(abs(reference - unrolled) <= 1e-13 * abs(reference))
  }

  /// The unrolled hypergradient in `log θ` (the θ-dependent step included) against central finite
  /// differences of the steps on `f` with step `θ/‖X‖₂²`.
  @Test(arguments: SVMDualSolver.allCases)
  func unrolledHypergradientMatchesFiniteDifferencesOfTheIterations(solver: SVMDualSolver) throws {
    let problem = try Self.problem()
    let logθ = 1.5, iterations = 40, h = 1e-6
    let g = problem.unrolledHypergradient(solver, at: logθ, iterations: iterations).derivative
    func loss(_ s: Double) throws -> Double {
      problem.validationLoss(try Self.stepsOnTheDual(problem, solver, logθ: s, iterations), Foundation.exp(s))
    }
    let fd = (try loss(logθ + h) - loss(logθ - h)) / (2 * h)
    #expect(abs(g - fd) <= 1e-7 * max(abs(fd), 1e-3), "\(solver): \(g) vs \(fd)")
  }

  /// Each solver run to convergence, differentiated through its own condition, against central
  /// finite differences of tightly re-solved validation losses. (Mirror descent's subnormal
  /// entries are flushed to 0, as the demo does: see `flushingSubnormals`.)
  @Test(arguments: SVMDualSolver.allCases)
  func implicitHypergradientMatchesFiniteDifferencesOfResolving(solver: SVMDualSolver) throws {
    let problem = try Self.problem()
    let logθ = 1.5
    let beta: Vector<Double>
    switch solver {
    case .mirrorDescent:
      let run = try MirrorDescent(stepSize: 1, tolerance: 1e-13, maxIterations: 200_000)
        .solve(problem.mirrorDescentCondition, Vector([logθ]), from: problem.start)
      beta = SVMHyperparameterProblem.flushingSubnormals(run.solution)
    default: beta = try problem.solveTightly(logθ: logθ)
    }
    let implicit = try problem.implicitHypergradient(solver, beta: beta, logθ: logθ)
    let h = 1e-4
    func resolvedLoss(_ s: Double) throws -> Double {
      problem.validationLoss(try problem.solveTightly(logθ: s), Foundation.exp(s))
    }
    let fd = (try resolvedLoss(logθ + h) - resolvedLoss(logθ - h)) / (2 * h)
    #expect(abs(fd) > 1e-4)
    #expect(abs(implicit.derivative - fd) <= 1e-6 * abs(fd), "\(solver): \(implicit.derivative) vs \(fd)")
  }
}
