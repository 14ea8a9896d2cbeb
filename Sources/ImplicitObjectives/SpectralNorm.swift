import ImplicitCore
import ImplicitSparse
import Synchronization

/// `‖M‖₂²` of a data matrix, computed once on first use and then reused (thread-safe): the
/// objectives' Lipschitz constants need it for every `θ`, and it costs dozens of passes over the
/// data.
final class SquaredSpectralNorm: Sendable {
  let matrix: any DesignMatrix
  private let cached = Mutex<Double?>(nil)

  init(_ matrix: any DesignMatrix) { self.matrix = matrix }

  var value: Double {
    if let known = cached.withLock({ $0 }) { return known }
    let computed = largestEigenvalueOfGram(matrix)
    cached.withLock { $0 = computed }
    return computed
  }
}

/// `λmax(MᵀM) = ‖M‖₂²` by the Lanczos process on `v ↦ Mᵀ(Mv)` (on the smaller of `MᵀM`, `MMᵀ`).
///
/// Lanczos's largest Ritz value converges far faster than power iteration when the top of the
/// spectrum is clustered (typical of data matrices), and like the Rayleigh quotient it
/// approaches `λmax` from below; the result is scaled up by the stopping tolerance so that
/// `1/L` steps stay safe. No reorthogonalisation: lost orthogonality duplicates Ritz values
/// but does not push the largest one above `λmax` (beyond rounding).
func largestEigenvalueOfGram(_ m: any DesignMatrix, tolerance: Double = 1e-9, maxIterations: Int = 300) -> Double {
  guard m.rows > 0, m.columns > 0 else { return 0 }
  let wide = m.rows < m.columns
  let n = wide ? m.rows : m.columns
  let apply: (Vector<Double>) -> Vector<Double>
  if wide {
    apply = { m.product(m.transposedProduct($0)) }
  } else if let dense = m as? Matrix<Double> {
    apply = { dense.normalTimes($0) }
  } else {
    apply = { m.normalProduct($0).product }
  }
  var q = Vector((0..<n).map { 1 + 0.01 * Double($0 % 7) })
  q = q.scaled(by: 1 / q.norm)
  var previous = Vector<Double>.zeros(n)
  var beta = 0.0
  var alphas = [Double](), betas = [Double]()
  var estimate = 0.0
  for _ in 0..<min(maxIterations, n) {
    var w = apply(q)
    w.addScaled(-beta, previous)
    let alpha = w.innerProduct(with: q)
    w.addScaled(-alpha, q)
    alphas.append(alpha)
    let next = largestEigenvalueOfTridiagonal(alphas, betas)
    let converged = Swift.abs(next - estimate) <= tolerance * Swift.abs(next)
    estimate = next
    beta = w.norm
    if converged || !(beta > 1e-14 * max(Swift.abs(estimate), 1e-300)) { break }
    betas.append(beta)
    previous = q
    q = w.scaled(by: 1 / beta)
  }
  return estimate * (1 + 10 * tolerance)
}

/// The largest eigenvalue of the symmetric tridiagonal matrix with diagonal `a` and
/// off-diagonal `b`, by bisection on Sturm sequence counts (accurate to rounding).
func largestEigenvalueOfTridiagonal(_ a: [Double], _ b: [Double]) -> Double {
  let n = a.count
  var lo = Double.infinity, hi = -Double.infinity
  for i in 0..<n {
    let radius = (i > 0 ? Swift.abs(b[i - 1]) : 0) + (i < n - 1 ? Swift.abs(b[i]) : 0)
    lo = min(lo, a[i] - radius)
    hi = max(hi, a[i] + radius)
  }
  /// The number of eigenvalues below `x`.
  func countBelow(_ x: Double) -> Int {
    var count = 0
    var d = 1.0
    for i in 0..<n {
      d = a[i] - x - (i > 0 ? b[i - 1] * b[i - 1] / d : 0)
      if d == 0 { d = -Double.ulpOfOne * max(Swift.abs(x), 1) }
      if d < 0 { count += 1 }
    }
    return count
  }
  for _ in 0..<200 {
    let mid = 0.5 * (lo + hi)
    if mid <= lo || mid >= hi { break }
    if countBelow(mid) == n { hi = mid } else { lo = mid }
  }
  return hi
}
