import Foundation
import ImplicitCore
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The jacobian-precision demo's three problems: their exact Jacobians, unrolled Jacobians and
/// implicit Jacobians against independent references.
@Suite struct JacobianPrecisionTests {
  static func ridge() throws -> JacobianPrecisionRidge {
    var rng = SeededGenerator(seed: 21)
    return try JacobianPrecisionRidge(
      A: rng.normalMatrix(rows: 12, columns: 8, scale: 0.3), b: rng.normalVector(12), θ: 0.2)
  }

  static func lasso() throws -> JacobianPrecisionLasso {
    var rng = SeededGenerator(seed: 22)
    let A = rng.normalMatrix(rows: 15, columns: 10, scale: 1 / Foundation.sqrt(15))
    let b = A * Vector((0..<10).map { $0 < 3 ? 1.0 : 0 }) + rng.normalVector(15, scale: 0.1)
    return try JacobianPrecisionLasso(A: A, b: b, λ: 0.1 * A.transposedTimes(b).scalars.map(abs).max()!)
  }

  static func svm() throws -> JacobianPrecisionSVM {
    let data = try SVMHyperparameterData.gaussianClasses(
      classes: 3, features: 12, train: 8, validation: 1, test: 1, separation: 0.5, seed: 23)
    return try JacobianPrecisionSVM(X: data.train.X, Y: data.train.Y, θ: 1)
  }

  /// The unrolled Jacobian (the library's unrolled switches, reverse mode) equals central finite
  /// differences of the library solvers' `t` iterations (for the lasso and the SVM, away from
  /// kinks: the iterations are piecewise smooth), and its value is the solver's iterate.
  @Test func unrolledJacobiansMatchFiniteDifferencesOfTheIterations() throws {
    let t = 25, h = 1e-6
    let problems: [(any JacobianPrecisionProblem, Double)] = [
      (try Self.ridge(), 1e-7), (try Self.lasso(), 1e-6), (try Self.svm(), 1e-6),
    ]
    for (problem, tolerance) in problems {
      let fd = (try problem.iterate(t, at: problem.θ + h) - problem.iterate(t, at: problem.θ - h)).scaled(
        by: 1 / (2 * h))
      #expect((problem.unrolledJacobian(t) - fd).norm() <= tolerance * fd.norm(), "\(problem.name)")
      let iterate = try problem.iterate(t)
      let unrolled = problem.unrolled(Vector([problem.θ]), iterations: t)
      #expect((unrolled - iterate).norm() <= 1e-13 * iterate.norm(), "\(problem.name)")
    }
  }

  /// The exact Jacobians against central finite differences of exact re-solves: the ridge closed
  /// form, the lasso's support formula (re-derived at λ ± h) and the SVM's (which the problem
  /// checks against tight re-solves itself).
  @Test func exactJacobiansMatchFiniteDifferencesOfExactSolutions() throws {
    let h = 1e-6
    let ridge = try Self.ridge()
    let A = try #require(ridge.objective.A as? Matrix<Double>)
    let ridgeAt = { (θ: Double) in
      try JacobianPrecisionRidge(A: A, b: ridge.objective.b, θ: θ).exact.solution
    }
    let fdRidge = (try ridgeAt(ridge.θ + h) - ridgeAt(ridge.θ - h)).scaled(by: 1 / (2 * h))
    #expect((ridge.exact.jacobian - fdRidge).norm() <= 1e-8 * fdRidge.norm())

    let lasso = try Self.lasso()
    #expect(lasso.margin > 1e-6)  // strict complementarity: the support is stable under ±h
    let lassoAt = { (λ: Double) in try JacobianPrecisionLasso(A: lasso.A, b: lasso.b, λ: λ).exact.solution }
    let fdLasso = (try lassoAt(lasso.λ + h) - lassoAt(lasso.λ - h)).scaled(by: 1 / (2 * h))
    #expect((lasso.exact.jacobian - fdLasso).norm() <= 1e-8 * fdLasso.norm())
    // Stationarity of the exact lasso solution: Aᵀ(b − Ax*) = λ·sign(x*) on the support.
    let correlation = lasso.A.transposedTimes(lasso.b - lasso.A * lasso.exact.solution)
    for j in 0..<10 where lasso.exact.solution[j] != 0 {
      #expect(abs(correlation[j] - lasso.λ * (lasso.exact.solution[j] > 0 ? 1 : -1)) < 1e-12)
    }

    #expect(try Self.svm().finiteDifferenceCheck < 1e-7)
  }

  /// Theorem 1's premise: at the exact solution the implicit Jacobian is the exact one, and near
  /// it the error shrinks with the solution error.
  @Test func implicitJacobianErrorShrinksWithTheSolutionError() throws {
    let ridge = try Self.ridge()
    let atSolution = try ridge.implicitJacobian(at: ridge.exact.solution)
    #expect((atSolution - ridge.exact.jacobian).norm() <= 1e-10 * ridge.exact.jacobian.norm())
    var previous = Double.infinity
    for t in [20, 80, 320] {
      let x = try ridge.iterate(t)
      let jacobianError = (try ridge.implicitJacobian(at: x) - ridge.exact.jacobian).norm()
      #expect(jacobianError < previous)
      #expect(
        jacobianError <= 10 * (x - ridge.exact.solution).norm() * ridge.exact.jacobian.norm()
          / ridge.exact.solution.norm())
      previous = jacobianError
    }
  }
}
