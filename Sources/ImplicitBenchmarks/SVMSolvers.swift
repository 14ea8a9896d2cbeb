import Foundation
import ImplicitCore

/// The three solvers of the SVM workloads, each run for a fixed number of iterations (no
/// early stopping, as JAXopt was timed), on concrete `Double` buffers.
///
/// Each can record a *tape* — what its hand-written reverse pass (``SVMUnrolled``) needs —
/// so that the unrolled hypergradient differentiates exactly the iterations that ran.
/// Step sizes are constants of the solver (computed once from `θ` at set-up): the unrolled
/// derivative does not flow through them.
enum SVMSolvers {
  /// The iterates `β₀ … β_T` of a run, flattened (`(T + 1) · n·k`).
  struct IterateTape {
    var iterates: [Double]
    /// Momentum coefficients `m_t` (accelerated projected gradient only).
    var momentum: [Double] = []
  }

  /// What block coordinate descent's reverse pass needs: per sweep and row, the new row and
  /// the row of `K(β − Y)` it was computed from.
  struct BlockTape {
    var rows: [Double]
    var kernelRows: [Double]
  }

  /// Mirror descent in the KL geometry of each row's simplex:
  /// `β ← softmax_row(log β − η ∇f(β, θ))`, computed as `β ⊙ exp(−η(g − min g))` renormalised
  /// (the same map without logarithms: zero entries stay zero, like the safe log).
  static func mirrorDescent(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, theta: Double, stepSize eta: Double, iterations: Int,
    record: Bool
  ) -> (beta: [Double], tape: IterateTape?) {
    let n = problem.samples, k = problem.classes, d = n * k
    var beta = problem.uniformStart
    var tape = record ? IterateTape(iterates: []) : nil
    tape?.iterates.reserveCapacity((iterations + 1) * d)
    tape?.iterates += beta
    let buffers = UnsafeMutablePointer<Double>.allocate(capacity: 2 * d)
    defer { buffers.deallocate() }
    let residual = buffers, g = buffers + d
    let scale = 1 / theta
    problem.Y.withUnsafeBufferPointer { yb in
      let y = yb.baseAddress!
      for _ in 0..<iterations {
        beta.withUnsafeMutableBufferPointer { bb in
          let b = bb.baseAddress!
          for i in 0..<d { residual[i] = b[i] - y[i] }
          op.apply(residual, into: g)
          for i in 0..<n {
            let base = i &* k
            var low = Double.infinity
            for c in 0..<k {
              let gradient = g[base &+ c] * scale + y[base &+ c] - 1
              g[base &+ c] = gradient
              low = Swift.min(low, gradient)
            }
            var s = 0.0
            for c in 0..<k {
              let v = b[base &+ c] * Foundation.exp(-eta * (g[base &+ c] - low))
              b[base &+ c] = v
              s += v
            }
            let inverse = 1 / s
            for c in 0..<k { b[base &+ c] *= inverse }
          }
        }
        tape?.iterates += beta
      }
    }
    return (beta, tape)
  }

  /// Accelerated projected gradient (FISTA) with the row-wise simplex projection:
  /// `β_{t+1} = P(y_t − η∇f(y_t))`, `y_{t+1} = β_{t+1} + m_t(β_{t+1} − β_t)`,
  /// `m_t = (s_t − 1)/s_{t+1}`, `s_{t+1} = (1 + √(1 + 4s_t²))/2`, `s_0 = 1`.
  static func acceleratedProjectedGradient(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, theta: Double, stepSize eta: Double, iterations: Int,
    record: Bool
  ) -> (beta: [Double], tape: IterateTape?) {
    let n = problem.samples, k = problem.classes, d = n * k
    var beta = problem.uniformStart
    var point = beta  // y_t
    var tape = record ? IterateTape(iterates: []) : nil
    tape?.iterates.reserveCapacity((iterations + 1) * d)
    tape?.iterates += beta
    var residual = [Double](repeating: 0, count: d)
    var g = [Double](repeating: 0, count: d)
    var next = [Double](repeating: 0, count: d)
    var z = [Double](repeating: 0, count: d)
    var scratch = [Double](repeating: 0, count: k)
    let y = problem.Y
    var s = 1.0
    for _ in 0..<iterations {
      for i in 0..<d { residual[i] = point[i] - y[i] }
      residual.withUnsafeBufferPointer { r in
        g.withUnsafeMutableBufferPointer { op.apply(r.baseAddress!, into: $0.baseAddress!) }
      }
      for i in 0..<d { z[i] = point[i] - eta * (g[i] / theta + y[i] - 1) }
      z.withUnsafeBufferPointer { zp in
        next.withUnsafeMutableBufferPointer { np in
          scratch.withUnsafeMutableBufferPointer { sp in
            for i in 0..<n {
              SVMKernels.projectRow(zp.baseAddress! + i &* k, k, np.baseAddress! + i &* k, sp.baseAddress!)
            }
          }
        }
      }
      let sNext = (1 + (1 + 4 * s * s).squareRoot()) / 2
      let m = (s - 1) / sNext
      s = sNext
      for i in 0..<d { point[i] = next[i] + m * (next[i] - beta[i]) }
      swap(&beta, &next)
      tape?.iterates += beta
      tape?.momentum.append(m)
    }
    return (beta, tape)
  }

  /// Block coordinate descent, one block per row `βᵢ` (a simplex), cyclic order; one iteration
  /// is a full sweep. Row update `βᵢ ← P(βᵢ − ηᵢ∇ᵢf)`, `ηᵢ = 1/Lᵢ`, `Lᵢ = ‖xᵢ‖²/θ`, with
  /// `K(β − Y)` kept up to date row by row (``SVMBlockAccumulator``).
  static func blockCoordinateDescent(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, theta: Double, stepSizes eta: [Double], sweeps: Int,
    record: Bool
  ) -> (beta: [Double], tape: BlockTape?) {
    let n = problem.samples, k = problem.classes, d = n * k
    var beta = problem.uniformStart
    var accumulator = SVMBlockAccumulator(op, coefficients: problem.centered(beta))
    var tapeRows = [Double](), tapeKernelRows = [Double]()
    if record {
      tapeRows = [Double](repeating: 0, count: sweeps * d)
      tapeKernelRows = [Double](repeating: 0, count: sweeps * d)
    }
    let y = problem.Y
    let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 4 * k)
    defer { buffer.deallocate() }
    let row = buffer, z = buffer + k, fresh = buffer + 2 * k, scratch = buffer + 3 * k
    let op = accumulator.op
    accumulator.withPointers { kernel, x, state in
      beta.withUnsafeMutableBufferPointer { bb in
        tapeRows.withUnsafeMutableBufferPointer { tr in
          tapeKernelRows.withUnsafeMutableBufferPointer { tk in
            y.withUnsafeBufferPointer { yb in
              eta.withUnsafeBufferPointer { eb in
                let b = bb.baseAddress!, y = yb.baseAddress!, eta = eb.baseAddress!
                for sweep in 0..<sweeps {
                  for i in 0..<n {
                    let base = i &* k
                    op.blockRead(row: i, into: row, x: x, state: state)
                    let step = eta[i]
                    for c in 0..<k { z[c] = b[base &+ c] - step * (row[c] / theta + y[base &+ c] - 1) }
                    SVMKernels.projectRow(z, k, fresh, scratch)
                    var changed = false
                    for c in 0..<k {
                      let delta = fresh[c] - b[base &+ c]
                      if delta != 0 { changed = true }
                      z[c] = delta
                      b[base &+ c] = fresh[c]
                    }
                    if changed { op.blockAdd(row: i, z, kernel: kernel, x: x, state: state) }
                    if record, let rows = tr.baseAddress, let kernelRows = tk.baseAddress {
                      let offset = sweep &* d &+ base
                      for c in 0..<k {
                        rows[offset &+ c] = fresh[c]
                        kernelRows[offset &+ c] = row[c]
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    return (beta, record ? BlockTape(rows: tapeRows, kernelRows: tapeKernelRows) : nil)
  }
}
