import ImplicitCore

#if canImport(Glibc)
  import Glibc
#endif

/// A smooth workload of `benchmarks.md`: `f(w, θ) = mean ℓ(⟨xᵢ, w⟩, yᵢ) + ½Σⱼ θⱼwⱼ²` on training
/// data, solved by accelerated gradient descent with step `1/L`, and an outer loss on a
/// validation set of the same size (`MSE` for ridge, mean logistic loss for logistic).
///
/// Everything that touches `X` is one fused pass (``SmoothDataSet/fusedProduct``) on all cores;
/// the solver and the unrolled reverse pass run their whole loop inside one team run.
final class SmoothProblem: @unchecked Sendable {
  let loss: SmoothLossKind
  let train: SmoothDataSet
  let validation: SmoothDataSet
  /// Per-feature regularisation strengths, log-uniform in `[0.3, 1]`.
  let theta: [Double]
  /// `1/L`, `L = curvatureBound·λ_max(XᵀX)/n + max θ`.
  let stepSize: Double

  var samples: Int { train.rows }
  var features: Int { train.columns }
  /// `MSE = 2·mean(½(d − y)²)`; the logistic outer loss is the mean loss itself.
  var outerFactor: Double { loss == .squared ? 2 : 1 }

  /// Synthetic data from `seed`: `X` standard normal, `w_true ~ N(0, 1/p)`; ridge targets
  /// `⟨xᵢ, w_true⟩ + 0.5·ε`, logistic labels `sign(⟨xᵢ, w_true⟩ + 0.5·ε)`.
  init(loss: SmoothLossKind, samples n: Int, features p: Int, seed: UInt64) {
    var g = SeededGenerator(seed: seed)
    let truth = (0..<p).map { _ in g.normal() / Double(p).squareRoot() }
    let target: (Double, inout SeededGenerator) -> Double = { margin, g in
      let noisy = margin + 0.5 * g.normal()
      return loss == .squared ? noisy : (noisy >= 0 ? 1 : -1)
    }
    self.loss = loss
    train = SmoothDataSet(rows: n, columns: p, generator: &g, target: target, truth: truth)
    validation = SmoothDataSet(rows: n, columns: p, generator: &g, target: target, truth: truth)
    let (lo, hi) = (log(0.3), log(1.0))
    theta = (0..<p).map { _ in exp(lo + (hi - lo) * Double.random(in: 0..<1, using: &g)) }
    let lipschitz = loss.curvatureBound * train.largestGramEigenvalue() / Double(n) + (theta.max() ?? 0)
    stepSize = 1 / lipschitz
  }

  // MARK: - Inner problem

  /// `∇ₓf(w, θ)` and the margins `⟨xᵢ, w⟩`: one fused pass.
  func gradient(at w: [Double], theta: [Double]) -> (gradient: [Double], margins: [Double]) {
    let (p, n) = (features, samples)
    let v = SmoothBuffer.copy(w), th = SmoothBuffer.copy(theta), out = SmoothBuffer.zeros(p)
    let dots = SmoothBuffer.zeros(n)
    defer { [v, th, out, dots].forEach { $0.free() } }
    let (loss, y, scale) = (loss, train.y, 1 / Double(n))
    train.fusedProduct(v, diagonal: th, dots: dots, into: out) { i, d in loss.derivative(d, y.p[i]) * scale }
    return (out.array(p), dots.array(n))
  }

  /// `ℓ''(⟨xᵢ, w⟩, yᵢ)` for every sample, from the margins; `nil` when it is constant (squared loss).
  func curvatures(margins: [Double]) -> [Double]? {
    guard loss != .squared else { return nil }
    return margins.indices.map { loss.curvature(margins[$0], train.y.p[$0]) }
  }

  /// `(∇²ₓf) v = Xᵀ diag(s) X v / n + θ ∘ v` (`s` the curvatures, `nil` for ones): one fused pass.
  func hessianProduct(_ v: [Double], curvatures s: [Double]?, theta: [Double]) -> [Double] {
    let p = features
    let vb = SmoothBuffer.copy(v), th = SmoothBuffer.copy(theta), out = SmoothBuffer.zeros(p)
    let sb = s.map(SmoothBuffer.copy)
    defer {
      [vb, th, out].forEach { $0.free() }
      sb?.free()
    }
    let scale = 1 / Double(samples)
    train.fusedProduct(vb, diagonal: th, dots: nil, into: out) { i, d in (sb.map { $0.p[i] } ?? 1) * d * scale }
    return out.array(p)
  }

  /// What the unrolled reverse pass needs from the forward iterations.
  final class Trajectory: @unchecked Sendable {
    /// `z_k` (the points where gradients were taken), `iterations × p`.
    let points: SmoothBuffer
    /// `⟨xᵢ, z_k⟩`, `iterations × n`.
    let margins: SmoothBuffer
    init(iterations: Int, features p: Int, samples n: Int) {
      points = SmoothBuffer.zeros(iterations * p)
      margins = SmoothBuffer.zeros(iterations * n)
    }
    deinit {
      points.free()
      margins.free()
    }
  }

  /// Accelerated gradient descent from `w = 0`, step `1/L`, exactly `iterations` steps:
  /// `w_{k+1} = z_k − η∇f(z_k)`, `z_{k+1} = w_{k+1} + β_k(w_{k+1} − w_k)`.
  ///
  /// Per iteration: one fused pass over `X` by row chunks (visited in alternating directions, so
  /// the rows read last are read first next time, while still cached), then the update by column
  /// chunks.
  func solve(theta: [Double], iterations: Int, recording trajectory: Trajectory? = nil) -> [Double] {
    let (n, p, team, chunks) = (samples, features, train.team, train.chunks)
    let w = SmoothBuffer.zeros(p), z = SmoothBuffer.zeros(p), th = SmoothBuffer.copy(theta)
    let scratchMargins = SmoothBuffer.zeros(n)
    defer { [w, z, th, scratchMargins].forEach { $0.free() } }
    let momentum = smoothNesterovMomentum(iterations)
    let (eta, scale, loss, x, y, partials) = (stepSize, 1 / Double(n), loss, train.x, train.y, train.partials)
    for k in 0..<iterations {
      let margins = SmoothBuffer(trajectory.map { $0.margins.p + k * n } ?? scratchMargins.p)
      let reversed = k & 1 == 1
      team.run(chunks: chunks, reversed: reversed) { c in
        SmoothKernels.fusedRowPass(
          x.p, columns: p, rows: smoothPartition(n, parts: chunks, c, align: 4), reversed: reversed, z.p,
          dots: margins.p, into: partials.p + c * p
        ) { i, d in loss.derivative(d, y.p[i]) * scale }
      }
      let (beta, recorded) = (momentum[k], trajectory.map { SmoothBuffer($0.points.p + k * p) })
      team.run(chunks: chunks) { c in
        for j in smoothPartition(p, parts: chunks, c, align: 8) {
          let zj = z.p[j]
          let g = partials.collect(j, chunks: chunks, stride: p) + th.p[j] * zj
          recorded?.p[j] = zj
          let next = zj - eta * g
          z.p[j] = next + beta * (next - w.p[j])
          w.p[j] = next
        }
      }
    }
    return w.array(p)
  }

  // MARK: - Outer problem

  /// The validation loss at `w` and its gradient in `w`: one fused pass over the validation set.
  func outerLossAndGradient(at w: [Double]) -> (value: Double, gradient: [Double]) {
    let (n, p) = (validation.rows, validation.columns)
    let v = SmoothBuffer.copy(w), out = SmoothBuffer.zeros(p), dots = SmoothBuffer.zeros(n)
    defer { [v, out, dots].forEach { $0.free() } }
    let (loss, y, scale) = (loss, validation.y, outerFactor / Double(n))
    validation.fusedProduct(v, diagonal: nil, dots: dots, into: out) { i, d in loss.derivative(d, y.p[i]) * scale }
    var value = 0.0
    for i in 0..<n { value += loss.value(dots.p[i], y.p[i]) }
    return (value * scale, out.array(p))
  }

  // MARK: - Unrolled differentiation

  /// The hypergradient by reverse-mode differentiation through the `iterations` solver steps: a
  /// hand-written adjoint pass over the stored iterates `z_k` and margins `⟨xᵢ, z_k⟩`.
  ///
  /// With `a = ŵ_{k+1} + (1 + β_k) ẑ_{k+1}` (the adjoint of `w_{k+1}`), going back from
  /// `ŵ_K = ∇L(w_K)`, `ẑ_K = 0`: `θ̂ −= η z_k ∘ a`, `ẑ_k = a − η∇²f(z_k) a`, `ŵ_k = −β_k ẑ_{k+1}`.
  /// Each step is one fused pass over `X` (a Hessian-vector product at `z_k`).
  func unrolledHypergradient(theta: [Double], iterations: Int) -> (
    hypergradient: [Double], solution: [Double], outerLoss: Double
  ) {
    let (n, p, team, chunks) = (samples, features, train.team, train.chunks)
    let trajectory = Trajectory(iterations: iterations, features: p, samples: n)
    let solution = solve(theta: theta, iterations: iterations, recording: trajectory)
    let (outerLoss, outerGradient) = outerLossAndGradient(at: solution)
    let wBar = SmoothBuffer.copy(outerGradient), zBar = SmoothBuffer.zeros(p), a = SmoothBuffer.zeros(p)
    let thetaBar = SmoothBuffer.zeros(p), th = SmoothBuffer.copy(theta)
    defer { [wBar, zBar, a, thetaBar, th].forEach { $0.free() } }
    let momentum = smoothNesterovMomentum(iterations)
    let (eta, scale, loss, x, y, partials) = (stepSize, 1 / Double(n), loss, train.x, train.y, train.partials)
    for j in 0..<p { a.p[j] = wBar.p[j] }  // a = ŵ_K + (1 + β)·0
    for k in stride(from: iterations - 1, through: 0, by: -1) {
      let (beta, point, margins) = (
        momentum[k], SmoothBuffer(trajectory.points.p + k * p), SmoothBuffer(trajectory.margins.p + k * n)
      )
      let reversed = k & 1 == 0
      team.run(chunks: chunks, reversed: reversed) { c in
        SmoothKernels.fusedRowPass(
          x.p, columns: p, rows: smoothPartition(n, parts: chunks, c, align: 4), reversed: reversed, a.p,
          dots: nil, into: partials.p + c * p
        ) { i, d in loss.curvature(margins.p[i], y.p[i]) * d * scale }
      }
      let nextBeta = k > 0 ? momentum[k - 1] : 0
      team.run(chunks: chunks) { c in
        for j in smoothPartition(p, parts: chunks, c, align: 8) {
          let aj = a.p[j]
          thetaBar.p[j] -= eta * point.p[j] * aj
          let ha = partials.collect(j, chunks: chunks, stride: p) + th.p[j] * aj
          let previous = zBar.p[j]
          zBar.p[j] = aj - eta * ha
          wBar.p[j] = -beta * previous
          // The adjoint of w_k, for the next (earlier) step.
          a.p[j] = wBar.p[j] + (1 + nextBeta) * zBar.p[j]
        }
      }
    }
    return (thetaBar.array(p), solution, outerLoss)
  }
}
