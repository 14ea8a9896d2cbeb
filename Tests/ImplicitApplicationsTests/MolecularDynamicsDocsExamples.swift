import ImplicitCore
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The compiled examples of docs/molecular-dynamics.md on a smaller packing: the implicit
/// derivative solves the linearised condition, `F(x* + h·dx, θ + h) − F(x* − h·dx, θ − h) ≈ 0`
/// (central differences of `F` itself), and CG and dense Cholesky agree.
@Suite struct MolecularDynamicsDocsExamples {
  @Test func derivativeOfAMinimisedPacking() throws {
    let count = 32
    // docs-example: molecular-dynamics-1
    let packing = try SoftSpherePacking(count: count, packingFraction: 0.85)  // the demo: 128 discs
    var rng = SeededGenerator(seed: 3)
    let start = packing.randomPositions(using: &rng)
    let minimum = try SoftSphereFIRE(forceTolerance: 3e-15, reportEvery: 200).minimize(packing, from: start, 1.0)
    // end-docs-example
    // docs-example: molecular-dynamics-2
    let condition = try SoftSphereStationarity(packing: packing, reference: minimum.positions, θ: 1.0)
    let cg = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12)))
    let dx = try cg.jvp(1.0, at: Vector(minimum.positions), 1.0).value  // ∂x*/∂θ

    let dense = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: DenseCholesky()))
    let column = try dense.jacobian(at: Vector(minimum.positions), 1.0).matrix  // 2·count × 1
    // end-docs-example
    #expect(dx.norm() > 0)
    #expect((Vector(column.scalars) - dx).norm() <= 1e-9 * dx.norm())
    let x = Vector(minimum.positions), h = 1e-6
    let slope = (condition(x + h * dx, 1 + h) - condition(x - h * dx, 1 - h)).scaled(by: 1 / (2 * h))
    #expect(slope.norm() <= 1e-6 * condition(x + h * dx, 1.0).norm() + 1e-7, "\(slope.norm())")
  }
}
