import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

@testable import ImplicitApplications

/// The hand-written derivatives of the soft-sphere packing against central finite differences:
/// the gradient against the energy, the Hessian product and the θ-derivative against the gradient.
/// The energy is C¹ and the gradient piecewise C¹ (kinks only where a pair starts to touch), so
/// at random dense configurations central differences with a small step are accurate.
@Suite struct SoftSphereDerivativeTests {
  static let θ = 1.0

  /// A dense random packing (many overlaps), its positions, and a random direction.
  static func setup(count: Int = 24, seed: UInt64) throws -> (SoftSpherePacking, [Double], [Double]) {
    let packing = try SoftSpherePacking(count: count, packingFraction: 1.1)
    var rng = SeededGenerator(seed: seed)
    let x = packing.randomPositions(using: &rng)
    let v = (0..<x.count).map { _ in rng.normal() }
    return (packing, x, v)
  }

  static func gradient(_ p: SoftSpherePacking, _ x: [Double], _ θ: Double, included: [Bool]? = nil) -> [Double] {
    var g = [Double]()
    p.energy(at: x, θ, gradient: &g, included: included)
    return g
  }

  static func axpy(_ x: [Double], _ h: Double, _ v: [Double]) -> [Double] { zip(x, v).map { $0 + h * $1 } }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func gradientMatchesFiniteDifferencesOfTheEnergy(seed: UInt64) throws {
    let (packing, x, _) = try Self.setup(seed: seed)
    #expect(packing.contacts(at: x, Self.θ).count > 10)
    let g = Self.gradient(packing, x, Self.θ)
    let fd = FiniteDifferences.gradient(at: x, step: 1e-6) { packing.energy(at: $0, Self.θ) }
    #expect(Reference.relativeError(g, fd) < 1e-6)
    // ∂U/∂θ at fixed positions.
    let h = 1e-6
    let dθ = (packing.energy(at: x, Self.θ + h) - packing.energy(at: x, Self.θ - h)) / (2 * h)
    #expect(abs(packing.energyParameterDerivative(at: x, Self.θ) - dθ) < 1e-6 * max(1, abs(dθ)))
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func hessianProductMatchesFiniteDifferencesOfTheGradient(seed: UInt64) throws {
    let (packing, x, v) = try Self.setup(seed: seed)
    let hv = packing.contacts(at: x, Self.θ).hessianTimes(v)
    let h = 1e-6
    let fd = zip(
      Self.gradient(packing, Self.axpy(x, h, v), Self.θ), Self.gradient(packing, Self.axpy(x, -h, v), Self.θ)
    )
    .map { ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(hv, fd) < 1e-6)
    // Symmetric: ⟨u, H v⟩ = ⟨H u, v⟩.
    var rng = SeededGenerator(seed: seed &+ 100)
    let u = (0..<x.count).map { _ in rng.normal() }
    let hu = packing.contacts(at: x, Self.θ).hessianTimes(u)
    #expect(abs(Reference.dot(u, hv) - Reference.dot(hu, v)) < 1e-10 * Reference.norm(hv) * Reference.norm(u))
  }

  @Test(arguments: [1, 2, 3] as [UInt64])
  func parameterDerivativeOfTheGradientMatchesFiniteDifferences(seed: UInt64) throws {
    let (packing, x, _) = try Self.setup(seed: seed)
    let column = packing.contacts(at: x, Self.θ).gradientParameterDerivative(particles: packing.count)
    let h = 1e-6
    let fd = zip(Self.gradient(packing, x, Self.θ + h), Self.gradient(packing, x, Self.θ - h)).map {
      ($0 - $1) / (2 * h)
    }
    #expect(Reference.relativeError(column, fd) < 1e-6)
  }

  /// The condition `F = ∇U_net + gauge`: its hand-written `A v`, `B t`, `Bᵀu` and its custom
  /// reverse derivative against central differences of `F` itself.
  @Test func stationarityConditionProductsMatchFiniteDifferences() throws {
    let (packing, x, v) = try Self.setup(count: 32, seed: 4)
    // A reference away from x, so the gauge terms (rattler pinning, centre of mass) are active.
    var rng = SeededGenerator(seed: 77)
    let reference = x.map { $0 + 0.05 * rng.normal() }
    let rattlers = (0..<packing.count).map { $0 % 5 == 0 }
    let condition = try SoftSphereStationarity(
      packing: packing, rattlers: rattlers, reference: reference, gaugeStiffness: 0.7)
    let θ = Self.θ, h = 1e-6
    let X = Vector(x), V = Vector(v)
    let F: (Vector<Double>, Double) -> [Double] = { condition($0, $1).scalars }

    let av = try #require(condition.solutionJacobianProduct(V, at: X, θ)).scalars
    let fdA = zip(F(X + h * V, θ), F(X - h * V, θ)).map { ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(av, fdA) < 1e-6)

    let bt = try #require(condition.parameterJacobianProduct(2, at: X, θ)).scalars
    let fdB = zip(F(X, θ + h), F(X, θ - h)).map { 2 * ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(bt, fdB) < 1e-6)

    let u = (0..<x.count).map { _ in rng.normal() }
    let btu = try #require(condition.parameterJacobianTransposedProduct(Vector(u), at: X, θ))
    #expect(abs(btu - Reference.dot(fdB, u) / 2) < 1e-6 * max(1, abs(btu)))

    // The registered reverse derivative: uᵀA (= (A u)ᵀ, A symmetric) and uᵀB.
    let pb = pullback(at: X, θ) { x, θ in condition(x, θ) }
    let (ax, aθ) = pb(Vector(u))
    let fdAu = zip(F(X + h * Vector(u), θ), F(X - h * Vector(u), θ)).map { ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(ax.scalars, fdAu) < 1e-6)
    #expect(abs(aθ - btu) < 1e-10 * max(1, abs(btu)))
  }
}
