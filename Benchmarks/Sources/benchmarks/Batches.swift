import Dispatch
import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitStationarity
import _Differentiation

/// The batch workloads of issue 11 (`--only ridge-sweep-64`; also in a full run, not in `--quick`).
let batchWorkloadIDs = ["ridge-sweep-64"]

/// `ridge-sweep-64`: the `ridge-p1000` data (n = 500, p = 1000, per-feature strengths θ), 64
/// values of θ (the workload's θ scaled by 64 factors log-spaced in [0.1, 10]); for each, 300
/// fixed iterations of accelerated gradient descent and the hypergradient of the validation MSE,
/// written as a user writes a sweep: ``Batch/map(_:)`` for the forward solves and outer gradients,
/// ``ImplicitDifferentiator/vjps(_:at:_:)`` for the hypergradients.
///
/// Timed three ways, in alternation (one warm-up each): the batch on one thread
/// (`Kernels.withThreadLimit(1)`, what `IMPLICIT_THREADS=1` gives), a plain loop of one-at-a-time
/// calls (the kernels split each product over the cores), and the batch on every core. The speed-up
/// is one thread over every core; the batch's values must equal the one-thread batch's exactly.
func ridgeSweep(runs: Int) throws -> [String: Any] {
  let (n, p, count, iterations) = (500, 1000, 64, 300)
  let d = RegressionData.smooth(logistic: false, samples: n, features: p)
  let scale = 1 / Double(n).squareRoot()
  let f = try RidgeRegression(
    A: Matrix(rows: n, columns: p, scalars: d.X.map { $0 * scale }), b: Vector(d.y.map { $0 * scale }))
  let Xv = Matrix(rows: n, columns: p, scalars: d.validationX)
  let yv = Vector(d.validationY)
  let θs = (0..<count).map { k in
    Vector(d.theta.map { $0 * exp(log(0.1) + log(100) * Double(k) / Double(count - 1)) })
  }
  let solver = GradientDescent.accelerated(mode: .fixedIterations(iterations))
  let differentiator = ImplicitDifferentiator(StationarityCondition(f, stronglyConvex: true))
  let x0 = Vector<Double>.zeros(p)

  @Sendable func validationMSE(_ w: Vector<Double>) -> Double { 0.5 * (Xv * w - yv).squaredNorm() / Double(n) }

  /// The sweep with the batch API: hypergradients in the order of `θs` (a failed element throws here).
  func batchSweep() throws -> [Derivative<Vector<Double>>] {
    let solved = Batch(θs).map { θ in
      let w = try solver.solve(f, θ, from: x0).converged()
      return (w, gradient(at: w, of: validationMSE))
    }
    let points = try solved.map { try $0.get() }
    return try differentiator.vjps(points.map(\.1), at: points.map(\.0), θs).map { try $0.get() }
  }
  /// The same sweep one problem at a time.
  func loopSweep() throws -> [Derivative<Vector<Double>>] {
    try θs.map { θ in
      let w = try solver.solve(f, θ, from: x0).converged()
      return try differentiator.vjp(gradient(at: w, of: validationMSE), at: w, θ)
    }
  }

  var serial: [Derivative<Vector<Double>>] = [], loop = serial, parallel = serial
  // Process CPU seconds of each column's last call: CPU / wall is the cores it actually got
  // (below 2 on two cores when another process held one).
  var cpu = [0.0, 0.0, 0.0]
  func timedCPU(_ column: Int, _ body: () throws -> Void) rethrows {
    let start = clock()
    try body()
    cpu[column] = Double(clock() - start) / Double(CLOCKS_PER_SEC)
  }
  let times = try alternatingTimes(
    runs: runs,
    [
      { try timedCPU(0) { serial = try Kernels.withThreadLimit(1) { try batchSweep() } } },
      { try timedCPU(1) { loop = try loopSweep() } },
      { try timedCPU(2) { parallel = try batchSweep() } },
    ])
  let medians = times.map(median)
  let cores = (0..<3).map { cpu[$0] / times[$0].last! }
  let exact = zip(serial, parallel).allSatisfy { $0.value == $1.value }
  let loopDifference = zip(loop, parallel).map { relativeDifference($1.value.scalars, $0.value.scalars) }.max() ?? 0
  let reliable = parallel.filter(\.diagnostics.isReliable).count
  let speedup = medians[0] / medians[2]
  say("ridge-sweep-64  \(count) θ, T=\(iterations), \(Kernels.threadCount) threads")
  say(String(format: "  batch, 1 thread      %.4f s   (CPU/wall %.2f)", medians[0], cores[0]))
  say(
    String(
      format: "  one at a time        %.4f s   (CPU/wall %.2f; kernels on %d threads)", medians[1], cores[1],
      Kernels.threadCount))
  say(
    String(
      format: "  batch, %d threads     %.4f s   (CPU/wall %.2f)   speed-up %.2f× over 1 thread", Kernels.threadCount,
      medians[2], cores[2], speedup)
  )
  say(
    "  batch = 1-thread batch exactly: \(exact); vs one at a time \(formatShort(loopDifference)); "
      + "\(reliable)/\(count) reliable")
  return [
    "workload": "ridge-sweep-64", "batch_size": count, "iterations": iterations, "threads": Kernels.threadCount,
    "batch_one_thread_s": medians[0], "one_at_a_time_s": medians[1], "batch_s": medians[2],
    "batch_one_thread_samples_s": times[0], "one_at_a_time_samples_s": times[1], "batch_samples_s": times[2],
    "speedup_one_to_all_threads": speedup, "batch_equals_one_thread_batch": exact,
    "batch_vs_one_at_a_time_max_rel_diff": loopDifference, "reliable": reliable,
    "cpu_per_wall_last_call": ["batch_one_thread": cores[0], "one_at_a_time": cores[1], "batch": cores[2]],
  ]
}
