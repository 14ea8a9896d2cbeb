import Foundation
import ImplicitCore
import ImplicitMirrorDescent
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The svm-hyperparameters demo's unrolled solvers and its mirror-descent hypergradient.
@Suite struct SVMHyperparameterTests {
  static func problem() throws -> (SVMHyperparameterProblem, SVMUnrolledSolvers) {
    let data = try SVMHyperparameterData.gaussianClasses(
      classes: 3, features: 16, train: 10, validation: 12, test: 1, separation: 1, seed: 3)
    let problem = try SVMHyperparameterProblem(train: data.train, validation: data.validation)
    return (problem, SVMUnrolledSolvers(problem))
  }

  /// The unrolled copies are independent re-implementations of the library's three solvers:
  /// after the same number of iterations they must give the same validation loss.
  @Test(arguments: SVMDualSolver.allCases)
  func unrolledCopiesReproduceTheLibrarySolvers(solver: SVMDualSolver) throws {
    let (problem, unrolled) = try Self.problem()
    let logθ = 1.5, iterations = solver == .blockCoordinateDescent ? 7 : 40
    let θ = Foundation.exp(logθ)
    let library = problem.validationLoss(try problem.solve(solver, θ, iterations: iterations), θ)
    let copy = unrolled.hypergradient(solver, at: logθ, iterations: iterations).loss
    #expect(abs(library - copy) <= 1e-13 * abs(library))
  }

  /// The unrolled hypergradient (reverse mode through the iterations) against central finite
  /// differences of the same iterations.
  @Test(arguments: SVMDualSolver.allCases)
  func unrolledHypergradientMatchesFiniteDifferencesOfTheIterations(solver: SVMDualSolver) throws {
    let (_, unrolled) = try Self.problem()
    let logθ = 1.5, iterations = solver == .blockCoordinateDescent ? 7 : 40, h = 1e-6
    let g = unrolled.hypergradient(solver, at: logθ, iterations: iterations).derivative
    let fd =
      (unrolled.hypergradient(solver, at: logθ + h, iterations: iterations).loss
        - unrolled.hypergradient(solver, at: logθ - h, iterations: iterations).loss) / (2 * h)
    #expect(abs(g - fd) <= 1e-7 * max(abs(fd), 1e-3), "\(solver): \(g) vs \(fd)")
  }

  /// Mirror descent run to convergence, differentiated through the mirror-descent condition,
  /// against central finite differences of tightly re-solved validation losses. (Its iterate's
  /// subnormal entries are flushed to 0, as the demo does: see `flushingSubnormals`.)
  @Test func mirrorDescentHypergradientMatchesFiniteDifferencesOfResolving() throws {
    let (problem, _) = try Self.problem()
    let logθ = 1.5, θ = Foundation.exp(logθ)
    let run = try MirrorDescent(stepSize: problem.step(θ), tolerance: 1e-13, maxIterations: 200_000)
      .solve(mirrorMap: KLRowSimplexMirrorMap(columns: problem.classes), from: problem.start) {
        problem.gradient($0, θ)
      }
    let beta = SVMHyperparameterProblem.flushingSubnormals(run.solution)
    let implicit = try problem.implicitHypergradient(.mirrorDescent, beta: beta, θ)
    let h = 1e-4
    func resolvedLoss(_ s: Double) throws -> Double {
      problem.validationLoss(try problem.solveTightly(Foundation.exp(s)), Foundation.exp(s))
    }
    let fd = (try resolvedLoss(logθ + h) - resolvedLoss(logθ - h)) / (2 * h)
    #expect(abs(fd) > 1e-4)
    #expect(abs(implicit.derivative - fd) <= 1e-6 * abs(fd), "\(implicit.derivative) vs \(fd)")
  }

  /// The row operations of the unrolled block coordinate descent, against their definitions.
  @Test func unrolledRowOperationsHaveTheRightPullbacks() {
    var rng = SeededGenerator(seed: 4)
    let m = rng.normalMatrix(rows: 4, columns: 3)
    let w = rng.normalVector(4), r = rng.normalVector(3), v = rng.normalVector(3)
    let u = rng.normalMatrix(rows: 4, columns: 3)
    // ⟨v, mᵀw⟩ is linear in m with gradient w vᵀ.
    let gm = gradient(at: m) { m in SVMUnrolledOps.transposedTimes(m, w).dot(v) }
    for i in 0..<4 { for j in 0..<3 { #expect(abs(gm[i, j] - w[i] * v[j]) < 1e-15) } }
    // ⟨u, replace(m, 1, r)⟩: gradient u with row 1 zeroed for m, row 1 of u for r.
    let (dm, dr) = gradient(at: m, r) { m, r in (SVMUnrolledOps.replacingRow(m, 1, with: r).elementwiseProduct(u)).sum()
    }
    for j in 0..<3 {
      #expect(dm[1, j] == 0 && dm[0, j] == u[0, j] && abs(dr[j] - u[1, j]) < 1e-15)
    }
    // Row softmax: the pullback is the transpose of its Jacobian, checked by finite differences.
    let h = 1e-6
    let g = gradient(at: m) { m in SVMUnrolledOps.rowSoftmax(m).elementwiseProduct(u).sum() }
    for i in 0..<4 {
      for j in 0..<3 {
        var plus = m, minus = m
        plus[i, j] += h
        minus[i, j] -= h
        let fd =
          (SVMUnrolledOps.rowSoftmax(plus).elementwiseProduct(u).sum()
            - SVMUnrolledOps.rowSoftmax(minus).elementwiseProduct(u).sum()) / (2 * h)
        #expect(abs(g[i, j] - fd) < 1e-8)
      }
    }
  }
}
