import ImplicitCore
import ImplicitProjections
import ImplicitProximal
import Testing

/// The prox values: closed forms worked by hand, and the defining property — `prox_{ηg}(z)`
/// minimises `½‖p − z‖² + η·g(p)` — checked by perturbation.
@Suite("Prox values")
struct ProxValueTests {
  /// `p ↦ ½‖p − z‖² + η·g(p)` is not lower at any of many small perturbations of the prox.
  func expectMinimises<P: ProximalOperator>(
    _ prox: P, z: Vector<Double>, θ: P.Parameter, η: Double, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let p = prox.prox(z, θ, scaling: η)
    func objective(_ q: Vector<Double>) -> Double { 0.5 * (q - z).squaredNorm() + η * prox.penalty(q, θ) }
    let best = objective(p)
    var rng = SeededGenerator(seed: 11)
    for scale in [1e-1, 1e-3, 1e-5] {
      for _ in 0..<40 {
        let q = p + rng.normalVector(z.count, scale: scale)
        #expect(objective(q) >= best - 1e-14, "\(P.self) not minimal at scale \(scale)", sourceLocation: sourceLocation)
      }
    }
  }

  let z = Vector([1.3, -0.2, 0.05, -2.1, 0.9, -0.6])

  @Test func softThresholdingClosedForm() {
    // t = ηλ = 0.5: 3 → 2.5, −0.5 → 0 (at the threshold), 1.2 → 0.7, −2 → −1.5, 0.1 → 0.
    let p = LassoProximal().prox(Vector([3, -0.5, 1.2, -2, 0.1]), Vector([1]), scaling: 0.5)
    #expect(p == Vector([2.5, 0, 0.7, -1.5, 0]))
  }

  @Test func everyProxMinimisesItsObjective() throws {
    let η = 0.7
    expectMinimises(IdentityProximal(), z: z, θ: Vector([]), η: η)
    expectMinimises(LassoProximal(), z: z, θ: Vector([0.6]), η: η)
    expectMinimises(LassoProximal(), z: z, θ: Vector([0.6, 0.3, 0.1, 1.0, 2.0, 0.5]), η: η)
    expectMinimises(NonNegativeLassoProximal(), z: z, θ: Vector([0.6]), η: η)
    expectMinimises(ElasticNetProximal(), z: z, θ: Vector([0.6, 0.8]), η: η)
    expectMinimises(JAXoptElasticNetProximal(), z: z, θ: Vector([0.6, 0.8]), η: η)
    expectMinimises(RidgeProximal(), z: z, θ: Vector([0.6]), η: η)
    expectMinimises(NonNegativeRidgeProximal(), z: z, θ: Vector([0.6]), η: η)
    expectMinimises(try GroupLassoProximal(groupSizes: [2, 3, 1]), z: z, θ: Vector([0.6, 0.3, 2.0]), η: η)
    expectMinimises(ProjectionProximal(SimplexProjection()), z: Vector([0.9, 0.3, -0.5, 0.6]), θ: 1.0, η: η)
  }

  /// JAXopt's `λ₁(‖x‖₁ + ½λ₂‖x‖²)` is the standard elastic net at `(λ₁, λ₁λ₂)`.
  @Test func elasticNetParametrisationsAgree() {
    let jaxopt = JAXoptElasticNetProximal().prox(z, Vector([0.6, 0.8]), scaling: 0.7)
    let standard = ElasticNetProximal().prox(z, Vector([0.6, 0.6 * 0.8]), scaling: 0.7)
    #expect((jaxopt - standard).norm() <= 1e-15)
  }

  @Test func ridgeClosedForm() {
    // z / (1 + ηλ) with ηλ = 0.5.
    let p = RidgeProximal().prox(Vector([3, -1.5]), Vector([1]), scaling: 0.5)
    #expect(p == Vector([2, -1]))
    let q = NonNegativeRidgeProximal().prox(Vector([3, -1.5]), Vector([1]), scaling: 0.5)
    #expect(q == Vector([2, 0]))
  }

  @Test func groupLassoClosedForm() throws {
    // ‖(3, 4)‖ = 5, t = 2.5 → factor ½; ‖(0.3, 0.4)‖ = 0.5 ≤ t → 0; coordinate 4 unpenalised.
    let prox = try GroupLassoProximal(groups: [[0, 1], [2, 3]])
    let p = prox.prox(Vector([3, 4, 0.3, 0.4, -7]), Vector([5]), scaling: 0.5)
    #expect(p == Vector([1.5, 2, 0, 0, -7]))
  }

  @Test func projectionProxIsTheProjectionWhateverTheStep() {
    let z = Vector([0.9, 0.3, -0.5, 0.6])
    let prox = ProjectionProximal(SimplexProjection())
    for η in [0.1, 1, 10] {
      #expect(prox.prox(z, 1.0, scaling: η) == SimplexProjection().project(z, 1.0))
    }
    #expect(prox.jacobian(at: z, 1.0) == SimplexProjection().jacobian(at: z, 1.0))
  }

  @Test func kinkMarginOfSoftThresholding() {
    let margin = LassoProximal().kinkMargin(at: Vector([3, -0.5, 0.2]), Vector([1]), scaling: 0.5)
    #expect(margin == Vector([2.5, 0, 0.3]))
    #expect(RidgeProximal().kinkMargin(at: z, Vector([1]), scaling: 1) == nil)
  }
}
