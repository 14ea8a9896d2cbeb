import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitSparse
import ImplicitTestSupport
import Testing

/// The lasso hypergradient `d/dλ ½‖V x*(λ) − c‖²` on a sparse training design: the implicit
/// derivative through FISTA's root equals the one on the dense equal of the design and central
/// finite differences of re-solves.
@Suite("Lasso hypergradient on a sparse design")
struct SparseLassoHypergradientTests {
  /// A sparse `m × n` design (about a third of the entries; one empty row and column).
  static func design(_ m: Int, _ n: Int, seed: UInt64) throws -> SparseMatrix {
    var rng = SeededGenerator(seed: seed)
    var r = [Int](), c = [Int](), v = [Double]()
    for i in 0..<m where i != 3 {
      for j in 0..<n where j != 4 && rng.next() % 3 == 0 {
        r.append(i)
        c.append(j)
        v.append(rng.normal())
      }
    }
    return try SparseMatrix(rows: m, columns: n, rowIndices: r, columnIndices: c, values: v)
  }

  /// The lasso solution at `λ` (FISTA, then the semismooth Newton polish) and `d/dλ` of the
  /// validation loss, on the design `A`.
  static func hypergradient(
    _ A: any DesignMatrix, b: Vector<Double>, λ: Double, validation V: SparseMatrix, _ c: Vector<Double>
  ) throws -> (x: Vector<Double>, loss: Double, derivative: Double) {
    let objective = try LeastSquares(A: A)
    let lasso = try ProximalGradientCondition(
      objective: objective, prox: LassoProximal(), objectiveParameterCount: b.count, proxParameter: Vector([λ]),
      stepSize: 1 / objective.gradientLipschitzConstant(b))
    let θ = lasso.packParameters(objective: b, prox: Vector([λ]))
    let run = try FISTA(tolerance: 1e-13, maxIterations: 100_000).solve(lasso, θ, from: .zeros(A.columns))
    let x = lasso.refined(try run.converged(), θ).solution
    let residual = V.times(x) - c
    let v = try ImplicitDifferentiator(lasso).vjp(V.transposedTimes(residual), at: x, θ).value
    return (x, 0.5 * residual.dot(residual), v[b.count])
  }

  @Test("sparse equals dense and finite differences of re-solves")
  func hypergradient() throws {
    let (m, n) = (40, 25)
    let A = try Self.design(m, n, seed: 91), V = try Self.design(30, n, seed: 92)
    var rng = SeededGenerator(seed: 93)
    let b = rng.normalVector(m), c = rng.normalVector(30)
    let λ = 0.3 * A.transposedTimes(b).scalars.map(Swift.abs).max()!
    let sparse = try Self.hypergradient(A, b: b, λ: λ, validation: V, c)
    let dense = try Self.hypergradient(A.densified(), b: b, λ: λ, validation: V, c)
    let support = sparse.x.scalars.indices.filter { sparse.x[$0] != 0 }
    #expect(support.count > 2 && support.count < n - 2)
    #expect(sparse.x[4] == 0)  // the empty column is never used
    #expect((sparse.x - dense.x).norm() <= 1e-10 * dense.x.norm())
    #expect(Swift.abs(sparse.derivative - dense.derivative) <= 1e-10 * Swift.abs(dense.derivative))
    let h = 1e-6
    let up = try Self.hypergradient(A, b: b, λ: λ + h, validation: V, c)
    let down = try Self.hypergradient(A, b: b, λ: λ - h, validation: V, c)
    let finiteDifference = (up.loss - down.loss) / (2 * h)
    #expect(Swift.abs(sparse.derivative - finiteDifference) <= 1e-6 * Swift.abs(finiteDifference))
    #expect(Swift.abs(sparse.derivative) > 1e-3)
  }
}
