import ImplicitCore

/// Elastic-net sparse codes of many samples on one dictionary `D` (`d × k`, atoms as columns):
///
///     x*(a, D) = argmin_x ½‖a − Dx‖² + λ₁‖x‖₁ + ½λ₂‖x‖²
///
/// solved to machine precision, because implicit differentiation assumes a root of the
/// optimality condition: cyclic coordinate descent on the Gram form (`G = DᵀD`, `c = Dᵀa`),
/// then one exact solve on the detected support (`(G_SS + λ₂I) x_S = c_S − λ₁ sign(x_S)`), kept
/// only if it passes the optimality test. Every code is then checked against the
/// proximal-gradient fixed point `x = prox(x − η(Gx − c))`; a sample that fails throws
/// ``SparseCodingError`` rather than returning a plausible but wrong code.
struct ElasticNetCoder {
  /// `λ₁`, the l1 strength (sparsity).
  var l1: Double
  /// `λ₂ > 0`, the l2 strength (makes the code unique and the condition invertible).
  var l2: Double
  /// Largest accepted fixed-point residual `‖prox(x − η∇f) − x‖∞`, relative to `max(1, ‖c‖∞)`.
  var tolerance = 1e-10
  /// Coordinate-descent sweeps allowed per sample.
  var maxSweeps = 10_000

  /// What one call produced.
  struct Codes {
    /// One code per row (`n × k`).
    var codes: Matrix<Double>
    /// Mean number of non-zero coefficients per code.
    var meanNonZeros: Double
    /// Largest fixed-point residual over the samples.
    var worstResidual: Double
  }

  /// The codes of the rows of `samples` (`n × d`) on `dictionary` (`d × k`), warm-started from
  /// `initial` (`n × k`) when given.
  func encode(_ samples: Matrix<Double>, on dictionary: Matrix<Double>, from initial: Matrix<Double>? = nil) throws
    -> Codes
  {
    let (n, k) = (samples.rows, dictionary.columns)
    let gram = dictionary.transposed() * dictionary  // G = DᵀD
    let correlations = samples * dictionary  // row i: cᵢ = Dᵀaᵢ
    let step = 1 / max(dictionary.squaredSpectralNorm(), .leastNormalMagnitude)
    var codes = initial?.rows == n && initial?.columns == k ? initial! : Matrix<Double>.zeros(rows: n, columns: k)
    var worst = 0.0, nonZeros = 0
    for i in 0..<n {
      let c = Array(correlations.scalars[(i * k)..<((i + 1) * k)])
      var x = Array(codes.scalars[(i * k)..<((i + 1) * k)])
      coordinateDescent(&x, gram: gram, c: c)
      if let exact = supportSolve(x, gram: gram, c: c) { x = exact }
      let residual = fixedPointResidual(x, gram: gram, c: c, step: step)
      let scale = max(1, c.map { abs($0) }.max() ?? 0)
      guard residual.isFinite, residual <= tolerance * scale else {
        throw SparseCodingError.notConverged(sample: i, residual: residual, tolerance: tolerance * scale)
      }
      worst = max(worst, residual)
      nonZeros += x.filter { $0 != 0 }.count
      for j in 0..<k { codes.scalars[i * k + j] = x[j] }
    }
    return Codes(codes: codes, meanNonZeros: Double(nonZeros) / Double(max(n, 1)), worstResidual: worst)
  }

  /// Cyclic coordinate descent: `xⱼ ← S(cⱼ − Σ_{l≠j} Gⱼₗxₗ, λ₁) / (Gⱼⱼ + λ₂)` until no coordinate
  /// moves by more than 1e-14 (relative).
  func coordinateDescent(_ x: inout [Double], gram: Matrix<Double>, c: [Double]) {
    let k = x.count
    for _ in 0..<maxSweeps {
      var largestMove = 0.0, largest = 0.0
      for j in 0..<k {
        var r = c[j]
        for l in 0..<k where l != j { r -= gram.scalars[j * k + l] * x[l] }
        let updated = softThreshold(r, l1) / (gram.scalars[j * k + j] + l2)
        largestMove = max(largestMove, abs(updated - x[j]))
        largest = max(largest, abs(updated))
        x[j] = updated
      }
      if largestMove <= 1e-14 * max(largest, 1) { return }
    }
  }

  /// The exact code on the support and signs of `x`, if it satisfies the optimality conditions
  /// (same signs on the support, `|cⱼ − (Gx)ⱼ| ≤ λ₁` off it); `nil` otherwise.
  func supportSolve(_ x: [Double], gram: Matrix<Double>, c: [Double]) -> [Double]? {
    let k = x.count
    let support = (0..<k).filter { x[$0] != 0 }
    guard !support.isEmpty else { return nil }
    var system = Matrix<Double>.zeros(rows: support.count, columns: support.count)
    for (a, j) in support.enumerated() {
      for (b, l) in support.enumerated() { system[a, b] = gram.scalars[j * k + l] + (a == b ? l2 : 0) }
    }
    guard let cholesky = CholeskyFactorization(system) else { return nil }
    let solution = cholesky.solve(support.map { c[$0] - l1 * (x[$0] > 0 ? 1 : -1) })
    var exact = [Double](repeating: 0, count: k)
    for (a, j) in support.enumerated() {
      guard (solution[a] > 0) == (x[j] > 0), solution[a] != 0 else { return nil }
      exact[j] = solution[a]
    }
    for j in 0..<k where exact[j] == 0 {
      var r = c[j]
      for l in 0..<k { r -= gram.scalars[j * k + l] * exact[l] }
      if abs(r) > l1 { return nil }
    }
    return exact
  }

  /// `‖prox_{ηg}(x − η(Gx − c)) − x‖∞`: zero exactly at the code.
  func fixedPointResidual(_ x: [Double], gram: Matrix<Double>, c: [Double], step η: Double) -> Double {
    let k = x.count
    var worst = 0.0
    for j in 0..<k {
      var gradient = -c[j]
      for l in 0..<k { gradient += gram.scalars[j * k + l] * x[l] }
      let z = x[j] - η * gradient
      worst = max(worst, abs(softThreshold(z, η * l1) / (1 + η * l2) - x[j]))
    }
    return worst
  }

  /// The elastic-net objective `(1/n) Σᵢ ½‖aᵢ − Dxᵢ‖² + λ₁‖xᵢ‖₁ + ½λ₂‖xᵢ‖²`.
  func objective(_ samples: Matrix<Double>, _ dictionary: Matrix<Double>, _ codes: Matrix<Double>) -> Double {
    let residual = samples - codes * dictionary.transposed()
    let l1Norm = codes.scalars.reduce(0) { $0 + abs($1) }
    return (0.5 * residual.squaredNorm() + l1 * l1Norm + 0.5 * l2 * codes.squaredNorm()) / Double(max(samples.rows, 1))
  }
}

/// `sign(z)·max(|z| − t, 0)`.
private func softThreshold(_ z: Double, _ t: Double) -> Double { z > t ? z - t : (z < -t ? z + t : 0) }

/// A sparse code could not be computed to the precision implicit differentiation needs.
enum SparseCodingError: Error, CustomStringConvertible {
  case notConverged(sample: Int, residual: Double, tolerance: Double)

  var description: String {
    switch self {
    case .notConverged(let i, let residual, let tolerance):
      "sparse code of sample \(i) did not converge: fixed-point residual \(residual) > \(tolerance)"
    }
  }
}
