import ImplicitCore
import ImplicitProjections
import ImplicitTestSupport
import Testing

/// Every projection of the catalogue: Jacobians in `z` and `θ` against finite differences, the
/// dense materialisation from the reverse product and adjointness (``ProjectionChecks``), plus
/// the projection itself against the set's definition, at points inside and outside the set.
@Suite("Projection Jacobians")
struct ProjectionJacobianTests {
  static let tol = 1e-10

  @Test func nonNegativeOrthant() {
    var rng = SeededGenerator(seed: 11)
    let z = rng.normalVector(7)
    ProjectionChecks.derivatives(NonNegativeProjection(), z: z, Vector([]))
    ProjectionChecks.isProjection(NonNegativeProjection(), z: z, Vector([])) { $0.scalars.allSatisfy { $0 >= 0 } }
    // Closed form: diag(1[z > 0]).
    let j = NonNegativeProjection().jacobian(at: z, Vector([]))
    for i in 0..<7 { #expect(j[i, i] == (z[i] > 0 ? 1 : 0)) }
    // Inside (strictly positive): the identity.
    let inside = z.mapScalars { abs($0) + 0.1 }
    #expect(NonNegativeProjection().jacobian(at: inside, Vector([])) == Matrix.identity(7))
  }

  @Test func box() {
    var rng = SeededGenerator(seed: 12)
    let n = 8
    let lower = Vector((0..<n).map { _ in -0.3 - abs(rng.normal()) })
    let upper = Vector((0..<n).map { _ in 0.3 + abs(rng.normal()) })
    let bounds = BoxBounds(lower: lower, upper: upper)
    let z = rng.normalVector(n, scale: 2)
    ProjectionChecks.derivatives(BoxProjection(), z: z, bounds)
    ProjectionChecks.isProjection(BoxProjection(), z: z, bounds) { p in
      (0..<n).allSatisfy { lower[$0] - 1e-15 <= p[$0] && p[$0] <= upper[$0] + 1e-15 }
    }
    // Inside: identity in z, zero in the bounds.
    let inside = Vector((0..<n).map { 0.5 * (lower[$0] + upper[$0]) })
    #expect(BoxProjection().jacobian(at: inside, bounds) == Matrix.identity(n))
    #expect(BoxProjection().parameterJacobian(at: inside, bounds).flattened.allSatisfy { $0 == 0 })
  }

  @Test func simplex() {
    var rng = SeededGenerator(seed: 13)
    let n = 9
    let z = rng.normalVector(n)
    for s in [1.0, 1.7] {
      ProjectionChecks.derivatives(SimplexProjection(), z: z, s)
      ProjectionChecks.isProjection(SimplexProjection(), z: z, s) { p in
        p.scalars.allSatisfy { $0 >= 0 } && abs(p.sum() - s) <= 1e-12
      }
    }
    // Closed form on the support S: diag(1_S) − 1_S 1_Sᵀ/|S|.
    let p = SimplexProjection().project(z, 1)
    let support = p.scalars.map { $0 > 0 ? 1.0 : 0.0 }
    let size = support.reduce(0, +)
    let j = SimplexProjection().jacobian(at: z, 1)
    for i in 0..<n {
      for k in 0..<n {
        let expected = (i == k ? support[i] : 0) - support[i] * support[k] / size
        #expect(abs(j[i, k] - expected) <= 1e-15)
      }
    }
    // A point in the relative interior is fixed, and the Jacobian is the projector onto the
    // tangent space {Σv = 0}: I − 11ᵀ/n.
    let interior = Vector((0..<n).map { Double($0 + 1) }).scaled(by: 1 / Double(n * (n + 1) / 2))
    #expect((SimplexProjection().project(interior, 1) - interior).norm() <= 1e-15)
    let tangent = SimplexProjection().jacobian(at: interior, 1)
    for i in 0..<n {
      for k in 0..<n { #expect(abs(tangent[i, k] - ((i == k ? 1 : 0) - 1 / Double(n))) <= 1e-15) }
    }
  }

  @Test func rowSimplex() {
    var rng = SeededGenerator(seed: 14)
    let projection = RowSimplexProjection(columns: 4)
    let z = rng.normalVector(12)
    ProjectionChecks.derivatives(projection, z: z, Vector([]))
    ProjectionChecks.isProjection(projection, z: z, Vector([])) { p in
      (0..<3).allSatisfy { r in
        let row = p.slice(from: 4 * r, count: 4)
        return row.scalars.allSatisfy { $0 >= 0 } && abs(row.sum() - 1) <= 1e-12
      }
    }
  }

  @Test func l1Ball() {
    var rng = SeededGenerator(seed: 15)
    let z = rng.normalVector(8, scale: 2)
    let member: (Double) -> (Vector<Double>) -> Bool = { r in { p in p.scalars.map(abs).reduce(0, +) <= r + 1e-12 } }
    // Outside the ball.
    ProjectionChecks.derivatives(L1BallProjection(), z: z, 1.5)
    ProjectionChecks.isProjection(L1BallProjection(), z: z, 1.5, isMember: member(1.5))
    // Closed form outside: diag(s) − σσᵀ/|S|, ∂P/∂r = σ/|S|.
    let p = L1BallProjection().project(z, 1.5)
    let sigma = (0..<8).map { p[$0] != 0 ? (z[$0] > 0 ? 1.0 : -1.0) : 0 }
    let size = sigma.map(abs).reduce(0, +)
    let j = L1BallProjection().jacobian(at: z, 1.5)
    let jr = L1BallProjection().parameterJacobian(at: z, 1.5)
    for i in 0..<8 {
      #expect(abs(jr[i, 0] - sigma[i] / size) <= 1e-15)
      for k in 0..<8 { #expect(abs(j[i, k] - ((i == k ? abs(sigma[i]) : 0) - sigma[i] * sigma[k] / size)) <= 1e-15) }
    }
    // Inside: identity, zero in r.
    let radius = z.scalars.map(abs).reduce(0, +) + 1
    ProjectionChecks.derivatives(L1BallProjection(), z: z, radius)
    #expect(L1BallProjection().jacobian(at: z, radius) == Matrix.identity(8))
    #expect(L1BallProjection().parameterJacobian(at: z, radius).flattened.allSatisfy { $0 == 0 })
  }

  @Test func l1Sphere() {
    var rng = SeededGenerator(seed: 16)
    let z = rng.normalVector(6)
    let norm1 = z.scalars.map(abs).reduce(0, +)
    for r in [0.5 * norm1, 2 * norm1] {  // outside, and inside (τ < 0: entries grow)
      ProjectionChecks.derivatives(L1SphereProjection(), z: z, r)
      ProjectionChecks.isProjection(L1SphereProjection(), z: z, r, convex: false) { p in
        abs(p.scalars.map(abs).reduce(0, +) - r) <= 1e-12 * max(1, r)
      }
    }
  }

  @Test func l2Ball() {
    var rng = SeededGenerator(seed: 17)
    let z = rng.normalVector(7)
    let norm = z.norm()
    for r in [0.5 * norm, 2 * norm] {
      ProjectionChecks.derivatives(L2BallProjection(), z: z, r)
      ProjectionChecks.isProjection(L2BallProjection(), z: z, r) { $0.norm() <= r * (1 + 1e-14) }
    }
    // Closed form outside: (r/‖z‖)(I − ẑẑᵀ), ∂P/∂r = ẑ. Inside: I, 0.
    let r = 0.5 * norm
    let j = L2BallProjection().jacobian(at: z, r)
    let jr = L2BallProjection().parameterJacobian(at: z, r)
    for i in 0..<7 {
      #expect(abs(jr[i, 0] - z[i] / norm) <= 1e-15)
      for k in 0..<7 {
        #expect(abs(j[i, k] - (r / norm) * ((i == k ? 1 : 0) - z[i] * z[k] / (norm * norm))) <= 1e-15)
      }
    }
    #expect(L2BallProjection().jacobian(at: z, 2 * norm) == Matrix.identity(7))
  }

  @Test func l2Sphere() {
    var rng = SeededGenerator(seed: 18)
    let z = rng.normalVector(5)
    for r in [0.3, 4.0] {
      ProjectionChecks.derivatives(L2SphereProjection(), z: z, r)
      ProjectionChecks.isProjection(L2SphereProjection(), z: z, r, convex: false) { abs($0.norm() - r) <= 1e-12 * r }
    }
  }

  @Test func lInfinityBall() {
    var rng = SeededGenerator(seed: 19)
    let z = rng.normalVector(9, scale: 1.5)
    ProjectionChecks.derivatives(LInfinityBallProjection(), z: z, 0.8)
    ProjectionChecks.isProjection(LInfinityBallProjection(), z: z, 0.8) { $0.scalars.allSatisfy { abs($0) <= 0.8 } }
    let inside = z.mapScalars { 0.1 * $0 / (abs($0) + 1) }
    #expect(LInfinityBallProjection().jacobian(at: inside, 0.8) == Matrix.identity(9))
  }

  @Test func hyperplane() {
    var rng = SeededGenerator(seed: 20)
    let plane = Hyperplane(normal: rng.normalVector(6), offset: 0.7)
    let z = rng.normalVector(6)
    ProjectionChecks.derivatives(HyperplaneProjection(), z: z, plane)
    ProjectionChecks.isProjection(HyperplaneProjection(), z: z, plane) { abs(plane.normal.dot($0) - 0.7) <= 1e-12 }
    // A point on the plane is fixed.
    let onPlane = HyperplaneProjection().project(z, plane)
    #expect((HyperplaneProjection().project(onPlane, plane) - onPlane).norm() <= 1e-14)
  }

  @Test func halfspace() {
    var rng = SeededGenerator(seed: 21)
    let a = rng.normalVector(6)
    let z = rng.normalVector(6)
    let outside = Hyperplane(normal: a, offset: a.dot(z) - 1)
    let inside = Hyperplane(normal: a, offset: a.dot(z) + 1)
    for plane in [outside, inside] {
      ProjectionChecks.derivatives(HalfspaceProjection(), z: z, plane)
      ProjectionChecks.isProjection(HalfspaceProjection(), z: z, plane) { plane.normal.dot($0) <= plane.offset + 1e-12 }
    }
    #expect(HalfspaceProjection().jacobian(at: z, inside) == Matrix.identity(6))
    #expect(HalfspaceProjection().parameterJacobian(at: z, inside).flattened.allSatisfy { $0 == 0 })
  }

  @Test func affineSet() {
    var rng = SeededGenerator(seed: 22)
    let set = AffineSet(A: rng.normalMatrix(rows: 2, columns: 5), b: rng.normalVector(2))
    let z = rng.normalVector(5)
    ProjectionChecks.derivatives(AffineSetProjection(), z: z, set, finiteDifferenceTolerance: 1e-6)
    ProjectionChecks.isProjection(AffineSetProjection(), z: z, set) {
      ($0.isEmpty ? $0 : set.A * $0 - set.b).norm() <= 1e-12
    }
    // ∂P/∂z is the orthogonal projector onto the null space: symmetric, idempotent, kills Aᵀ.
    let j = AffineSetProjection().jacobian(at: z, set)
    #expect(ProjectionChecks.error(j, j.transposed()) <= 1e-14)
    #expect(ProjectionChecks.error(j * j, j) <= 1e-14)
    #expect((j * set.A.transposed()).flattened.map(abs).max()! <= 1e-14)
  }

  @Test func boxSection() {
    var rng = SeededGenerator(seed: 23)
    let n = 8
    let lower = Vector((0..<n).map { _ in -abs(rng.normal()) - 0.1 })
    let upper = Vector((0..<n).map { _ in abs(rng.normal()) + 0.1 })
    let weights = Vector((0..<n).map { i in i == 3 ? -0.7 : abs(rng.normal()) + 0.2 })
    let interiorPoint = 0.4 * (lower + upper)
    let section = BoxSection(lower: lower, upper: upper, weights: weights, value: weights.dot(interiorPoint))
    let z = rng.normalVector(n, scale: 1.5)
    ProjectionChecks.derivatives(BoxSectionProjection(), z: z, section)
    ProjectionChecks.isProjection(BoxSectionProjection(), z: z, section) { p in
      (0..<n).allSatisfy { lower[$0] - 1e-14 <= p[$0] && p[$0] <= upper[$0] + 1e-14 }
        && abs(weights.dot(p) - section.value) <= 1e-12
    }
    // Some coordinates free and some clipped at this point, so every block is exercised.
    let p = BoxSectionProjection().project(z, section)
    #expect((0..<n).contains { p[$0] == lower[$0] || p[$0] == upper[$0] })
    #expect((0..<n).contains { lower[$0] < p[$0] && p[$0] < upper[$0] })
  }
}

extension ProjectionJacobianTests {
  @Test func sparseSimplex() {
    var rng = SeededGenerator(seed: 24)
    let z = rng.normalVector(10)
    for k in [1, 3, 10] {
      let projection = SparseSimplexProjection(maxNonzeros: k)
      ProjectionChecks.derivatives(projection, z: z, 1.2)
      ProjectionChecks.isProjection(projection, z: z, 1.2, convex: k == 10) { p in
        p.scalars.allSatisfy { $0 >= 0 } && abs(p.sum() - 1.2) <= 1e-12 && p.scalars.filter { $0 != 0 }.count <= k
      }
    }
    // With k = n it is the simplex projection.
    #expect(SparseSimplexProjection(maxNonzeros: 10).project(z, 1) == SimplexProjection().project(z, 1))
  }
}

extension ProjectionJacobianTests {
  @Test func polyhedron() throws {
    var rng = SeededGenerator(seed: 25)
    let n = 6
    let z = rng.normalVector(n)
    let E = rng.normalMatrix(rows: 1, columns: n), G = rng.normalMatrix(rows: 5, columns: n)
    let gz = G * z
    // Rows 0 and 2 are violated at z (they end up active), the others are slack.
    let h = Vector((0..<5).map { gz[$0] + ($0 == 0 || $0 == 2 ? -0.6 : 0.8) })
    let set = Polyhedron(E: E, d: Vector([0.3]), G: G, h: h)
    try PolyhedronProjection().validate(z, set)
    ProjectionChecks.derivatives(PolyhedronProjection(), z: z, set, finiteDifferenceTolerance: 1e-6)
    ProjectionChecks.isProjection(PolyhedronProjection(), z: z, set) { p in
      abs((E * p)[0] - 0.3) <= 1e-10 && (0..<5).allSatisfy { (G * p)[$0] <= h[$0] + 1e-10 }
    }
    // Some inequality is active at the projection, so the active-set Jacobian is exercised.
    let projected = PolyhedronProjection().project(z, set)
    #expect((0..<5).contains { abs((G * projected)[$0] - h[$0]) <= 1e-10 })
    // Inequalities only, z inside: the identity.
    let inside = Polyhedron(E: Matrix(rows: 0, columns: n, scalars: []), d: Vector([]), G: G, h: gz + 1)
    #expect(PolyhedronProjection().jacobian(at: z, inside) == Matrix.identity(n))
    // And an empty polyhedron is reported.
    let empty = Polyhedron(
      E: Matrix(rows: 0, columns: n, scalars: []), d: Vector([]),
      G: Matrix(rows: 2, columns: n, scalars: Array(repeating: 1, count: n) + Array(repeating: -1, count: n)),
      h: Vector([-1, -1]))
    #expect(throws: ImplicitError.self) { try PolyhedronProjection(maxIterations: 2000).validate(z, empty) }
  }
}
