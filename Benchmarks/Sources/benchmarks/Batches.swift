import Dispatch
import Foundation
import ImplicitCore
import ImplicitKKT
import ImplicitObjectives
import ImplicitStationarity
import _Differentiation

/// The batch workloads of issue 11 (`--only ridge-sweep-64`; also in a full run, not in `--quick`).
let batchWorkloadIDs = ["ridge-sweep-64", "qp-layer-b128"]

/// Runs the batch workload `id`.
func runBatchWorkload(_ id: String, runs: Int) throws -> [String: Any] {
  id == "qp-layer-b128" ? try qpLayerBatch(runs: runs) : try ridgeSweep(runs: runs)
}

/// The arrays of batch workload `id` (for `--export-data`, so that the Python anchors solve the
/// same problems), with the suite's own results to compare with.
func batchWorkloadArrays(_ id: String) throws -> [(name: String, values: [Double], shape: [Int])] {
  id == "qp-layer-b128" ? try QPLayerData().arrays() : try RidgeSweep().arrays()
}

/// The `ridge-sweep-64` problem: the `ridge-p1000` data, scaled so that the objective is
/// `(1/2n)‖Xw − y‖² + ½Σθⱼwⱼ²`, and 64 strengths.
struct RidgeSweep: Sendable {
  let n = 500, p = 1000, count = 64, iterations = 300
  let f: RidgeRegression
  let Xv: Matrix<Double>
  let yv: Vector<Double>
  let θs: [Vector<Double>]
  let scaledX: [Double]
  let scaledY: [Double]

  init() throws {
    let d = RegressionData.smooth(logistic: false, samples: n, features: p)
    let scale = 1 / Double(n).squareRoot()
    scaledX = d.X.map { $0 * scale }
    scaledY = d.y.map { $0 * scale }
    f = try RidgeRegression(A: Matrix(rows: n, columns: p, scalars: scaledX), b: Vector(scaledY))
    Xv = Matrix(rows: n, columns: p, scalars: d.validationX)
    yv = Vector(d.validationY)
    let count = self.count
    θs = (0..<count).map { k in
      Vector(d.theta.map { $0 * exp(log(0.1) + log(100) * Double(k) / Double(count - 1)) })
    }
  }

  var solver: GradientDescent { GradientDescent.accelerated(mode: .fixedIterations(iterations)) }

  /// The gradient of the outer loss `½‖Xv w − yv‖² / n` at `w`.
  func outerGradient(_ w: Vector<Double>) -> Vector<Double> {
    let (Xv, yv, n) = (Xv, yv, n)
    return gradient(at: w) { w in 0.5 * (Xv * w - yv).squaredNorm() / Double(n) }
  }

  /// The sweep with the batch API: hypergradients in the order of `θs` (a failed element throws here).
  func batchSweep() throws -> [Derivative<Vector<Double>>] {
    let (solver, f, x0) = (solver, f, Vector<Double>.zeros(p))
    let differentiator = ImplicitDifferentiator(StationarityCondition(f, stronglyConvex: true))
    // The 64 solves advance together (one data pass per iteration for all of them).
    let ws = try solver.solve(f, Batch(θs), from: x0).map { try $0.get().converged() }
    let cotangents = try Batch(ws).map { [self] w in outerGradient(w) }.map { try $0.get() }
    return try differentiator.vjps(cotangents, at: ws, θs).map { try $0.get() }
  }

  func arrays() throws -> [(name: String, values: [Double], shape: [Int])] {
    let hypergradients = try batchSweep()
    return [
      ("A", scaledX, [n, p]), ("b", scaledY, [n]), ("X_val", Xv.scalars, [n, p]), ("y_val", yv.scalars, [n]),
      ("thetas", θs.flatMap(\.scalars), [count, p]),
      ("swift_hypergradients", hypergradients.flatMap(\.value.scalars), [count, p]),
      ("iterations", [Double(iterations)], [1]),
    ]
  }
}

/// `ridge-sweep-64`: the `ridge-p1000` data (n = 500, p = 1000, per-feature strengths θ), 64
/// values of θ (the workload's θ scaled by 64 factors log-spaced in [0.1, 10]); for each, 300
/// fixed iterations of accelerated gradient descent and the hypergradient of the validation MSE,
/// written as a user writes a sweep: ``GradientDescent``'s `solve(_:_:from:)` on the batch of θ for
/// the forward solves (advanced together: the products of all 64 iterates are matrix–matrix
/// products), ``Batch/map(_:)`` for the outer gradients, ``ImplicitDifferentiator/vjps(_:at:_:)``
/// for the hypergradients.
///
/// Timed three ways, in alternation (one warm-up each): the batch on one thread
/// (`Kernels.withThreadLimit(1)`, what `IMPLICIT_THREADS=1` gives), a plain loop of one-at-a-time
/// calls (the kernels split each product over the cores), and the batch on every core. The speed-up
/// is one thread over every core; the batch's values must equal the one-thread batch's exactly.
/// Also timed: the batched forward solve alone, on every core.
func ridgeSweep(runs: Int) throws -> [String: Any] {
  let sweep = try RidgeSweep()
  let (p, count, iterations, θs, f) = (sweep.p, sweep.count, sweep.iterations, sweep.θs, sweep.f)
  let solver = sweep.solver
  let differentiator = ImplicitDifferentiator(StationarityCondition(f, stronglyConvex: true))
  let x0 = Vector<Double>.zeros(p)

  func batchSweep() throws -> [Derivative<Vector<Double>>] { try sweep.batchSweep() }
  /// The same sweep one problem at a time.
  func loopSweep() throws -> [Derivative<Vector<Double>>] {
    try θs.map { θ in
      let w = try solver.solve(f, θ, from: x0).converged()
      return try differentiator.vjp(sweep.outerGradient(w), at: w, θ)
    }
  }

  var serial: [Derivative<Vector<Double>>] = [], loop = serial, parallel = serial
  let times = try BatchTimes(
    runs: runs, oneThread: { serial = try batchSweep() }, loop: { loop = try loopSweep() },
    batch: { parallel = try batchSweep() },
    forward: { _ = try solver.solve(f, Batch(θs), from: x0).map { try $0.get().converged() } })
  let exact = zip(serial, parallel).allSatisfy { $0.value == $1.value }
  let loopDifference = zip(loop, parallel).map { relativeDifference($1.value.scalars, $0.value.scalars) }.max() ?? 0
  let reliable = parallel.filter(\.diagnostics.isReliable).count
  say("ridge-sweep-64  \(count) θ, T=\(iterations), \(Kernels.threadCount) threads")
  times.report(loopNote: "; kernels on \(Kernels.threadCount) threads")
  say(
    "  batch = 1-thread batch exactly: \(exact); vs one at a time \(formatShort(loopDifference)); "
      + "\(reliable)/\(count) reliable")
  return times.json.merging(
    [
      "workload": "ridge-sweep-64", "batch_size": count, "iterations": iterations,
      "batch_equals_one_thread_batch": exact, "batch_vs_one_at_a_time_max_rel_diff": loopDifference,
      "reliable": reliable,
    ]
  ) { $1 }
}

/// The `qp-layer-b128` problems: 128 random feasible, strictly convex QPs
/// `min ½xᵀQx + qᵀx s.t. Ax = b, Gx ≤ h` (the library's `c`, `E`, `d`) with n = 50, 10 equality and
/// 25 inequality constraints, and fixed random weights `wᵢ` of the loss `Σᵢ ⟨wᵢ, x*ᵢ⟩`.
/// `Q = MᵀM + ½I`; `x₀`, `A`, `G` standard normal; `b = Ax₀`, `h = Gx₀ + s` with `s ∈ [0.1, 1]`
/// (so `x₀` is strictly feasible); `q` standard normal, which leaves about a third of the
/// inequalities active at the optimum.
struct QPLayerData {
  let count = 128, n = 50, p = 10, m = 25
  let programs: [QuadraticProgram]
  let weights: [Vector<Double>]

  init() {
    var g = SeededGenerator(seed: 0x0B12_8050)
    let (count, n, p, m) = (count, n, p, m)
    var programs = [QuadraticProgram](), weights = [Vector<Double>]()
    for _ in 0..<count {
      let M = g.normalMatrix(rows: n, columns: n, scale: 1 / Double(n).squareRoot())
      var Q = M.transposed() * M
      for i in 0..<n { Q[i, i] += 0.5 }
      let x0 = g.normalVector(n)
      let A = g.normalMatrix(rows: p, columns: n), G = g.normalMatrix(rows: m, columns: n)
      let slack = Vector((0..<m).map { _ in Double.random(in: 0.1...1, using: &g) })
      programs.append(QuadraticProgram(Q: Q, c: g.normalVector(n), E: A, d: A * x0, G: G, h: G * x0 + slack))
      weights.append(g.normalVector(n))
    }
    self.programs = programs
    self.weights = weights
  }

  /// Forward and VJP of the loss through the batch layer (throwing API): `x*ᵢ` and the gradients.
  func run(_ layer: QuadraticProgramLayer) throws -> (
    solutions: [QuadraticProgramSolution], gradients: [QuadraticProgram]
  ) {
    let solutions = try layer.solve(Batch(programs)).map { try $0.get() }
    return (solutions, try layer.vjps(weights, at: solutions, programs).map { try $0.get() })
  }

  /// The same, one program at a time.
  func loop(_ layer: QuadraticProgramLayer) throws -> [QuadraticProgram] {
    try zip(programs, weights).map { program, w in try layer.vjp(w, at: layer.solve(program), program) }
  }

  func arrays() throws -> [(name: String, values: [Double], shape: [Int])] {
    let (solutions, gradients) = try run(QuadraticProgramLayer())
    let (c, n, p, m) = (count, n, p, m)
    return [
      ("Q", programs.flatMap(\.Q.scalars), [c, n, n]), ("q", programs.flatMap(\.c.scalars), [c, n]),
      ("A", programs.flatMap(\.E.scalars), [c, p, n]), ("b", programs.flatMap(\.d.scalars), [c, p]),
      ("G", programs.flatMap(\.G.scalars), [c, m, n]), ("h", programs.flatMap(\.h.scalars), [c, m]),
      ("w", weights.flatMap(\.scalars), [c, n]),
      ("swift_x", solutions.flatMap(\.x.scalars), [c, n]),
      ("swift_lambda", solutions.flatMap(\.inequalityMultipliers.scalars), [c, m]),
      ("swift_slack", solutions.flatMap(\.slack.scalars), [c, m]),
      ("swift_grad_Q", gradients.flatMap(\.Q.scalars), [c, n, n]),
      ("swift_grad_q", gradients.flatMap(\.c.scalars), [c, n]),
      ("swift_grad_A", gradients.flatMap(\.E.scalars), [c, p, n]),
      ("swift_grad_b", gradients.flatMap(\.d.scalars), [c, p]),
      ("swift_grad_G", gradients.flatMap(\.G.scalars), [c, m, n]),
      ("swift_grad_h", gradients.flatMap(\.h.scalars), [c, m]),
    ]
  }
}

/// `qp-layer-b128`: forward + VJP of `Σᵢ ⟨wᵢ, x*ᵢ⟩` with respect to every input of 128 QPs
/// (``QPLayerData``), written as a user of ``QuadraticProgramLayer`` writes it, timed three ways
/// like `ridge-sweep-64`: the batch on one thread, a loop of one-at-a-time calls, the batch on
/// every core. Also checks the differentiable path (`gradient(at:)` over the batch) once.
func qpLayerBatch(runs: Int) throws -> [String: Any] {
  let data = QPLayerData()
  let layer = QuadraticProgramLayer()
  var serial: [QuadraticProgram] = [], loop = serial, parallel = serial
  var solutions: [QuadraticProgramSolution] = []
  let times = try BatchTimes(
    runs: runs, oneThread: { serial = try data.run(layer).gradients }, loop: { loop = try data.loop(layer) },
    batch: { (solutions, parallel) = try data.run(layer) },
    forward: { _ = try layer.solve(Batch(data.programs)).map { try $0.get() } })
  let exact = zip(serial, parallel).allSatisfy { $0.flattened == $1.flattened }
  let loopExact = zip(loop, parallel).allSatisfy { $0.flattened == $1.flattened }
  // The differentiable path gives the same gradients.
  let weights = data.weights
  let g = gradient(at: Batch(data.programs)) { batch in
    let xs = layer(batch)
    var loss = 0.0
    for i in 0..<xs.count { loss = loss + xs[i].dot(weights[i]) }
    return loss
  }
  let differentiableExact = zip(g.elements, parallel).allSatisfy { $0.flattened == $1.flattened }
  let active = solutions.map(\.activeSet.count)
  say("qp-layer-b128  \(data.count) QPs, n=\(data.n), p=\(data.p), m=\(data.m), \(Kernels.threadCount) threads")
  times.report()
  say(
    "  batch = 1-thread batch exactly: \(exact); = one at a time: \(loopExact); = gradient(at:): "
      + "\(differentiableExact); active constraints \(active.min() ?? 0)–\(active.max() ?? 0) of \(data.m)")
  return times.json.merging(
    [
      "workload": "qp-layer-b128", "batch_size": data.count, "n": data.n, "equalities": data.p,
      "inequalities": data.m, "batch_equals_one_thread_batch": exact, "batch_equals_one_at_a_time": loopExact,
      "differentiable_equals_batch": differentiableExact, "active_constraints_min": active.min() ?? 0,
      "active_constraints_max": active.max() ?? 0,
    ]
  ) { $1 }
}

/// The timing protocol of the batch workloads: the batch on one thread
/// (`Kernels.withThreadLimit(1)`, what `IMPLICIT_THREADS=1` gives), a loop of one-at-a-time calls,
/// the batch on every core, and the batch's forward solves alone, in alternation after one warm-up
/// each (``alternatingTimes(runs:_:)``).
struct BatchTimes {
  /// The timed samples of each column, in the order above.
  let samples: [[Double]]
  /// Process CPU seconds over wall seconds of the first three columns' last call: the cores each
  /// actually got (below 2 on two cores when another process held one).
  let cores: [Double]

  var medians: [Double] { samples.map(median) }
  /// One thread over every core.
  var speedup: Double { medians[0] / medians[2] }

  init(
    runs: Int, oneThread: @escaping () throws -> Void, loop: @escaping () throws -> Void,
    batch: @escaping () throws -> Void, forward: @escaping () throws -> Void
  ) throws {
    var cpu = [0.0, 0.0, 0.0]
    func cpuSeconds(_ body: () throws -> Void) rethrows -> Double {
      let start = clock()
      try body()
      return Double(clock() - start) / Double(CLOCKS_PER_SEC)
    }
    let samples = try alternatingTimes(
      runs: runs,
      [
        { cpu[0] = try cpuSeconds { try Kernels.withThreadLimit(1) { try oneThread() } } },
        { cpu[1] = try cpuSeconds(loop) },
        { cpu[2] = try cpuSeconds(batch) },
        forward,
      ])
    self.samples = samples
    cores = (0..<3).map { cpu[$0] / samples[$0].last! }
  }

  /// Prints the four columns; `loopNote` follows the loop's CPU / wall.
  func report(loopNote: String = "") {
    let medians = medians
    say(String(format: "  batch, 1 thread      %.4f s   (CPU/wall %.2f)", medians[0], cores[0]))
    say(String(format: "  one at a time        %.4f s   (CPU/wall %.2f", medians[1], cores[1]) + loopNote + ")")
    say(
      String(
        format: "  batch, %d threads     %.4f s   (CPU/wall %.2f)   speed-up %.2f× over 1 thread",
        Kernels.threadCount, medians[2], cores[2], speedup))
    say(String(format: "  forward alone, batch %.4f s", medians[3]))
  }

  /// The JSON fields every batch workload reports.
  var json: [String: Any] {
    let medians = medians
    return [
      "threads": Kernels.threadCount,
      "batch_one_thread_s": medians[0], "one_at_a_time_s": medians[1], "batch_s": medians[2],
      "forward_batch_s": medians[3],
      "batch_one_thread_samples_s": samples[0], "one_at_a_time_samples_s": samples[1],
      "batch_samples_s": samples[2], "forward_batch_samples_s": samples[3],
      "speedup_one_to_all_threads": speedup,
      "cpu_per_wall_last_call": ["batch_one_thread": cores[0], "one_at_a_time": cores[1], "batch": cores[2]],
    ]
  }
}
