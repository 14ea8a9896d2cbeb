import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

/// Checks shared by the projection tests. Every comparison is against something independent of
/// the product being checked: central finite differences of `project`, the other product
/// (`jvp` against `vjp`), reverse-mode AD of the differentiable wrapper, or set membership and
/// distances computed from the set's definition.
enum ProjectionChecks {
  /// `∂P/∂z` and `∂P/∂θ` (from `jvp`) against central differences of `project`, against the
  /// dense Jacobians assembled row by row from `vjp`, and `jvp`/`vjp` adjointness on random vectors.
  ///
  /// `parameterDirections`: when the set exists only on a submanifold of parameters (transport
  /// marginals with equal totals), `∂P/∂θ` is compared with finite differences along these
  /// directions instead of coordinate by coordinate.
  static func derivatives<P: Projection>(
    _ projection: P, z: Vector<Double>, _ θ: P.Parameter, seed: UInt64 = 1, finiteDifferenceTolerance: Double = 1e-7,
    parameterDirections: [P.Parameter]? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let n = z.count, m = θ.dimension
    let jz = projection.jacobian(at: z, θ)
    let jθ = projection.parameterJacobian(at: z, θ)

    // Central differences of `project` (the sets are smooth pieces away from their kinks).
    let fdZ = TestSupport.finiteDifferenceJacobian(at: z) { projection.project($0, θ) }
    #expect(error(jz, fdZ) <= finiteDifferenceTolerance, "∂P/∂z vs finite differences", sourceLocation: sourceLocation)
    if let directions = parameterDirections {
      for direction in directions {
        let h = 1e-6
        var plus = θ, minus = θ
        plus.addScaled(h, direction)
        minus.addScaled(-h, direction)
        let fd = (projection.project(z, plus) - projection.project(z, minus)).scaled(by: 1 / (2 * h))
        let jvp = projection.jvp(at: z, θ, Vector.zeros(n), direction)
        #expect(
          (jvp - fd).norm() <= finiteDifferenceTolerance * max(1, fd.norm()), "∂P/∂θ along a direction",
          sourceLocation: sourceLocation)
      }
    } else if m > 0 {
      let fdθ = TestSupport.finiteDifferenceJacobian(at: Vector(θ.flattened)) {
        projection.project(z, θ.unflattened($0.scalars))
      }
      #expect(
        error(jθ, fdθ) <= finiteDifferenceTolerance, "∂P/∂θ vs finite differences", sourceLocation: sourceLocation)
    }

    // Dense materialisation from the reverse product, row by row.
    var rowsZ = Matrix<Double>.zeros(rows: n, columns: n)
    var rowsθ = Matrix<Double>.zeros(rows: n, columns: m)
    for i in 0..<n {
      let (gz, gθ) = projection.vjp(at: z, θ, .basis(i, count: n))
      let gθFlat = gθ.dimension == m ? gθ.flattened : [Double](repeating: 0, count: m)
      for j in 0..<n { rowsZ[i, j] = gz[j] }
      for j in 0..<m { rowsθ[i, j] = gθFlat[j] }
    }
    #expect(error(jz, rowsZ) <= 1e-12, "∂P/∂z from jvp vs from vjp", sourceLocation: sourceLocation)
    if m > 0 { #expect(error(jθ, rowsθ) <= 1e-12, "∂P/∂θ from jvp vs from vjp", sourceLocation: sourceLocation) }

    // Adjointness on random vectors: ⟨u, J(dz, dθ)⟩ = ⟨Jᵀu, (dz, dθ)⟩.
    var rng = SeededGenerator(seed: seed)
    for _ in 0..<3 {
      let u = rng.normalVector(n), dz = rng.normalVector(n)
      let dθ = θ.unflattened((0..<m).map { _ in rng.normal() })
      let forward = u.dot(projection.jvp(at: z, θ, dz, dθ))
      let (gz, gθ) = projection.vjp(at: z, θ, u)
      let reverse = gz.dot(dz) + (m > 0 ? gθ.innerProduct(with: dθ) : 0)
      let scale =
        u.norm() * (dz.norm() + dθ.norm) * max(1, jz.flattened.map(abs).max() ?? 0, jθ.flattened.map(abs).max() ?? 0)
      #expect(
        abs(forward - reverse) <= 1e-12 * max(scale, 1e-300), "jvp/vjp adjointness", sourceLocation: sourceLocation)
    }

    // The @differentiable wrapper hands reverse mode the same products.
    let u = rng.normalVector(n)
    let (adZ, adθ) = pullback(at: z, θ) { z, θ in projection(z, θ) }(u)
    let (gz, gθ) = projection.vjp(at: z, θ, u)
    #expect(TestSupport.relativeError(adZ, gz) <= 1e-14 || (adZ - gz).norm() <= 1e-14, sourceLocation: sourceLocation)
    if m > 0 {
      #expect(
        TestSupport.relativeError(adθ.flattened, gθ.flattened) <= 1e-14 || (adθ - gθ).norm <= 1e-14,
        sourceLocation: sourceLocation)
    }
  }

  /// `P(z)` is in the set, is a fixed point of `P`, and is at least as close to `z` as the
  /// projections `q = P(z′)` of random points `z′` (members of the set too); for convex sets
  /// also the variational inequality `⟨z − p, q − p⟩ ≤ 0`.
  static func isProjection<P: Projection>(
    _ projection: P, z: Vector<Double>, _ θ: P.Parameter, convex: Bool = true, seed: UInt64 = 7,
    isMember: (Vector<Double>) -> Bool, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let p = projection.project(z, θ)
    #expect(isMember(p), "P(z) is in the set", sourceLocation: sourceLocation)
    #expect(
      (projection.project(p, θ) - p).norm() <= 1e-12 * max(1, p.norm()), "P(P(z)) = P(z)",
      sourceLocation: sourceLocation)
    var rng = SeededGenerator(seed: seed)
    let scale = max(1, z.norm())
    for _ in 0..<20 {
      let q = projection.project(rng.normalVector(z.count, scale: 2 * scale), θ)
      #expect(isMember(q), sourceLocation: sourceLocation)
      #expect((z - p).norm() <= (z - q).norm() + 1e-12 * scale, "closest point", sourceLocation: sourceLocation)
      if convex {
        #expect((z - p).dot(q - p) <= 1e-10 * scale * scale, "variational inequality", sourceLocation: sourceLocation)
      }
    }
  }

  static func error(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    let scale = max(1, b.flattened.map(abs).max() ?? 0)
    return zip(a.flattened, b.flattened).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
  }
}
