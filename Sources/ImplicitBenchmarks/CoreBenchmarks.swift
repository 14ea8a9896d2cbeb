import Dispatch
import ImplicitCore
import ImplicitRidge
import _Differentiation

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

extension BenchmarkSuites {
  /// Kernel throughput against memory bandwidth, AD cost ratios and root VJP vs forward solve
  /// (the core's benchmarks). Each entry is a flat dictionary of numbers and strings.
  public static func core(quick: Bool, runs: Int) -> [[String: any Sendable]] {
    coreBenchmarks(quick: quick, runs: runs)
  }
}

func coreBenchmarks(quick: Bool, runs: Int) -> [[String: any Sendable]] {
  var results = [[String: any Sendable]]()
  var rng = SeededGenerator(seed: 7)

  // Memory bandwidth: a streaming sum over an array far larger than the caches.
  let big = quick ? 16_000_000 : 64_000_000
  let stream = [Double](repeating: 1.5, count: big)
  let tStream = medianTime(runs: runs) {
    blackHole(stream.withUnsafeBufferPointer { Kernels.sum($0.baseAddress!, big) })
  }
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
  let cg = ConjugateGradient(relativeTolerance: 1e-10)
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
      if let d = try? differentiator.vjp(cotangent, at: solution, theta) {
        iterations = d.diagnostics.linearSolve.iterations
      }
    }
    results.append([
      "benchmark": "ridge root VJP n=500 p=1000", "forward_cg_s": tForward, "forward_iterations": forwardIterations,
      "vjp_s": tVJP, "vjp_iterations": iterations, "vjp_over_forward": tVJP / tForward,
    ])
  }
  return results
}
