public import ImplicitCore

/// Regularised projection of a score matrix `Z` (`rows × columns`, flattened row by row) onto
/// the transportation polytope `U(a, b) = {P ≥ 0 : P𝟙 = a, Pᵀ𝟙 = b}` (`θ` the
/// ``TransportMarginals``; the Birkhoff polytope for `a = b = 𝟙`):
///
///     quadratic(γ):  P = argmin_{P ∈ U} −⟨P, Z⟩ + (γ/2)‖P‖²             = Euclidean projection of Z/γ
///     entropic(γ):   P = argmin_{P ∈ U} −⟨P, Z⟩ + γ Σ Pᵢⱼ(log Pᵢⱼ − 1)   (KL projection, Sinkhorn)
///
/// Both have the form `Pᵢⱼ = φ((Zᵢⱼ + αᵢ + βⱼ)/γ)` (`φ = relu` or `exp`) with dual potentials
/// `α`, `β`, found by exact block-coordinate ascent on the dual (quadratic: each row/column is a
/// simplex threshold; entropic: Sinkhorn in the log domain); the quadratic solution is polished
/// exactly on its support.
///
/// Jacobian (implicit, through the marginal constraints). With weights `wᵢⱼ = φ′(·)/γ`
/// (`𝟙[Pᵢⱼ > 0]/γ`, or `Pᵢⱼ/γ`), `dPᵢⱼ = wᵢⱼ(dZᵢⱼ + dαᵢ + dβⱼ)` and the constraints give
///
///     K [dα; dβ] = [da − (W⊙dZ)𝟙;  db − (W⊙dZ)ᵀ𝟙],   K = [diag(W𝟙)  W;  Wᵀ  diag(Wᵀ𝟙)]
///
/// `K` is a weighted bipartite-graph Laplacian (up to signs), singular along `(𝟙, −𝟙)` on each
/// connected component of the support: the minimum-norm least-squares solution is used, which
/// is exact for tangents with `Σda = Σdb` (the only ones that keep `U` non-empty). Reverse: with
/// `s = [(W⊙U)𝟙; (W⊙U)ᵀ𝟙]` and `y = K⁺s`, `(∂P/∂Z)ᵀU = W ⊙ (U − y_α𝟙ᵀ − 𝟙y_βᵀ)`,
/// `(∂P/∂a)ᵀU = y_α`, `(∂P/∂b)ᵀU = y_β`. Ties in the quadratic case (`Zᵢⱼ + αᵢ + βⱼ = 0`) count
/// as outside the support. On failure (no convergence) the products and the projection are NaN
/// and ``validate(_:_:)`` throws.
public struct TransportProjection: Projection, Sendable {
  /// The regulariser and its strength `γ > 0`.
  public enum Regularization: Sendable, Equatable {
    case quadratic(Double)
    case entropic(Double)
  }

  public let rows: Int
  public let columns: Int
  public let regularization: Regularization
  /// Marginal violation accepted, relative to `max(1, Σa)`.
  public var tolerance: Double
  public var maxIterations: Int

  public init(
    rows: Int, columns: Int, regularization: Regularization = .quadratic(1), tolerance: Double = 1e-13,
    maxIterations: Int = 100_000
  ) {
    self.rows = rows
    self.columns = columns
    self.regularization = regularization
    self.tolerance = tolerance
    self.maxIterations = maxIterations
  }

  var gamma: Double {
    switch regularization {
    case .quadratic(let g), .entropic(let g): g
    }
  }

  var isEntropic: Bool { if case .entropic = regularization { true } else { false } }

  /// The plan and its weights `wᵢⱼ`.
  struct Plan {
    let p: [Double]
    let weights: [Double]
  }

  func plan(_ z: Vector<Double>, _ alpha: [Double], _ beta: [Double]) -> Plan {
    let g = gamma
    var p = [Double](repeating: 0, count: rows * columns), w = p
    for i in 0..<rows {
      for j in 0..<columns {
        let s = (z[i * columns + j] + alpha[i] + beta[j]) / g
        if isEntropic {
          p[i * columns + j] = _exp(s)
          w[i * columns + j] = p[i * columns + j] / g
        } else {
          p[i * columns + j] = max(s, 0)
          w[i * columns + j] = s > 0 ? 1 / g : 0
        }
      }
    }
    return Plan(p: p, weights: w)
  }

  /// `max |P𝟙 − a|` (columns are exact after a column update).
  func rowError(_ p: [Double], _ a: Vector<Double>) -> Double {
    (0..<rows).map { i in abs((0..<columns).reduce(0) { $0 + p[i * columns + $1] } - a[i]) }.max() ?? 0
  }

  /// The dual potentials `(α, β)`, or `nil` without convergence.
  func potentials(_ z: Vector<Double>, _ θ: TransportMarginals) -> (alpha: [Double], beta: [Double])? {
    var alpha = [Double](repeating: 0, count: rows), beta = [Double](repeating: 0, count: columns)
    let g = gamma
    let target = tolerance * max(1, θ.a.sum())
    var lastSupport = [Bool]()
    for iteration in 1...max(1, maxIterations) {
      if isEntropic {
        // Sinkhorn in the log domain: αᵢ = γ log aᵢ − γ LSEⱼ((Zᵢⱼ + βⱼ)/γ), and likewise βⱼ.
        for i in 0..<rows {
          alpha[i] = g * _log(θ.a[i]) - g * logSumExp((0..<columns).map { (z[i * columns + $0] + beta[$0]) / g })
        }
        for j in 0..<columns {
          beta[j] = g * _log(θ.b[j]) - g * logSumExp((0..<rows).map { (z[$0 * columns + j] + alpha[$0]) / g })
        }
      } else {
        // Exact maximisation over each block: a simplex threshold per row, then per column.
        for i in 0..<rows {
          alpha[i] = -SimplexProjection.threshold(
            Vector((0..<columns).map { z[i * columns + $0] + beta[$0] }), g * θ.a[i])
        }
        for j in 0..<columns {
          beta[j] = -SimplexProjection.threshold(Vector((0..<rows).map { z[$0 * columns + j] + alpha[$0] }), g * θ.b[j])
        }
      }
      let current = plan(z, alpha, beta).p
      guard current.allSatisfy(\.isFinite) else { return nil }
      if rowError(current, θ.a) <= target { return (alpha, beta) }
      if !isEntropic && iteration % 5 == 0 {
        let support = current.map { $0 > 0 }
        if support != lastSupport, let exact = polish(z, θ, support) { return exact }
        lastSupport = support
      }
    }
    return nil
  }

  /// The exact quadratic potentials on a support pattern, if they reproduce that pattern.
  func polish(_ z: Vector<Double>, _ θ: TransportMarginals, _ support: [Bool]) -> (alpha: [Double], beta: [Double])? {
    let g = gamma
    let weights = support.map { $0 ? 1.0 : 0.0 }
    // On the support, Zᵢⱼ + αᵢ + βⱼ = γPᵢⱼ with row sums γa and column sums γb.
    var rhs = [Double](repeating: 0, count: rows + columns)
    for i in 0..<rows { rhs[i] = g * θ.a[i] }
    for j in 0..<columns { rhs[rows + j] = g * θ.b[j] }
    for i in 0..<rows {
      for j in 0..<columns where support[i * columns + j] {
        rhs[i] -= z[i * columns + j]
        rhs[rows + j] -= z[i * columns + j]
      }
    }
    guard let x = LaplacianSolve(rows: rows, columns: columns, weights: weights)?.solve(rhs) else { return nil }
    let alpha = Array(x[0..<rows]), beta = Array(x[rows...])
    let slack = 1e-12 * max(1, z.scalars.map(abs).max() ?? 0)
    for i in 0..<rows {
      for j in 0..<columns {
        let s = z[i * columns + j] + alpha[i] + beta[j]
        if support[i * columns + j] ? s < -slack : s > slack { return nil }
      }
    }
    return rowError(plan(z, alpha, beta).p, θ.a) <= tolerance * max(1, θ.a.sum()) * 10 ? (alpha, beta) : nil
  }

  public func project(_ z: Vector<Double>, _ θ: TransportMarginals) -> Vector<Double> {
    guard let (alpha, beta) = potentials(z, θ) else { return Vector(repeating: .nan, count: z.count) }
    return Vector(plan(z, alpha, beta).p)
  }

  public func jvp(at z: Vector<Double>, _ θ: TransportMarginals, _ dz: Vector<Double>, _ dθ: TransportMarginals)
    -> Vector<Double>
  {
    guard let (alpha, beta) = potentials(z, θ),
      let solver = LaplacianSolve(rows: rows, columns: columns, weights: plan(z, alpha, beta).weights)
    else { return Vector(repeating: .nan, count: z.count) }
    let w = solver.weights
    let dz = dz.expanded(to: z.count), da = dθ.a.expanded(to: rows), db = dθ.b.expanded(to: columns)
    var rhs = da.scalars + db.scalars
    for i in 0..<rows {
      for j in 0..<columns {
        let v = w[i * columns + j] * dz[i * columns + j]
        rhs[i] -= v
        rhs[rows + j] -= v
      }
    }
    let x = solver.solve(rhs)
    return Vector(
      (0..<(rows * columns)).map { k in
        let i = k / columns, j = k % columns
        return w[k] * (dz[k] + x[i] + x[rows + j])
      })
  }

  public func vjp(at z: Vector<Double>, _ θ: TransportMarginals, _ u: Vector<Double>) -> (
    z: Vector<Double>, θ: TransportMarginals
  ) {
    guard let (alpha, beta) = potentials(z, θ),
      let solver = LaplacianSolve(rows: rows, columns: columns, weights: plan(z, alpha, beta).weights)
    else {
      return (Vector(repeating: .nan, count: z.count), θ.unflattened([Double](repeating: .nan, count: θ.dimension)))
    }
    let w = solver.weights
    let u = u.expanded(to: z.count)
    var s = [Double](repeating: 0, count: rows + columns)
    for i in 0..<rows {
      for j in 0..<columns {
        let v = w[i * columns + j] * u[i * columns + j]
        s[i] += v
        s[rows + j] += v
      }
    }
    let y = solver.solve(s)
    let gz = Vector((0..<(rows * columns)).map { k in w[k] * (u[k] - y[k / columns] - y[rows + k % columns]) })
    return (gz, TransportMarginals(a: Vector(Array(y[0..<rows])), b: Vector(Array(y[rows...]))))
  }

  /// Requires `rows × columns = n`, finite marginals, `γ > 0`, marginals `≥ 0` (`> 0` for the
  /// entropic case) with equal totals, a tolerance `> 0` and `maxIterations ≥ 1`.
  public func validate(dimension n: Int, _ θ: TransportMarginals) throws {
    guard rows > 0, columns > 0 else {
      throw ImplicitError.invalidArgument("the transport plan needs rows and columns")
    }
    let (size, overflow) = rows.multipliedReportingOverflow(by: columns)
    guard !overflow else { throw ImplicitError.invalidArgument("rows × columns overflows (\(rows) × \(columns))") }
    try ImplicitError.checkDimension("Z (rows × columns, flattened)", n, expected: size)
    try ImplicitError.checkDimension("a (one entry per row)", θ.a.count, expected: rows)
    try ImplicitError.checkDimension("b (one entry per column)", θ.b.count, expected: columns)
    try ImplicitError.checkFinite("the marginals", θ)
    guard tolerance > 0, tolerance.isFinite, maxIterations >= 1 else {
      throw ImplicitError.invalidArgument(
        "TransportProjection needs a positive finite tolerance and maxIterations ≥ 1, got \(tolerance), \(maxIterations)"
      )
    }
    guard gamma > 0, gamma.isFinite else {
      throw ImplicitError.invalidArgument("γ must be positive and finite, got \(gamma)")
    }
    let positive = (θ.a.scalars + θ.b.scalars).allSatisfy { isEntropic ? $0 > 0 : $0 >= 0 }
    guard positive else {
      throw ImplicitError.invalidArgument("the marginals must be \(isEntropic ? "positive" : "non-negative")")
    }
    guard abs(θ.a.sum() - θ.b.sum()) <= 1e-12 * max(1, θ.a.sum()) else {
      throw ImplicitError.invalidArgument("the marginals must have equal totals (Σa = \(θ.a.sum()), Σb = \(θ.b.sum()))")
    }
  }

  /// ``validate(dimension:_:)``, finite `Z`, and a converged solve.
  public func validate(_ z: Vector<Double>, _ θ: TransportMarginals) throws {
    try validate(dimension: z.count, θ)
    try ImplicitError.checkFinite("Z", z)
    if potentials(z, θ) == nil {
      throw ImplicitError.solverDidNotConverge(
        solver: "transport dual ascent", iterations: maxIterations, residual: .nan)
    }
  }
}

/// `log Σ exp(vᵢ)`, stably.
func logSumExp(_ v: [Double]) -> Double {
  guard let top = v.max(), top.isFinite else { return v.max() ?? -.infinity }
  return top + _log(v.reduce(0) { $0 + _exp($1 - top) })
}
