import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitSparse
import ImplicitTestSupport
import Testing

/// Elastic net and group lasso on a ``SparseMatrix`` design: the hypergradient of a validation
/// loss with respect to the prox strengths and the targets `b`, against the same computation on
/// the dense equal of the design and against central differences of re-solves.
@Suite("Elastic net and group lasso on sparse data")
struct SparseElasticNetGroupLassoTests {
  /// A random `m × n` sparse matrix with about one entry in `density` (COO, one duplicate summed).
  static func sparse(_ m: Int, _ n: Int, seed: UInt64, density: UInt64 = 3) throws -> SparseMatrix {
    var rng = SeededGenerator(seed: seed)
    var r = [Int](), c = [Int](), v = [Double]()
    for i in 0..<m {
      for j in 0..<n where rng.next() % density == 0 {
        r.append(i)
        c.append(j)
        v.append(rng.normal())
      }
    }
    r.append(r[0])
    c.append(c[0])
    v.append(0.25)
    return try SparseMatrix(rows: m, columns: n, rowIndices: r, columnIndices: c, values: v)
  }

  /// `x*`, `½‖Vx* − c‖²` and its gradient with respect to `θ = (b, strengths)`, for
  /// `x* = argmin ½‖Ax − b‖² + g(x, strengths)`: FISTA, Newton polishing, one implicit VJP.
  static func hypergradient<Prox: ProximalOperator>(
    _ A: any DesignMatrix, _ b: Vector<Double>, prox: Prox, strengths: Vector<Double>,
    validation V: any DesignMatrix, _ c: Vector<Double>
  ) throws -> (x: Vector<Double>, loss: Double, gradient: Vector<Double>, notes: String)
  where Prox.Parameter == Vector<Double> {
    let objective = try LeastSquares(A: A)
    let condition = try ProximalGradientCondition(
      objective: objective, prox: prox, objectiveParameterCount: b.count, proxParameter: strengths,
      stepSize: 1 / objective.gradientLipschitzConstant(b))
    let θ = condition.packParameters(objective: b, prox: strengths)
    let run = try FISTA(tolerance: 1e-13, maxIterations: 100_000).solve(condition, θ, from: .zeros(A.columns))
    let polished = condition.refined(try run.converged(), θ)
    #expect(polished.residualNorm <= 1e-13, "polished ‖F‖ \(polished.residualNorm)")
    let x = polished.solution
    let residual = V.product(x) - c
    let d = try ImplicitDifferentiator(condition).vjp(V.transposedProduct(residual), at: x, θ)
    return (x, 0.5 * residual.dot(residual), d.value, "\(d.diagnostics)")
  }

  /// The sparse hypergradient equals the dense one (unless `compareWithDense` is false: the dense
  /// equal of a large design is slow in debug builds) and central differences of the validation
  /// loss over re-solves, for every strength and a few targets.
  static func check<Prox: ProximalOperator>(
    prox: Prox, strengths: Vector<Double>, m: Int = 40, n: Int = 30, seed: UInt64, density: UInt64 = 3,
    targets: [Int]? = nil, compareWithDense: Bool = true
  ) throws -> (x: Vector<Double>, notes: String) where Prox.Parameter == Vector<Double> {
    let A = try sparse(m, n, seed: seed, density: density), V = try sparse(25, n, seed: seed + 1, density: density)
    var rng = SeededGenerator(seed: seed + 2)
    let b = rng.normalVector(m), c = rng.normalVector(25)
    let s = try hypergradient(A, b, prox: prox, strengths: strengths, validation: V, c)
    if compareWithDense {
      let d = try hypergradient(A.densified(), b, prox: prox, strengths: strengths, validation: V.densified(), c)
      #expect((s.x - d.x).norm() <= 1e-10 * max(1, d.x.norm()))
      #expect((s.gradient - d.gradient).norm() <= 1e-10 * d.gradient.norm(), "sparse vs dense: \(s.notes)")
    }
    // Relative to the largest entry (an inactive group's strength has a zero derivative).
    let scale = s.gradient.scalars.map(abs).max()!
    #expect(scale > 1e-3)
    let h = 1e-6
    for k in Array(0..<strengths.count).map({ m + $0 }) + (targets ?? [0, m / 2, m - 1]) {
      var plus = s.gradient.scalars.map { _ in 0.0 }
      plus[k] = h
      let step = Vector(plus)
      func loss(_ sign: Double) throws -> Double {
        let t = sign * step
        let bk = b + Vector(Array(t.scalars[0..<m])), sk = strengths + Vector(Array(t.scalars[m...]))
        return try hypergradient(A, bk, prox: prox, strengths: sk, validation: V, c).loss
      }
      let fd = (try loss(1) - loss(-1)) / (2 * h)
      #expect(abs(s.gradient[k] - fd) <= 1e-6 * max(scale, abs(fd)), "∂loss/∂θ[\(k)]: \(s.gradient[k]) vs \(fd)")
    }
    return (s.x, s.notes)
  }

  @Test func elasticNet() throws {
    let x = try Self.check(prox: ElasticNetProximal(), strengths: Vector([1.5, 0.4]), seed: 31).x
    let support = x.scalars.filter { $0 != 0 }.count
    #expect(support > 2 && support < x.count - 2, "a non-trivial support: \(support)")
  }

  @Test func elasticNetJAXoptParametrisation() throws {
    let x = try Self.check(prox: JAXoptElasticNetProximal(), strengths: Vector([1.5, 0.3]), seed: 41).x
    let support = x.scalars.filter { $0 != 0 }.count
    #expect(support > 2 && support < x.count - 2, "a non-trivial support: \(support)")
  }

  @Test func groupLassoWithOneStrengthPerGroup() throws {
    let prox = try GroupLassoProximal(groupSizes: Array(repeating: 3, count: 10))
    let strengths = Vector((0..<10).map { 1.2 + 0.15 * Double($0) })
    let x = try Self.check(prox: prox, strengths: strengths, seed: 51).x
    let active = prox.groups.filter { g in g.contains { x[$0] != 0 } }.count
    #expect(active > 1 && active < 9, "a non-trivial set of active groups: \(active)")
  }
}

extension SparseElasticNetGroupLassoTests {
  /// Above the dense threshold (`p > 1000`) the implicit solve is matrix-free (CG on the
  /// symmetric reformulation for the elastic net, GMRES for the group lasso, every product a pass
  /// over the CSR arrays): it still agrees with finite differences of re-solves (the small cases
  /// above compare with the dense equal).
  @Test(arguments: ["elastic-net", "group-lasso"])
  func matrixFreeAboveTheDenseThreshold(penalty: String) throws {
    let (m, n) = (150, 1100)
    let run: (x: Vector<Double>, notes: String)
    if penalty == "elastic-net" {
      run = try Self.check(
        prox: ElasticNetProximal(), strengths: Vector([2.0, 0.5]), m: m, n: n, seed: 61, density: 100, targets: [7],
        compareWithDense: false)
      #expect(run.notes.contains("cg on the symmetric reformulation"), "\(run.notes)")
    } else {
      let prox = try GroupLassoProximal(groupSizes: Array(repeating: 4, count: n / 4))
      run = try Self.check(
        prox: prox, strengths: Vector([3.0]), m: m, n: n, seed: 71, density: 100, targets: [7],
        compareWithDense: false)
      #expect(run.notes.contains("gmres"), "\(run.notes)")
    }
    let support = run.x.scalars.filter { $0 != 0 }.count
    #expect(support > 10 && support < m, "a non-trivial support: \(support)")
  }
}
