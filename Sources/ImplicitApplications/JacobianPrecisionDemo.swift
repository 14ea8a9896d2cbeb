import Foundation
import ImplicitCore
import ImplicitObjectives

extension Demos {
  /// `implicit demo jacobian-precision`: Theorem 1: Jacobian error vs solution error, implicit vs unrolled, with an SVG plot.
  public static let jacobianPrecision = Demo(
    name: "jacobian-precision",
    summary: "Theorem 1: Jacobian error vs solution error, implicit vs unrolled, with an SVG plot",
    run: runJacobianPrecisionDemo)
}

/// Theorem 1 of Blondel et al. (2021): when the optimality condition is evaluated at an
/// approximate solution `x̂` instead of `x*`, the implicit Jacobian `∂(x̂)` it yields is off by at
/// most a constant times the solution error, `‖∂(x̂) − ∂x*‖ ≤ C‖x̂ − x*‖`. This demo runs each
/// solver for more and more iterations `t` and measures, at every iterate `x̂ₜ`:
/// - the solution error `‖x̂ₜ − x*‖`,
/// - the error of the implicit Jacobian at `x̂ₜ`,
/// - the error of the unrolled Jacobian `∂x̂ₜ/∂θ` (the solver's unrolled switch: reverse mode
///   through the `t` iterations),
///
/// for ridge regression, the lasso and the multiclass SVM dual.
func runJacobianPrecisionDemo() throws {
  print("== Theorem 1: Jacobian precision vs solution precision, implicit vs unrolled ==")
  print("(all errors relative: ‖x̂ₜ − x*‖/‖x*‖ and ‖J − ∂x*/∂θ‖/‖∂x*/∂θ‖)")
  var rng = SeededGenerator(seed: 1)

  // Ridge: 40 samples, 30 features (AᵀA nearly singular), θ = 0.05.
  let ridgeA = rng.normalMatrix(rows: 40, columns: 30, scale: 1 / Foundation.sqrt(40))
  let ridge = try JacobianPrecisionRidge(A: ridgeA, b: rng.normalVector(40), θ: 0.05)

  // Lasso: a 5-sparse signal, λ = 0.1·max|Aᵀb|.
  let lassoA = rng.normalMatrix(rows: 40, columns: 30, scale: 1 / Foundation.sqrt(40))
  let truth = Vector((0..<30).map { $0 < 5 ? Double($0 % 2 == 0 ? 1 : -1) : 0 })
  let lassoB = lassoA * truth + rng.normalVector(40, scale: 0.1)
  let lambda = 0.1 * lassoA.transposedTimes(lassoB).scalars.map(abs).max()!
  let lasso = try JacobianPrecisionLasso(A: lassoA, b: lassoB, λ: lambda)

  // SVM dual: 20 samples of 3 Gaussian classes in 30 dimensions, θ = 1.
  let svmData = try SVMHyperparameterData.gaussianClasses(
    classes: 3, features: 30, train: 20, validation: 1, test: 1, separation: 0.5, seed: 3)
  let svm = try JacobianPrecisionSVM(X: svmData.train.X, Y: svmData.train.Y, θ: 1)

  let schedule = [
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 10_000,
  ]
  var results = [JacobianPrecisionResult]()
  for problem in [ridge, lasso, svm] as [any JacobianPrecisionProblem] {
    results.append(try measureJacobianPrecision(problem, schedule: schedule))
  }

  print("\nWhat it learned")
  for r in results { print("  \(r.name): " + r.summary) }
  let path = try jacobianPrecisionFigure(results).write(named: "jacobian-precision")
  print("\nplot: \(path)")
}

/// The measurements of one problem.
struct JacobianPrecisionResult {
  var name: String
  /// `(t, solution error, implicit Jacobian error, unrolled Jacobian error)`.
  var rows: [(t: Int, solution: Double, implicit: Double, unrolled: Double)]

  /// The iterates past the transient and above the rounding floor: the later half of those
  /// with a solution error above 1e-12.
  var settled: ArraySlice<(t: Int, solution: Double, implicit: Double, unrolled: Double)> {
    let above = rows.filter { $0.solution > 1e-12 }
    return above.suffix(max(1, above.count / 2))
  }

  /// What the measurements say, in one sentence.
  var summary: String {
    let settled = self.settled
    // Exact from some iterate on, while the solution is still visibly wrong?
    let firstExact = rows.indices.first { i in rows[i...].allSatisfy { $0.implicit < 1e-14 } }.map { rows[$0] }
    if let first = firstExact, first.solution > 1e-12 {
      return "the implicit Jacobian is exact to rounding from t = \(first.t) on, while the solution error is still "
        + "\(String(format: "%.1e", first.solution)) (it depends on x̂ only through the active set and signs, which are "
        + "then identified); the unrolled one needs the solution itself to converge"
    }
    let constant = settled.map { $0.implicit / $0.solution }.max() ?? .nan
    let ratios = settled.map { $0.unrolled / $0.implicit }.sorted()
    return String(
      format: "implicit Jacobian error ≤ %.2g × solution error past the transient (Theorem 1); the unrolled "
        + "Jacobian is %.3g× (median) to %.3g× (t = %d) less accurate at the same iterate", constant,
      ratios[ratios.count / 2], settled.last!.unrolled / settled.last!.implicit, settled.last!.t)
  }
}

/// Runs `problem`'s solver for each iteration count in `schedule` (stopping once the iterate is
/// at the rounding floor) and prints a table of the three errors.
func measureJacobianPrecision(_ problem: any JacobianPrecisionProblem, schedule: [Int]) throws
  -> JacobianPrecisionResult
{
  let (xStar, jStar) = problem.exact
  print("\n\(problem.name): x has \(xStar.count) entries; exact ∂x*/∂θ from \(problem.groundTruth)")
  // The unrolled switch's derivative against central finite differences of the solver's
  // iterates, once, with a random cotangent.
  var rng = SeededGenerator(seed: 9)
  let v = rng.normalVector(xStar.count)
  let reverse = v.dot(problem.unrolledJacobian(50))
  let h = 1e-6 * max(1, abs(problem.θ))
  let central = v.dot(
    (try problem.iterate(50, at: problem.θ + h) - problem.iterate(50, at: problem.θ - h)).scaled(by: 1 / (2 * h)))
  print(
    "unrolled at t = 50: the library's unrolled switch vᵀ∂x̂/∂θ = \(sci(reverse)), central finite differences of the "
      + "solver's iterates \(sci(central)) (relative difference \(sci(abs(reverse - central) / abs(central))))")
  print("      t   ‖x̂ₜ − x*‖   implicit ∂ error   unrolled ∂ error   implicit / solution")
  var rows = [(t: Int, solution: Double, implicit: Double, unrolled: Double)]()
  for t in schedule {
    let x = try problem.iterate(t)
    let solutionError = (x - xStar).norm() / xStar.norm()
    let implicit = (try problem.implicitJacobian(at: x) - jStar).norm() / jStar.norm()
    let unrolled = (problem.unrolledJacobian(t) - jStar).norm() / jStar.norm()
    rows.append((t, solutionError, implicit, unrolled))
    print(
      String(
        format: "%7d   %9.2e   %16.2e   %16.2e   %12.3g", t, solutionError, implicit, unrolled, implicit / solutionError
      ))
    if solutionError < 1e-13 { break }
  }
  return JacobianPrecisionResult(name: problem.name, rows: rows)
}

/// One log-log panel per problem: Jacobian error against solution error, implicit and unrolled,
/// with the line `y = x` for reference.
func jacobianPrecisionFigure(_ results: [JacobianPrecisionResult]) -> SVGFigure {
  SVGFigure(
    results.map { r in
      var plot = SVGPlot(
        title: r.name, xLabel: "solution error ‖x̂ₜ − x*‖ / ‖x*‖", yLabel: "Jacobian error (relative)", xScale: .log,
        yScale: .log, legend: .topLeft)
      plot.add(.init(name: "implicit at x̂ₜ", points: r.rows.map { ($0.solution, $0.implicit) }))
      plot.add(.init(name: "unrolled ∂x̂ₜ/∂θ", points: r.rows.map { ($0.solution, $0.unrolled) }))
      let xs = r.rows.map(\.solution).filter { $0 > 0 }
      if let lo = xs.min(), let hi = xs.max() {
        plot.add(.init(name: "y = x", points: [(lo, lo), (hi, hi)], style: .line, color: "#999999", dashed: true))
      }
      return plot
    })
}
