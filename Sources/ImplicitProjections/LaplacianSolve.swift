import ImplicitCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

func _exp(_ x: Double) -> Double { exp(x) }
func _log(_ x: Double) -> Double { log(x) }

/// Minimum-norm least-squares solves with the bipartite "Laplacian"
/// `K = [diag(W𝟙)  W;  Wᵀ  diag(Wᵀ𝟙)]` of a non-negative `rows × columns` weight matrix `W`
/// (the linearised marginal constraints of a transport plan).
///
/// `K` is symmetric positive semidefinite with null space spanned, for each connected
/// component `c` of the bipartite graph `{wᵢⱼ > 0}`, by `v_c = (𝟙 on its rows, −𝟙 on its
/// columns)`. Then `K + Σ v_c v_cᵀ` is positive definite and commutes with the projector `Π`
/// onto the range of `K`, so `K⁺r = (K + Σ v_c v_cᵀ)⁻¹ Π r` — one Cholesky factorisation.
struct LaplacianSolve {
  let weights: [Double]
  let nullVectors: [[Double]]
  let cholesky: CholeskyFactorization

  init?(rows: Int, columns: Int, weights: [Double]) {
    let size = rows + columns
    var k = Matrix<Double>.zeros(rows: size, columns: size)
    // Union-find over rows (0..<rows) and columns (rows..<size).
    var parent = Array(0..<size)
    func find(_ x: Int) -> Int {
      var x = x
      while parent[x] != x {
        parent[x] = parent[parent[x]]
        x = parent[x]
      }
      return x
    }
    for i in 0..<rows {
      for j in 0..<columns {
        let w = weights[i * columns + j]
        guard w > 0 else { continue }
        k[i, i] += w
        k[rows + j, rows + j] += w
        k[i, rows + j] += w
        k[rows + j, i] += w
        let (ri, rj) = (find(i), find(rows + j))
        if ri != rj { parent[ri] = rj }
      }
    }
    var components = [Int: [Double]]()
    for node in 0..<size {
      let root = find(node)
      if components[root] == nil { components[root] = [Double](repeating: 0, count: size) }
      components[root]![node] = node < rows ? 1 : -1
    }
    let nullVectors = Array(components.values)
    for v in nullVectors {
      for r in 0..<size where v[r] != 0 {
        for c in 0..<size where v[c] != 0 { k[r, c] += v[r] * v[c] }
      }
    }
    guard let cholesky = CholeskyFactorization(k) else { return nil }
    self.weights = weights
    self.nullVectors = nullVectors
    self.cholesky = cholesky
  }

  /// `K⁺ r`.
  func solve(_ r: [Double]) -> [Double] {
    var projected = r
    for v in nullVectors {
      let vv = v.reduce(0) { $0 + $1 * $1 }
      let coefficient = zip(v, r).reduce(0) { $0 + $1.0 * $1.1 } / vv
      for i in 0..<projected.count { projected[i] -= coefficient * v[i] }
    }
    return cholesky.solve(projected)
  }
}
