import Foundation
import ImplicitCore

/// One instance of the multiclass-SVM workloads: the Crammer–Singer dual
///
///     β*(θ) = argmin_{βᵢ ∈ Δₖ} f(β, θ) = ½/θ ‖Xᵀ(Y − β)‖²_F + ⟨β, Y − 1⟩
///
/// (the objective of ``ImplicitObjectives/MulticlassSVMDual``) on synthetic data, with a
/// validation set of the same size and the outer loss `val(θ) = CE(X_val W, Y_val)`,
/// `W = Xᵀ(Y − β*)/θ`. `β` is stored flattened row by row (`n × k`), like the library does.
///
/// Data: rows of `X` are standard normal scaled by `1/√P`; labels are the argmax of
/// `xᵢ·W_true + 0.5·noise` for a fixed random `W_true`, so the classes are learnable but not
/// separable; the validation set comes from the same model.
final class SVMBenchmarkProblem: Sendable {
  let samples: Int
  let features: Int
  let classes: Int
  /// Training features `n × P`, row-major.
  let X: [Double]
  /// One-hot training labels `n × k`.
  let Y: [Double]
  /// Validation features and one-hot labels (same sizes).
  let validationX: [Double]
  let validationY: [Double]
  /// `θ`, the l2 regularisation.
  let theta: Double
  /// `‖X‖₂²` (so `L = ‖X‖₂²/θ` is the Lipschitz constant of `∇_β f`).
  let squaredSpectralNorm: Double
  /// `‖xᵢ‖²`, the diagonal of `XXᵀ` (block Lipschitz constants times `θ`).
  let rowSquaredNorms: [Double]
  /// Whether products with `K = XXᵀ` use the precomputed `n × n` kernel (`n²k` per product)
  /// rather than two passes over `X` (`2nPk`): the kernel wins when `2P > n`.
  let usesKernel: Bool
  /// Threads for the products.
  let threads: Int

  init(samples n: Int, features p: Int, classes k: Int, theta: Double, seed: UInt64, threads: Int = Kernels.threadCount)
  {
    var rng = SeededGenerator(seed: seed)
    let scale = 1 / Double(p).squareRoot()
    let truth = (0..<(p * k)).map { _ in rng.normal() }  // W_true, P × k
    func sample() -> (x: [Double], y: [Double]) {
      let x = (0..<(n * p)).map { _ in scale * rng.normal() }
      var y = [Double](repeating: 0, count: n * k)
      for i in 0..<n {
        var best = 0
        var bestScore = -Double.infinity
        for c in 0..<k {
          var s = 0.5 * rng.normal()
          for f in 0..<p { s += x[i * p + f] * truth[f * k + c] }
          if s > bestScore { (best, bestScore) = (c, s) }
        }
        y[i * k + best] = 1
      }
      return (x, y)
    }
    let train = sample(), validation = sample()
    samples = n
    features = p
    classes = k
    X = train.x
    Y = train.y
    validationX = validation.x
    validationY = validation.y
    self.theta = theta
    squaredSpectralNorm = Matrix(rows: n, columns: p, scalars: train.x).squaredSpectralNorm()
    rowSquaredNorms = (0..<n).map { i in
      train.x.withUnsafeBufferPointer { Kernels.dot($0.baseAddress! + i * p, $0.baseAddress! + i * p, p) }
    }
    usesKernel = 2 * p > n
    self.threads = threads
  }

  /// The `n·k` dimension of `β`.
  var dimension: Int { samples * classes }

  /// The uniform feasible start `βᵢ = 1/k`.
  var uniformStart: [Double] { [Double](repeating: 1 / Double(classes), count: dimension) }

  /// The product operator for this instance. With the kernel route this computes `XXᵀ`
  /// (`n²P/2` multiply-adds).
  func makeOperator() -> SVMGramOperator {
    SVMGramOperator(
      samples: samples, classes: classes, features: features, X: X,
      kernel: usesKernel ? SVMKernels.gram(X, rows: samples, columns: features, threads: threads) : nil,
      threads: threads)
  }

  /// `X(XᵀM)` by plain loops: the reference the fast products are checked against.
  func plainKernelProduct(_ m: [Double]) -> [Double] {
    let n = samples, p = features, k = classes
    var v = [Double](repeating: 0, count: p * k)
    for i in 0..<n { for f in 0..<p { for c in 0..<k { v[f * k + c] += X[i * p + f] * m[i * k + c] } } }
    var out = [Double](repeating: 0, count: n * k)
    for i in 0..<n { for f in 0..<p { for c in 0..<k { out[i * k + c] += X[i * p + f] * v[f * k + c] } } }
    return out
  }

  /// `∇_β f = K(β − Y)/θ + Y − 1` from `G = K(β − Y)`.
  func gradient(kernelResidual g: [Double], theta: Double) -> [Double] {
    var out = g
    for i in 0..<out.count { out[i] = g[i] / theta + Y[i] - 1 }
    return out
  }

  /// `β − Y`.
  func centered(_ beta: [Double]) -> [Double] {
    var out = beta
    for i in 0..<out.count { out[i] -= Y[i] }
    return out
  }

  /// The outer loss `val = mean_i [logsumexp(zᵢ) − ⟨zᵢ, y_val,i⟩]`, `Z = X_val W`,
  /// `W = Xᵀ(Y − β)/θ`, and its partial derivatives in `β` and in `θ` (at fixed `β`).
  func outerLoss(_ beta: [Double], theta: Double) -> (loss: Double, beta: [Double], theta: Double) {
    let n = samples, p = features, k = classes
    var r = [Double](repeating: 0, count: n * k)
    for i in 0..<(n * k) { r[i] = (Y[i] - beta[i]) / theta }
    var w = [Double](repeating: 0, count: k * p)  // class-major
    var z = [Double](repeating: 0, count: n * k)
    var dW = [Double](repeating: 0, count: k * p)
    var dBeta = [Double](repeating: 0, count: n * k)
    var loss = 0.0
    X.withUnsafeBufferPointer { x in
      validationX.withUnsafeBufferPointer { xv in
        SVMKernels.featureTransposedProduct(x.baseAddress!, n, p, r, k, &w, threads: threads)
        SVMKernels.featureProduct(xv.baseAddress!, n, p, w, k, &z, threads: threads)
        var g = [Double](repeating: 0, count: n * k)
        for i in 0..<n {
          var m = -Double.infinity
          for c in 0..<k { m = max(m, z[i * k + c]) }
          var s = 0.0
          for c in 0..<k { s += Foundation.exp(z[i * k + c] - m) }
          let lse = m + Foundation.log(s)
          for c in 0..<k {
            loss += validationY[i * k + c] * (lse - z[i * k + c])
            g[i * k + c] = (Foundation.exp(z[i * k + c] - lse) - validationY[i * k + c]) / Double(n)
          }
        }
        loss /= Double(n)
        SVMKernels.featureTransposedProduct(xv.baseAddress!, n, p, g, k, &dW, threads: threads)
        SVMKernels.featureProduct(x.baseAddress!, n, p, dW, k, &dBeta, threads: threads)
      }
    }
    for i in 0..<(n * k) { dBeta[i] = -dBeta[i] / theta }
    var dTheta = 0.0
    for i in 0..<(k * p) { dTheta -= dW[i] * w[i] }
    return (loss, dBeta, dTheta / theta)
  }
}

/// `M ↦ K·M` for `K = XXᵀ` and `n × k` matrices `M` (row-major): through the precomputed
/// kernel, or through `X` (`XᵀM`, then `X·`) when `P` is small.
struct SVMGramOperator: @unchecked Sendable {
  let samples: Int
  let classes: Int
  let features: Int
  let X: [Double]
  /// `XXᵀ` (`n × n`), when the kernel route is used.
  let kernel: [Double]?
  /// `Xᵀ` (`P × n`), when the route through `X` is used (else empty).
  let transposedX: [Double]
  let threads: Int

  init(samples: Int, classes: Int, features: Int, X: [Double], kernel: [Double]?, threads: Int) {
    self.samples = samples
    self.classes = classes
    self.features = features
    self.X = X
    self.kernel = kernel
    self.threads = threads
    var t = [Double]()
    if kernel == nil {
      t = [Double](repeating: 0, count: X.count)
      for i in 0..<samples { for f in 0..<features { t[f * samples + i] = X[i * features + f] } }
    }
    transposedX = t
  }

  /// Threads worth using for one product (`n²k` or `2nPk` multiply-adds): below about a
  /// million the synchronisation costs more than a second core saves.
  var productThreads: Int {
    let work = kernel != nil ? samples * samples * classes : 2 * samples * features * classes
    return work >= 1_000_000 ? threads : 1
  }

  /// `out = K·m` (`m`, `out`: `n × k` row-major).
  func apply(_ m: UnsafePointer<Double>, into out: UnsafeMutablePointer<Double>) {
    let n = samples, k = classes
    let mT = UnsafeMutablePointer<Double>.allocate(capacity: n * k)
    defer { mT.deallocate() }
    for i in 0..<n { for c in 0..<k { mT[c &* n &+ i] = m[i &* k &+ c] } }
    let threads = productThreads
    if let kernel {
      kernel.withUnsafeBufferPointer { SVMKernels.kernelProduct($0.baseAddress!, n, mT, k, out, threads: threads) }
      return
    }
    // V = XᵀM as P dot products of the rows of Xᵀ with the columns of M, then X·V.
    let p = features
    let v = UnsafeMutablePointer<Double>.allocate(capacity: 2 * k * p)
    defer { v.deallocate() }
    let vT = v + k * p
    transposedX.withUnsafeBufferPointer { xt in
      let xtp = SVMConstPointer(xt.baseAddress!), mp = SVMConstPointer(mT), vp = SVMPointer(v)
      SVMKernels.parallel(threads, p / 2) { _, pairs in
        SVMKernels.rowDots(
          xtp.p, rows: (2 &* pairs.lowerBound)..<(pairs.upperBound == p / 2 ? p : 2 &* pairs.upperBound), length: n,
          mp.p, k,
          vp.p)
      }
    }
    for f in 0..<p { for c in 0..<k { vT[c &* p &+ f] = v[f &* k &+ c] } }
    X.withUnsafeBufferPointer { x in SVMKernels.featureProduct(x.baseAddress!, n, p, vT, k, out, threads: threads) }
  }

  /// `K·m`.
  func apply(_ m: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: m.count)
    m.withUnsafeBufferPointer { mp in
      out.withUnsafeMutableBufferPointer { apply(mp.baseAddress!, into: $0.baseAddress!) }
    }
    return out
  }

  /// `K_ii = ‖xᵢ‖²`.
  func diagonal(_ i: Int) -> Double {
    if let kernel { return kernel[i * samples + i] }
    return X.withUnsafeBufferPointer {
      Kernels.dot($0.baseAddress! + i * features, $0.baseAddress! + i * features, features)
    }
  }
}

/// `S = K·C` for a coefficient matrix `C` (`n × k`) that changes one row at a time (block
/// coordinate descent and its reverse pass): reading row `i` of `S` and adding `δ` to row `i`
/// of `C` each cost `O(nk)` through the kernel, `O(Pk)` through `X` (which keeps `XᵀC`).
struct SVMBlockAccumulator {
  let op: SVMGramOperator
  /// Class-major: `S` itself (`k × n`) with the kernel, `XᵀC` (`k × P`) without.
  var state: [Double]

  /// Starts from `C` (`n × k` row-major).
  init(_ op: SVMGramOperator, coefficients c: [Double]) {
    self.op = op
    let n = op.samples, k = op.classes
    if op.kernel != nil {
      let s = op.apply(c)
      var t = [Double](repeating: 0, count: n * k)
      for i in 0..<n { for j in 0..<k { t[j * n + i] = s[i * k + j] } }
      state = t
    } else {
      var v = [Double](repeating: 0, count: k * op.features)
      op.X.withUnsafeBufferPointer { x in
        SVMKernels.featureTransposedProduct(x.baseAddress!, n, op.features, c, k, &v, threads: 1)
      }
      state = v
    }
  }

  /// Runs `body` with the raw pointers that ``SVMGramOperator/blockRead(row:into:x:state:)`` and
  /// ``SVMGramOperator/blockAdd(row:_:kernel:x:state:)`` need.
  mutating func withPointers<R>(
    _ body: (_ kernel: UnsafePointer<Double>?, _ x: UnsafePointer<Double>, _ state: UnsafeMutablePointer<Double>) -> R
  ) -> R {
    let op = op
    return op.X.withUnsafeBufferPointer { x in
      state.withUnsafeMutableBufferPointer { s in
        if let kernel = op.kernel {
          return kernel.withUnsafeBufferPointer { body($0.baseAddress!, x.baseAddress!, s.baseAddress!) }
        }
        return body(nil, x.baseAddress!, s.baseAddress!)
      }
    }
  }
}

extension SVMGramOperator {
  // Row access for block coordinate descent (see ``SVMBlockAccumulator``); the pointers come
  // from ``SVMBlockAccumulator/withPointers(_:)``. Static dispatch on raw pointers: these run
  // n times per sweep.

  /// Writes row `i` of `S = K·C` into `out` (`k` entries).
  @inline(__always)
  func blockRead(
    row i: Int, into out: UnsafeMutablePointer<Double>, x: UnsafePointer<Double>, state s: UnsafePointer<Double>
  ) {
    let n = samples, k = classes
    if kernel != nil {
      for c in 0..<k { out[c] = s[c &* n &+ i] }
    } else {
      let p = features
      for c in 0..<k { out[c] = Kernels.dot(x + i &* p, s + c &* p, p) }
    }
  }

  /// `C_i += δ`, keeping `S` consistent.
  @inline(__always)
  func blockAdd(
    row i: Int, _ delta: UnsafePointer<Double>, kernel: UnsafePointer<Double>?, x: UnsafePointer<Double>,
    state s: UnsafeMutablePointer<Double>
  ) {
    let n = samples, k = classes
    if let kernel {
      for c in 0..<k where delta[c] != 0 { Kernels.axpy(delta[c], kernel + i &* n, s + c &* n, n) }
    } else {
      let p = features
      for c in 0..<k where delta[c] != 0 { Kernels.axpy(delta[c], x + i &* p, s + c &* p, p) }
    }
  }
}
