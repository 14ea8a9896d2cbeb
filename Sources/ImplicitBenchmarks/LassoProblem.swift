import ImplicitCore

/// The `lasso-pP` workload of `benchmarks.md`: `f(w) = ½·mean((Xw − y)²) + λ‖w‖₁`,
/// `λ = 0.1·λ_max` (`λ_max = ‖Xᵀy‖_∞/n`, the smallest λ with solution 0), solved by FISTA with
/// step `1/L`; outer loss = validation MSE; `θ = λ`.
///
/// Same machinery as ``SmoothProblem``: one fused pass over `X` per iteration on all cores.
final class LassoProblem: @unchecked Sendable {
  let train: SmoothDataSet
  let validation: SmoothDataSet
  /// `‖Xᵀy‖_∞/n`.
  let lambdaMax: Double
  /// `0.1·λ_max`, the point where the hypergradient is taken.
  let lambda: Double
  /// `1/L`, `L = λ_max(XᵀX)/n`.
  let stepSize: Double

  var samples: Int { train.rows }
  var features: Int { train.columns }

  /// Synthetic data from `seed`: `X` standard normal, `w_true` with 5% nonzero standard normal
  /// entries, `y = Xw_true + 0.5·ε`.
  init(samples n: Int, features p: Int, seed: UInt64) {
    var g = SeededGenerator(seed: seed)
    let truth = (0..<p).map { _ in Double.random(in: 0..<1, using: &g) < 0.05 ? g.normal() : 0 }
    let target: (Double, inout SeededGenerator) -> Double = { margin, g in margin + 0.5 * g.normal() }
    train = SmoothDataSet(rows: n, columns: p, generator: &g, target: target, truth: truth)
    validation = SmoothDataSet(rows: n, columns: p, generator: &g, target: target, truth: truth)
    let correlation = SmoothBuffer.zeros(p), ones = SmoothBuffer.zeros(p)
    defer {
      correlation.free()
      ones.free()
    }
    // Xᵀy through the fused product: coefficient yᵢ whatever the dot.
    let y = train.y
    train.fusedProduct(ones, diagonal: nil, dots: nil, into: correlation) { i, _ in y.p[i] }
    lambdaMax = (0..<p).map { abs(correlation.p[$0]) }.max()! / Double(n)
    lambda = 0.1 * lambdaMax
    stepSize = Double(n) / train.largestGramEigenvalue()
  }

  /// `∇f(w)` of the smooth part, `Xᵀ(Xw − y)/n`: one fused pass.
  func smoothGradient(at w: [Double]) -> [Double] {
    let p = features
    let v = SmoothBuffer.copy(w), out = SmoothBuffer.zeros(p)
    defer {
      v.free()
      out.free()
    }
    let (y, scale) = (train.y, 1 / Double(samples))
    train.fusedProduct(v, diagonal: nil, dots: nil, into: out) { i, d in (d - y.p[i]) * scale }
    return out.array(p)
  }

  /// `‖ST(w − η∇f(w), ηλ) − w‖/η`: the proximal-gradient mapping, zero exactly at solutions.
  func optimalityError(at w: [Double], lambda: Double) -> Double {
    let g = smoothGradient(at: w)
    var s = 0.0
    for j in w.indices {
      let d = lassoSoftThreshold(w[j] - stepSize * g[j], stepSize * lambda) - w[j]
      s += d * d
    }
    return s.squareRoot() / stepSize
  }

  /// The signed support pattern FISTA leaves at each iteration: `sign(u_k)` where the soft
  /// threshold keeps `u_k = z_k − η∇f(z_k)`, else 0 (`iterations × p`).
  final class Trajectory: @unchecked Sendable {
    let pattern: SmoothBuffer
    init(iterations: Int, features p: Int) { pattern = SmoothBuffer.zeros(iterations * p) }
    deinit { pattern.free() }
  }

  /// FISTA from `w = 0`, step `1/L`, exactly `iterations` steps:
  /// `w_{k+1} = ST(z_k − η∇f(z_k), ηλ)`, `z_{k+1} = w_{k+1} + β_k(w_{k+1} − w_k)`.
  func solve(lambda: Double, iterations: Int, recording trajectory: Trajectory? = nil) -> [Double] {
    let (n, p, team, chunks) = (samples, features, train.team, train.chunks)
    let w = SmoothBuffer.zeros(p), z = SmoothBuffer.zeros(p)
    defer {
      w.free()
      z.free()
    }
    let momentum = smoothNesterovMomentum(iterations)
    let (eta, threshold, scale) = (stepSize, stepSize * lambda, 1 / Double(n))
    let (x, y, partials) = (train.x, train.y, train.partials)
    for k in 0..<iterations {
      let reversed = k & 1 == 1
      team.run(chunks: chunks, reversed: reversed) { c in
        SmoothKernels.fusedRowPass(
          x.p, columns: p, rows: smoothPartition(n, parts: chunks, c, align: 4), reversed: reversed, z.p,
          dots: nil, into: partials.p + c * p
        ) { i, d in (d - y.p[i]) * scale }
      }
      let (beta, pattern) = (momentum[k], trajectory.map { SmoothBuffer($0.pattern.p + k * p) })
      team.run(chunks: chunks) { c in
        for j in smoothPartition(p, parts: chunks, c, align: 8) {
          let u = z.p[j] - eta * partials.collect(j, chunks: chunks, stride: p)
          let next = lassoSoftThreshold(u, threshold)
          pattern?.p[j] = next == 0 ? 0 : (u > 0 ? 1 : -1)
          z.p[j] = next + beta * (next - w.p[j])
          w.p[j] = next
        }
      }
    }
    return w.array(p)
  }

  /// Validation MSE at `w` and its gradient: one fused pass over the validation set.
  func outerLossAndGradient(at w: [Double]) -> (value: Double, gradient: [Double]) {
    let (n, p) = (validation.rows, validation.columns)
    let v = SmoothBuffer.copy(w), out = SmoothBuffer.zeros(p), dots = SmoothBuffer.zeros(n)
    defer { [v, out, dots].forEach { $0.free() } }
    let (y, scale) = (validation.y, 2 / Double(n))
    validation.fusedProduct(v, diagonal: nil, dots: dots, into: out) { i, d in (d - y.p[i]) * scale }
    var value = 0.0
    for i in 0..<n { value += (dots.p[i] - y.p[i]) * (dots.p[i] - y.p[i]) }
    return (value / Double(n), out.array(p))
  }

  /// dL/dλ by reverse-mode differentiation through the FISTA iterations: a hand-written adjoint
  /// pass over the stored support patterns. With `a = ŵ_{k+1} + (1 + β_k) ẑ_{k+1}` and the
  /// pattern `m_k` (`∂ST/∂u = |m_k|`, `∂ST/∂λ = −η m_k`): `λ̂ −= η⟨m_k, a⟩`, `b = |m_k| ∘ a`,
  /// `ẑ_k = b − η XᵀXb/n`, `ŵ_k = −β_k ẑ_{k+1}`. One fused pass per iteration.
  func unrolledHypergradient(lambda: Double, iterations: Int) -> (
    hypergradient: Double, solution: [Double], outerLoss: Double
  ) {
    let (n, p, team, chunks) = (samples, features, train.team, train.chunks)
    let trajectory = Trajectory(iterations: iterations, features: p)
    let solution = solve(lambda: lambda, iterations: iterations, recording: trajectory)
    let (outerLoss, outerGradient) = outerLossAndGradient(at: solution)
    let wBar = SmoothBuffer.copy(outerGradient), zBar = SmoothBuffer.zeros(p), b = SmoothBuffer.zeros(p)
    let lambdaBar = SmoothBuffer.zeros(p)
    defer { [wBar, zBar, b, lambdaBar].forEach { $0.free() } }
    let momentum = smoothNesterovMomentum(iterations)
    let (eta, scale, x, partials) = (stepSize, 1 / Double(n), train.x, train.partials)
    // b = |m_k| ∘ a_k with a_{K−1} = ŵ_K; per-coordinate λ̂ terms are summed at the end (fixed order).
    func mask(_ k: Int, _ j: Int, _ a: Double) -> Double {
      let m = trajectory.pattern.p[k * p + j]
      lambdaBar.p[j] -= eta * m * a
      return m == 0 ? 0 : a
    }
    for j in 0..<p { b.p[j] = mask(iterations - 1, j, wBar.p[j]) }
    for k in stride(from: iterations - 1, through: 0, by: -1) {
      let reversed = k & 1 == 0
      team.run(chunks: chunks, reversed: reversed) { c in
        SmoothKernels.fusedRowPass(
          x.p, columns: p, rows: smoothPartition(n, parts: chunks, c, align: 4), reversed: reversed, b.p,
          dots: nil, into: partials.p + c * p
        ) { _, d in d * scale }
      }
      let (beta, nextBeta) = (momentum[k], k > 0 ? momentum[k - 1] : 0)
      team.run(chunks: chunks) { c in
        for j in smoothPartition(p, parts: chunks, c, align: 8) {
          let previous = zBar.p[j]
          zBar.p[j] = b.p[j] - eta * partials.collect(j, chunks: chunks, stride: p)
          wBar.p[j] = -beta * previous
          if k > 0 {
            let m = trajectory.pattern.p[(k - 1) * p + j]
            let a = wBar.p[j] + (1 + nextBeta) * zBar.p[j]
            lambdaBar.p[j] -= eta * m * a
            b.p[j] = m == 0 ? 0 : a
          }
        }
      }
    }
    return ((0..<p).reduce(0) { $0 + lambdaBar.p[$1] }, solution, outerLoss)
  }
}

/// `sign(u)·max(|u| − τ, 0)`, the proximal operator of `τ‖·‖₁`.
@inline(__always) func lassoSoftThreshold(_ u: Double, _ tau: Double) -> Double {
  u > tau ? u - tau : (u < -tau ? u + tau : 0)
}
