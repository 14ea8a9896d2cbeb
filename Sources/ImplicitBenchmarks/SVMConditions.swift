import Foundation
import ImplicitCore
import _Differentiation

/// What the fast SVM conditions need at a point `(β, θ)`: `G = K(β − Y)` and the output
/// `p = T(β, θ)` of the fixed-point map.
struct SVMConditionPoint: Sendable {
  let beta: [Double]
  let theta: Double
  let kernelResidual: [Double]
  let mapOutput: [Double]
}

/// The geometry of a fast SVM condition: which fixed-point map `T`, and its Jacobian.
enum SVMConditionGeometry: Sendable {
  /// `T(β) = softmax_row(log β − η∇f)` (KL mirror descent; `log 0 = −∞`, derivative 0 there).
  case mirrorDescent
  /// `T(β) = P_{Δ×…×Δ}(β − η∇f)` (projected gradient, and block coordinate descent, whose
  /// blockwise prox on rows is the same map).
  case projectedGradient
}

/// The optimality condition `F(β, θ) = T(β, θ) − β` of the SVM dual, with the products of
/// `A = ∂F/∂β` and `B = ∂F/∂θ` written by hand on concrete `Double` buffers.
///
/// It is the same `F` as the library's ``MirrorDescentCondition`` (with ``KLRowSimplexMirrorMap``)
/// or ``ProximalGradientCondition`` with ``ProjectionProximal`` / ``BlockCoordinateDescentCondition`` (with the simplex
/// projection per row) on ``MulticlassSVMDual`` — every workload run checks `F` and all four
/// products against those on two small instances (``SVMFamilyCheck``) — but one product costs
/// one `K·M` (`n²k` through the kernel, `2nPk` through `X`) plus `O(nk)`, against a generic,
/// dual-number pass and a fresh gradient per product there; for the projected geometry the
/// products are further restricted to the active rows (``SVMActiveSetProducts``). With `H = K/θ ⊗ I`, `g = G/θ + Y − 1` and `J` the Jacobian of
/// the row map at its input:
///
///     mirror descent:     A v = J(D v − ηH v) − v,   D = diag(1/β) (0 where β = 0)
///     projected gradient: A v = J(v − ηH v) − v
///     both:               B t = (η/θ²) t · J G
///
/// The point it was built at is cached (the products of an implicit solve are all taken there);
/// at any other point the products recompute what they need.
struct SVMFastCondition: OptimalityCondition {
  let problem: SVMBenchmarkProblem
  let op: SVMGramOperator
  let geometry: SVMConditionGeometry
  /// `η` inside the condition (1, as in JAXopt's `optimality_fun`).
  let stepSize: Double
  let anchor: SVMConditionPoint
  /// Products restricted to the active rows of the anchor (projected geometry only; `nil` when
  /// nearly all rows are active).
  let activeProducts: SVMActiveSetProducts?

  init(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, geometry: SVMConditionGeometry, at beta: [Double],
    theta: Double, stepSize: Double = 1
  ) {
    self.problem = problem
    self.op = op
    self.geometry = geometry
    self.stepSize = stepSize
    anchor = SVMFastCondition.point(problem, op, geometry, stepSize, beta, theta)
    activeProducts = geometry == .projectedGradient ? SVMActiveSetProducts(op, mapOutput: anchor.mapOutput) : nil
  }

  /// Whether `point` is the anchor (so the active-set products apply).
  func isAnchor(_ point: SVMConditionPoint) -> Bool { point.beta == anchor.beta && point.theta == anchor.theta }

  static func point(
    _ problem: SVMBenchmarkProblem, _ op: SVMGramOperator, _ geometry: SVMConditionGeometry, _ eta: Double,
    _ beta: [Double], _ theta: Double
  ) -> SVMConditionPoint {
    let n = problem.samples, k = problem.classes
    let g = op.apply(problem.centered(beta))
    let gradient = problem.gradient(kernelResidual: g, theta: theta)
    var out = [Double](repeating: 0, count: beta.count)
    switch geometry {
    case .mirrorDescent:
      for i in 0..<n {
        let base = i * k
        var m = -Double.infinity
        var y = [Double](repeating: -.infinity, count: k)
        for c in 0..<k where beta[base + c] > 0 {
          y[c] = Foundation.log(beta[base + c]) - eta * gradient[base + c]
          m = max(m, y[c])
        }
        var s = 0.0
        for c in 0..<k {
          let e = y[c] == -.infinity ? 0 : Foundation.exp(y[c] - m)
          out[base + c] = e
          s += e
        }
        for c in 0..<k { out[base + c] /= s }
      }
    case .projectedGradient:
      var z = beta
      for i in 0..<z.count { z[i] -= eta * gradient[i] }
      var scratch = [Double](repeating: 0, count: k)
      z.withUnsafeBufferPointer { zp in
        out.withUnsafeMutableBufferPointer { op in
          scratch.withUnsafeMutableBufferPointer { sp in
            for i in 0..<n {
              SVMKernels.projectRow(zp.baseAddress! + i * k, k, op.baseAddress! + i * k, sp.baseAddress!)
            }
          }
        }
      }
    }
    return SVMConditionPoint(beta: beta, theta: theta, kernelResidual: g, mapOutput: out)
  }

  /// The cached point when `(x, θ)` is the anchor, else a fresh one.
  func point(_ x: Vector<Double>, _ θ: Double) -> SVMConditionPoint {
    x.scalars == anchor.beta && θ == anchor.theta ? anchor : Self.point(problem, op, geometry, stepSize, x.scalars, θ)
  }

  /// `J u`: the Jacobian of the row map (softmax or projection) at the point, which is
  /// symmetric for both geometries.
  func mapJacobian(_ u: [Double], _ point: SVMConditionPoint) -> [Double] {
    var out = [Double](repeating: 0, count: u.count)
    let n = problem.samples, k = problem.classes
    point.mapOutput.withUnsafeBufferPointer { p in
      u.withUnsafeBufferPointer { up in
        out.withUnsafeMutableBufferPointer { o in
          switch geometry {
          case .mirrorDescent: SVMKernels.softmaxJacobianRows(p.baseAddress!, up.baseAddress!, n, k, o.baseAddress!)
          case .projectedGradient: SVMKernels.simplexJacobianRows(p.baseAddress!, up.baseAddress!, n, k, o.baseAddress!)
          }
        }
      }
    }
    return out
  }

  /// `D v` for mirror descent (`v / β`, 0 where `β = 0`), `v` for projected gradient.
  func mirrorScaling(_ v: [Double], _ point: SVMConditionPoint) -> [Double] {
    guard geometry == .mirrorDescent else { return v }
    var out = v
    for i in 0..<v.count { out[i] = point.beta[i] > 0 ? v[i] / point.beta[i] : 0 }
    return out
  }

  /// `Aᵀu = (D − ηH)J u − u`.
  func transposedProduct(_ u: [Double], _ point: SVMConditionPoint) -> [Double] {
    let w = mapJacobian(u, point)
    let hw: [Double]
    if let activeProducts, isAnchor(point) { hw = activeProducts.timesActive(w) } else { hw = op.apply(w) }
    var out = mirrorScaling(w, point)
    let scale = stepSize / point.theta
    for i in 0..<out.count { out[i] -= scale * hw[i] + u[i] }
    return out
  }

  /// `A v = J(D v − ηH v) − v`.
  func product(_ v: [Double], _ point: SVMConditionPoint) -> [Double] {
    if let activeProducts, isAnchor(point), activeProducts.vanishesOffActive(v) {
      // Only the active rows of v − ηHv survive J.
      let hv = activeProducts.activeTimesActive(v)
      let k = problem.classes, scale = stepSize / point.theta
      var inner = [Double](repeating: 0, count: v.count)
      for (a, i) in activeProducts.active.enumerated() {
        for c in 0..<k { inner[i * k + c] = v[i * k + c] - scale * hv[a * k + c] }
      }
      var out = mapJacobian(inner, point)
      for i in 0..<out.count { out[i] -= v[i] }
      return out
    }
    let hv = op.apply(v)
    var inner = mirrorScaling(v, point)
    let scale = stepSize / point.theta
    for i in 0..<inner.count { inner[i] -= scale * hv[i] }
    var out = mapJacobian(inner, point)
    for i in 0..<out.count { out[i] -= v[i] }
    return out
  }

  /// `Bᵀu = (η/θ²)⟨J u, G⟩`.
  func parameterTransposedProduct(_ u: [Double], _ point: SVMConditionPoint) -> Double {
    let w = mapJacobian(u, point)
    var s = 0.0
    for i in 0..<w.count { s += w[i] * point.kernelResidual[i] }
    return stepSize / (point.theta * point.theta) * s
  }

  /// `F = T(β) − β`.
  func residual(_ point: SVMConditionPoint) -> Vector<Double> {
    var out = point.mapOutput
    for i in 0..<out.count { out[i] -= point.beta[i] }
    return Vector(out)
  }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Double) -> Vector<Double> { residual(point(x, θ)) }

  @derivative(of: callAsFunction)
  func _vjpCallAsFunction(_ x: Vector<Double>, _ θ: Double) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> (Vector<Double>, Double)
  ) {
    let p = point(x, θ)
    return (
      residual(p),
      { u in
        if u.isEmpty { return (Vector.zeros(x.count), 0) }
        return (Vector(self.transposedProduct(u.scalars, p)), self.parameterTransposedProduct(u.scalars, p))
      }
    )
  }

  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    Vector(product(v.isEmpty ? [Double](repeating: 0, count: x.count) : v.scalars, point(x, θ)))
  }

  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    Vector(transposedProduct(u.isEmpty ? [Double](repeating: 0, count: x.count) : u.scalars, point(x, θ)))
  }

  func parameterJacobianProduct(_ t: Double, at x: Vector<Double>, _ θ: Double) -> Vector<Double>? {
    let p = point(x, θ)
    var w = mapJacobian(p.kernelResidual, p)
    let scale = t * stepSize / (θ * θ)
    for i in 0..<w.count { w[i] *= scale }
    return Vector(w)
  }

  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Double) -> Double? {
    u.isEmpty ? 0 : parameterTransposedProduct(u.scalars, point(x, θ))
  }

  func validate(_ x: Vector<Double>, _ θ: Double) throws {
    try ImplicitError.checkDimension("β (n·k entries)", x.count, expected: problem.dimension)
    guard θ > 0, θ.isFinite else { throw ImplicitError.invalidArgument("θ must be positive and finite, got \(θ)") }
    if geometry == .mirrorDescent, x.scalars.contains(where: { $0 < 0 }) {
      throw ImplicitError.invalidArgument("mirror descent needs β ≥ 0")
    }
  }

  /// Block-Jacobi preconditioner: the `k × k` diagonal blocks of `A` at the anchor,
  /// `A_ii = J_i(D_i − η K_ii/θ) − I`, inverted once (`M⁻¹`, and `M⁻ᵀ` for the transposed
  /// solve of a VJP). A block that cannot be inverted is left as the identity.
  func blockJacobiPreconditioner() -> Preconditioner<Vector<Double>> {
    let n = problem.samples, k = problem.classes
    var inverses = [Double](repeating: 0, count: n * k * k)
    var block = [Double](repeating: 0, count: k * k)
    var unit = [Double](repeating: 0, count: k)
    for i in 0..<n {
      let base = i * k
      let kii = op.diagonal(i)
      for b in 0..<k {  // column b of A_ii: J_i (D_i − ηK_ii/θ) e_b − e_b
        for c in 0..<k { unit[c] = 0 }
        let scaling = geometry == .mirrorDescent ? (anchor.beta[base + b] > 0 ? 1 / anchor.beta[base + b] : 0) : 1
        unit[b] = scaling - stepSize * kii / anchor.theta
        let column = rowJacobian(unit, row: i)
        for a in 0..<k { block[a * k + b] = column[a] - (a == b ? 1 : 0) }
      }
      let inverse = SVMFastCondition.invert(block, k) ?? (0..<(k * k)).map { $0 % (k + 1) == 0 ? 1 : 0 }
      for e in 0..<(k * k) { inverses[i * k * k + e] = inverse[e] }
    }
    let inverseBlocks = inverses
    let apply: @Sendable (Vector<Double>, Bool) -> Vector<Double> = { r, transposed in
      var out = [Double](repeating: 0, count: n * k)
      for i in 0..<n {
        let m = i * k * k, base = i * k
        for a in 0..<k {
          var s = 0.0
          for b in 0..<k {
            s += (transposed ? inverseBlocks[m + b * k + a] : inverseBlocks[m + a * k + b]) * r[base + b]
          }
          out[base + a] = s
        }
      }
      return Vector(out)
    }
    return Preconditioner(apply: { apply($0, false) }, applyTransposed: { apply($0, true) })
  }

  /// `J_i u` for one row `i` of the anchor (`u`: `k` entries).
  func rowJacobian(_ u: [Double], row i: Int) -> [Double] {
    let k = problem.classes
    var out = [Double](repeating: 0, count: k)
    let p = Array(anchor.mapOutput[(i * k)..<((i + 1) * k)])
    p.withUnsafeBufferPointer { pp in
      u.withUnsafeBufferPointer { up in
        out.withUnsafeMutableBufferPointer { o in
          switch geometry {
          case .mirrorDescent: SVMKernels.softmaxJacobianRows(pp.baseAddress!, up.baseAddress!, 1, k, o.baseAddress!)
          case .projectedGradient:
            SVMKernels.simplexJacobianRows(pp.baseAddress!, up.baseAddress!, 1, k, o.baseAddress!)
          }
        }
      }
    }
    return out
  }

  /// Gauss–Jordan inverse with partial pivoting of a small row-major matrix; `nil` if singular.
  static func invert(_ a: [Double], _ k: Int) -> [Double]? {
    var m = a
    var inv = (0..<(k * k)).map { $0 % (k + 1) == 0 ? 1.0 : 0.0 }
    let scale = a.map(abs).max() ?? 0
    for col in 0..<k {
      var pivot = col
      for r in col..<k where abs(m[r * k + col]) > abs(m[pivot * k + col]) { pivot = r }
      guard abs(m[pivot * k + col]) > 1e-14 * max(scale, 1e-300) else { return nil }
      if pivot != col {
        for c in 0..<k {
          m.swapAt(col * k + c, pivot * k + c)
          inv.swapAt(col * k + c, pivot * k + c)
        }
      }
      let d = 1 / m[col * k + col]
      for c in 0..<k {
        m[col * k + c] *= d
        inv[col * k + c] *= d
      }
      for r in 0..<k where r != col {
        let f = m[r * k + col]
        if f == 0 { continue }
        for c in 0..<k {
          m[r * k + c] -= f * m[col * k + c]
          inv[r * k + c] -= f * inv[col * k + c]
        }
      }
    }
    return inv
  }
}
