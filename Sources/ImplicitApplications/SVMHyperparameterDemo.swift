import Foundation
import ImplicitCore

extension Demos {
  /// `implicit demo svm-hyperparameters`: multiclass SVM regularisation tuned through its dual, three solvers, implicit vs unrolled.
  public static let svmHyperparameters = Demo(
    name: "svm-hyperparameters",
    summary: "multiclass SVM regularisation tuned through its dual, three solvers, implicit vs unrolled",
    run: runSVMHyperparameterDemo)
}

/// The regularisation θ of a multiclass linear SVM (Crammer–Singer), tuned by gradient descent
/// on the validation cross-entropy of `W*(θ) = Xᵀ(Y − β*(θ))/θ`, where the dual solution
/// `β*(θ)` comes from mirror descent, projected gradient or block coordinate descent — each
/// differentiated through its own fixed-point condition — compared with differentiating through
/// the solvers' iterations (the library's unrolled switches `MirrorDescent.unrolled`,
/// `FISTA.unrolled` and `BlockCoordinateDescent.unrolled`). The paper's Section 4.1 / Figure 3 experiment.
func runSVMHyperparameterDemo() throws {
  print("== Multiclass SVM regularisation tuned through its dual: three solvers, implicit vs unrolled ==")
  let data = try SVMHyperparameterData.gaussianClasses(
    classes: 5, features: 400, train: 200, validation: 200, test: 2000, separation: 0.15, seed: 2021)
  let problem = try SVMHyperparameterProblem(train: data.train, validation: data.validation)
  print(
    "data: \(data.classes) Gaussian classes, \(data.features) features (scaled by 1/√d), \(problem.samples) training / "
      + "\(data.validation.X.rows) validation / \(data.test.X.rows) test samples; β has \(problem.samples * problem.classes) entries"
  )

  // 1. One hypergradient d L_val / d log θ, by each solver at several iteration budgets,
  //    implicitly (through the solver's condition) and unrolled (the library's unrolled switch:
  //    reverse mode through the iterations), against a reference from a tight solve checked by finite differences.
  let θ0 = 10.0
  let logθ0 = Foundation.log(θ0)
  let reference = try problem.referenceHypergradient(at: logθ0)
  print("\n1. The hypergradient dL_val/d log θ at θ = \(θ0)")
  print(
    "reference: \(sci(reference.implicit)) (tight solve, implicit through the projected-gradient condition); "
      + "central finite differences of tight re-solves: \(sci(reference.finiteDifference))")
  print(
    "\nsolver  iters   forward |  implicit: dL/dlogθ   rel.err    time  GMRES |  unrolled: dL/dlogθ   rel.err    time")
  var accuracy = [SVMAccuracyPoint]()
  var largestLossGap = 0.0  // between the solver's iterate and its unrolled switch's
  for solver in SVMDualSolver.allCases {
    let budgets = solver == .blockCoordinateDescent ? [5, 10, 20, 50, 100] : [50, 100, 200, 500, 1000]
    _ = try problem.solve(solver, logθ: logθ0, iterations: budgets[0])  // warm-up
    for n in budgets {
      let (_, forward) = try svmTimed { try problem.solve(solver, logθ: logθ0, iterations: n) }
      let (unrolledResult, unrolledTime) = svmTimed { problem.unrolledHypergradient(solver, at: logθ0, iterations: n) }
      let unrolledError = abs(unrolledResult.derivative - reference.implicit) / abs(reference.implicit)
      let unrolledColumns =
        "\(svmSigned(unrolledResult.derivative))  \(sci(unrolledError))" + String(format: "  %6.3f s", unrolledTime)
      let row =
        solver.shortName.padding(toLength: 5, withPad: " ", startingAt: 0) + String(format: "%5d", n)
        + (n == solver.benchmarkIterations ? "*" : " ") + String(format: "  %6.3f s |     ", forward)
      // The implicit linear solve reports failure (e.g. an iterate so far from converged that
      // A is numerically singular) instead of returning a wrong number: print it, carry on.
      do {
        let (implicit, implicitTime) = try svmTimed {
          try problem.implicitHypergradient(solver, at: logθ0, iterations: n)
        }
        let implicitError = abs(implicit.derivative - reference.implicit) / abs(reference.implicit)
        largestLossGap = max(largestLossGap, abs(implicit.loss - unrolledResult.loss))
        accuracy.append(
          .init(
            solver: solver, iterations: n, implicitSeconds: implicitTime, implicitError: implicitError,
            unrolledSeconds: unrolledTime, unrolledError: unrolledError))
        print(
          row + "\(svmSigned(implicit.derivative))  \(sci(implicitError))"
            + String(format: "  %6.3f s  %4d  |     ", implicitTime, implicit.diagnostics.linearSolve.iterations)
            + unrolledColumns)
      } catch {
        accuracy.append(
          .init(
            solver: solver, iterations: n, implicitSeconds: .nan, implicitError: .nan,
            unrolledSeconds: unrolledTime, unrolledError: unrolledError))
        print(row + "failed: \(error)".padding(toLength: 47, withPad: " ", startingAt: 0) + "|     " + unrolledColumns)
      }
    }
  }
  print("(* the JAXopt benchmark's schedule; BCD iterations are sweeps over all rows; times include the forward solve)")
  print(
    "the unrolled switches follow the solvers: largest difference in the validation loss at the same iterate "
      + sci(largestLossGap))

  // 2. Tuning: gradient descent on log θ with each solver's implicit hypergradient, at the
  //    benchmark's iteration budget.
  print("\n2. Gradient descent on log θ from θ = \(θ0), implicit hypergradients (benchmark schedule)")
  print(
    "step |"
      + SVMDualSolver.allCases.map {
        "  θ (\($0.shortName))".padding(toLength: 11, withPad: " ", startingAt: 0) + "  val loss   dL/dlogθ |"
      }.joined())
  let steps = 10, learningRate = 20.0, maxMove = 0.5
  var paths = [SVMDualSolver: [(θ: Double, loss: Double)]]()
  var logθ = [SVMDualSolver: Double](uniqueKeysWithValues: SVMDualSolver.allCases.map { ($0, logθ0) })
  var stopped = Set<SVMDualSolver>()
  let (_, tuningTime) = svmTimed {
    for step in 0...steps {
      var line = String(format: "%4d |", step)
      for solver in SVMDualSolver.allCases {
        let s = logθ[solver]!
        guard !stopped.contains(solver),
          let h = try? problem.implicitHypergradient(solver, at: s, iterations: solver.benchmarkIterations)
        else {
          if !stopped.contains(solver) {
            print("  \(solver.name): stopped, the implicit linear solve failed at θ = \(Foundation.exp(s))")
          }
          stopped.insert(solver)
          line += "  (stopped)".padding(toLength: 35, withPad: " ", startingAt: 0) + "|"
          continue
        }
        paths[solver, default: []].append((Foundation.exp(s), h.loss))
        line += String(format: "  %9.4f  %9.5f  ", Foundation.exp(s), h.loss) + svmSigned(h.derivative) + " |"
        logθ[solver] = s - max(-maxMove, min(maxMove, learningRate * h.derivative))
      }
      print(line)
    }
  }
  print(String(format: "(%.1f s for %d hypergradients)", tuningTime, 3 * (steps + 1)))

  // 3. What it learned, checked on tight solves: the validation loss along θ and the test accuracy.
  print("\n3. What it learned")
  let grid = stride(from: -1, through: 2.0, by: 0.25).map { Foundation.pow(10, $0) }
  var curve = [(x: Double, y: Double)]()
  for θ in grid { curve.append((θ, problem.validationLoss(try problem.solveTightly(logθ: Foundation.log(θ)), θ))) }
  func testAccuracy(_ θ: Double) throws -> Double {
    let beta = try problem.solveTightly(logθ: Foundation.log(θ))
    return data.testAccuracy(problem.objective.weights(beta, θ))
  }
  for solver in SVMDualSolver.allCases {
    guard let last = paths[solver]?.last else { continue }
    print(
      "  " + solver.name.padding(toLength: 24, withPad: " ", startingAt: 0)
        + String(
          format: ": θ %.3g → %.3g, validation loss %.4f → %.4f", θ0, last.θ, paths[solver]!.first!.loss, last.loss))
  }
  let plateau = svmPlateau(curve)
  print(
    String(
      format: "  validation loss of tight solves: %.4f at θ = %.3g, %.4f at θ = %.3g, flat at %.4f for θ ≤ %.2g",
      curve.last!.y, curve.last!.x, curve[curve.count / 2].y, curve[curve.count / 2].x, curve.first!.y, plateau))
  let learned = paths[.projectedGradient]?.last?.θ ?? θ0
  print(
    String(
      format: "  test accuracy (%d samples): %.1f%% at θ = %.3g, %.1f%% at the learned θ = %.3g",
      data.test.X.rows, 100 * (try testAccuracy(θ0)), θ0, 100 * (try testAccuracy(learned)), learned))
  print(
    "  Below θ ≈ \(String(format: "%.2g", plateau)) every training sample is a margin support vector: W*(θ) stops changing, "
      + "the hypergradient vanishes and gradient descent stops there. The cross-entropy improved by making W more confident; "
      + "the accuracy barely moved.")

  let path = try svmFigure(curve: curve, paths: paths, accuracy: accuracy).write(named: "svm-hyperparameters")
  print("\nplot: \(path)")
}

/// `+1.234e-01` / `-1.234e-01`, aligned.
func svmSigned(_ x: Double) -> String { (x >= 0 ? "+" : "") + sci(x) }

/// The largest grid θ whose loss is within 1e-6 of the smallest (where the curve goes flat).
func svmPlateau(_ curve: [(x: Double, y: Double)]) -> Double {
  let lowest = curve.map(\.y).min() ?? 0
  return curve.filter { $0.y <= lowest + 1e-6 }.map(\.x).max() ?? 0
}

/// One row of the accuracy / time comparison.
struct SVMAccuracyPoint {
  var solver: SVMDualSolver
  var iterations: Int
  var implicitSeconds: Double
  var implicitError: Double
  var unrolledSeconds: Double
  var unrolledError: Double
}

/// Left: the validation loss along θ (tight solves) and the three tuning paths. Right: the
/// hypergradient's relative error against its wall time, implicit (solid) and unrolled (dashed),
/// one point per iteration budget.
func svmFigure(
  curve: [(x: Double, y: Double)], paths: [SVMDualSolver: [(θ: Double, loss: Double)]], accuracy: [SVMAccuracyPoint]
) -> SVGFigure {
  var loss = SVGPlot(
    title: "validation loss along θ", xLabel: "θ", yLabel: "validation cross-entropy", xScale: .log, legend: .topLeft)
  loss.add(.init(name: "tight solves", points: curve, style: .line, color: "#888888"))
  for (index, solver) in SVMDualSolver.allCases.enumerated() {
    loss.add(
      .init(
        name: "tuning path, \(solver.shortName)", points: paths[solver, default: []].map { ($0.θ, $0.loss) },
        style: .scatter, color: SVGPlot.palette[index]))
  }
  var errors = SVGPlot(
    title: "hypergradient error vs time", xLabel: "seconds (forward + derivative)",
    yLabel: "relative error of dL/dlogθ", xScale: .log, yScale: .log, legend: .outsideRight, width: 600)
  for (index, solver) in SVMDualSolver.allCases.enumerated() {
    let rows = accuracy.filter { $0.solver == solver }
    errors.add(
      .init(
        name: "\(solver.shortName) implicit", points: rows.map { ($0.implicitSeconds, $0.implicitError) },
        color: SVGPlot.palette[index]))
    errors.add(
      .init(
        name: "\(solver.shortName) unrolled", points: rows.map { ($0.unrolledSeconds, $0.unrolledError) },
        color: SVGPlot.palette[index], dashed: true))
  }
  return SVGFigure([loss, errors])
}
