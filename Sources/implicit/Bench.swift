import Dispatch
import Foundation
import ImplicitCore
import ImplicitRidge
import _Differentiation

/// `implicit bench [SUITE] [--json] [--quick] [--runs N]`: timings are reported, never
/// asserted. Each figure is the median of N runs after one warm-up run.
@MainActor func runBench(_ arguments: [String]) -> Int32 {
  let options: Options
  let runs: Int
  do {
    options = try Options(arguments, flags: ["--json", "--quick"], valued: ["--runs"])
    runs = try options.int("--runs", default: 5)
  } catch {
    printError("\(error)")
    return 2
  }
  let suite = options.positional.first ?? "core"
  guard suite == "core" else {
    printError("unknown benchmark suite \"\(suite)\" (available: core)")
    return 2
  }
  let results = coreBenchmarks(quick: options.flags.contains("--quick"), runs: runs)
  let machine: [String: Any] = [
    "cores": ProcessInfo.processInfo.activeProcessorCount,
    "memory_gib": Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824,
    "threads_used": Kernels.threadCount,
  ]
  if options.flags.contains("--json") {
    let root: [String: Any] = ["machine": machine, "suite": suite, "runs": runs, "results": results]
    if let data = try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]) {
      print(String(data: data, encoding: .utf8)!)
    }
  } else {
    print("machine: \(machine["cores"]!) cores; median of \(runs) runs after a warm-up")
    for r in results {
      let rest = r.filter { $0.key != "benchmark" }.sorted { $0.key < $1.key }
        .map { "\($0.key)=\(($0.value as? Double).map { String(format: "%.4g", $0) } ?? "\($0.value)")" }
      print("\(r["benchmark"]!):  " + rest.joined(separator: "  "))
    }
  }
  return 0
}

/// Median wall time of `body` over `runs` runs after one warm-up.
func medianTime(runs: Int, _ body: () -> Void) -> Double {
  body()
  var times = [Double]()
  for _ in 0..<runs {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
  }
  return times.sorted()[times.count / 2]
}

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@inline(never) func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// ½‖Ax − b‖² + λ‖x‖², generic over the scalar (for gradient and dual-HVP timings).
struct LeastSquaresObjective: ScalarFunction {
  var A: Matrix<Double>
  var b: Vector<Double>
  var lambda: Double

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>) -> S {
    let r = A.times(x) - Vector<S>(converting: b.scalars)
    return S(0.5) * r.squaredNorm() + S(lambda) * x.squaredNorm()
  }
}

func coreBenchmarks(quick: Bool, runs: Int) -> [[String: Any]] {
  var results = [[String: Any]]()
  var rng = SeededGenerator(seed: 7)

  // Memory bandwidth: a streaming sum over an array far larger than the caches.
  let big = quick ? 16_000_000 : 64_000_000
  let stream = [Double](repeating: 1.5, count: big)
  let tStream = medianTime(runs: runs) { blackHole(stream.withUnsafeBufferPointer { Kernels.sum($0.baseAddress!, big) }) }
  results.append(["benchmark": "memory-read-1core", "gb_per_s": Double(big * 8) / tStream / 1e9, "seconds": tStream])
  let tStream2 = medianTime(runs: runs) {
    let threads = Kernels.threadCount
    let partial = UnsafeMutablePointer<Double>.allocate(capacity: threads)
    defer { partial.deallocate() }
    stream.withUnsafeBufferPointer { p in
      let base = p.baseAddress!
      nonisolated(unsafe) let out = partial
      nonisolated(unsafe) let input = base
      DispatchQueue.concurrentPerform(iterations: threads) { t in
        let lo = big * t / threads, hi = big * (t + 1) / threads
        out[t] = Kernels.sum(input + lo, hi - lo)
      }
    }
    blackHole(partial[0])
  }
  results.append([
    "benchmark": "memory-read-all-cores", "gb_per_s": Double(big * 8) / tStream2 / 1e9, "seconds": tStream2,
  ])

  // Vector kernels on large vectors (memory-bound).
  let n = quick ? 4_000_000 : 16_000_000
  let a = rng.normalVector(n), b = rng.normalVector(n)
  let tDot = medianTime(runs: runs) { blackHole(a.dot(b)) }
  results.append(["benchmark": "dot", "n": n, "gb_per_s": Double(2 * n * 8) / tDot / 1e9, "seconds": tDot])
  var y = b
  let tAxpy = medianTime(runs: runs) { y.addScaled(1e-9, a) }
  results.append(["benchmark": "axpy", "n": n, "gb_per_s": Double(3 * n * 8) / tAxpy / 1e9, "seconds": tAxpy])

  // Matrix-vector products.
  let m = quick ? 2000 : 4000
  let A = rng.normalMatrix(rows: m, columns: m)
  let x = rng.normalVector(m)
  let bytes = Double(m * m * 8)
  let tMv = medianTime(runs: runs) { blackHole(A * x) }
  results.append([
    "benchmark": "matvec", "shape": "\(m)x\(m)", "gb_per_s": bytes / tMv / 1e9,
    "gflop_per_s": 2 * Double(m * m) / tMv / 1e9, "seconds": tMv,
  ])
  let tMvT = medianTime(runs: runs) { blackHole(A.transposedTimes(x)) }
  results.append([
    "benchmark": "matvec-transposed", "shape": "\(m)x\(m)", "gb_per_s": bytes / tMvT / 1e9,
    "gflop_per_s": 2 * Double(m * m) / tMvT / 1e9, "seconds": tMvT,
  ])
  let tNormal = medianTime(runs: runs) { blackHole(A.normalTimes(x)) }
  results.append([
    "benchmark": "normal-matvec (AᵀAx, one pass)", "shape": "\(m)x\(m)", "gb_per_s": bytes / tNormal / 1e9,
    "gflop_per_s": 4 * Double(m * m) / tNormal / 1e9, "seconds": tNormal,
  ])

  // Gradient / evaluation ratio and dual HVP of ½‖Ax − b‖² + λ‖x‖² at n = 1000.
  let k = 1000
  let objective = LeastSquaresObjective(A: rng.normalMatrix(rows: k, columns: k), b: rng.normalVector(k), lambda: 0.1)
  let w = rng.normalVector(k), v = rng.normalVector(k)
  let tEval = medianTime(runs: runs * 4) { blackHole(objective(w)) }
  let tGrad = medianTime(runs: runs * 4) { blackHole(objective.valueWithGradient(at: w)) }
  let tHVP = medianTime(runs: runs * 4) { blackHole(objective.hessianVectorProduct(at: w, along: v)) }
  results.append([
    "benchmark": "least-squares n=1000", "eval_s": tEval, "gradient_s": tGrad, "gradient_over_eval": tGrad / tEval,
    "dual_hvp_s": tHVP, "hvp_over_gradient": tHVP / tGrad,
  ])

  // Root VJP vs forward solve, ridge n = 500 samples, p = 1000 features.
  let (rows, features) = (500, 1000)
  let X = rng.normalMatrix(rows: rows, columns: features, scale: 1 / Double(features).squareRoot())
  let target = rng.normalVector(rows)
  let theta = 0.1
  let gramOperator = LinearOperator(template: Vector<Double>.zeros(features), structure: .symmetricPositiveDefinite) {
    X.normalTimes($0) + theta * $0
  }
  let cg = LinearSolver(.conjugateGradient, relativeTolerance: 1e-10)
  var solution = Vector<Double>.zeros(features)
  var forwardIterations = 0
  let tForward = medianTime(runs: runs) {
    let r = cg.solve(gramOperator, X.transposedTimes(target))
    solution = r.solution
    forwardIterations = r.iterations
  }
  if let condition = try? RidgeCondition(A: X, b: target) {
    let differentiator = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: cg))
    let cotangent = rng.normalVector(features)
    var iterations = 0
    let tVJP = medianTime(runs: runs) {
      if let d = try? differentiator.vjp(cotangent, at: solution, theta) { iterations = d.diagnostics.linearSolve.iterations }
    }
    results.append([
      "benchmark": "ridge root VJP n=500 p=1000", "forward_cg_s": tForward, "forward_iterations": forwardIterations,
      "vjp_s": tVJP, "vjp_iterations": iterations, "vjp_over_forward": tVJP / tForward,
    ])
  }
  return results
}
