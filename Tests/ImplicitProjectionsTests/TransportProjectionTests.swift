import Foundation
import ImplicitCore
import ImplicitProjections
import Testing

/// Transport and Birkhoff polytopes, quadratic and entropic.
@Suite("Transport projections")
struct TransportProjectionTests {
  /// Marginals with equal totals, and directions that keep them equal.
  static func transportData(seed: UInt64) -> (
    z: Vector<Double>, θ: TransportMarginals, directions: [TransportMarginals]
  ) {
    var rng = SeededGenerator(seed: seed)
    let a = Vector([0.5, 1.2, 0.8]), b = Vector([0.9, 0.4, 0.7, 0.5])
    let z = rng.normalVector(12)
    let directions = [
      TransportMarginals(a: Vector([1, 0, 0]), b: Vector([0, 0, 1, 0])),
      TransportMarginals(a: Vector([0, -1, 1]), b: Vector([0, 0, 0, 0])),
      TransportMarginals(a: Vector([0.3, 0.2, -0.1]), b: Vector([0.1, 0.1, 0.1, 0.1])),
    ]
    return (z, TransportMarginals(a: a, b: b), directions)
  }

  static func isTransportPlan(_ p: Vector<Double>, _ θ: TransportMarginals) -> Bool {
    let rows = θ.a.count, columns = θ.b.count
    let rowSums = (0..<rows).map { i in (0..<columns).reduce(0) { $0 + p[i * columns + $1] } }
    let columnSums = (0..<columns).map { j in (0..<rows).reduce(0) { $0 + p[$1 * columns + j] } }
    return p.scalars.allSatisfy { $0 >= 0 } && zip(rowSums, θ.a.scalars).allSatisfy { abs($0 - $1) <= 1e-10 }
      && zip(columnSums, θ.b.scalars).allSatisfy { abs($0 - $1) <= 1e-10 }
  }

  @Test func quadraticTransport() throws {
    let (z, θ, directions) = Self.transportData(seed: 26)
    for gamma in [1.0, 0.5] {
      let projection = TransportProjection(rows: 3, columns: 4, regularization: .quadratic(gamma))
      try projection.validate(z, θ)
      ProjectionChecks.derivatives(
        projection, z: z, θ, finiteDifferenceTolerance: 1e-6, parameterDirections: directions)
      let p = projection.project(z, θ)
      #expect(Self.isTransportPlan(p, θ))
      #expect(p.scalars.contains(0), "a sparse plan: the support structure is exercised")
    }
    // γ = 1 is the Euclidean projection onto U(a, b).
    ProjectionChecks.isProjection(TransportProjection(rows: 3, columns: 4), z: z, θ) { Self.isTransportPlan($0, θ) }
  }

  @Test func entropicTransport() throws {
    let (z, θ, directions) = Self.transportData(seed: 27)
    let gamma = 0.7
    let projection = TransportProjection(rows: 3, columns: 4, regularization: .entropic(gamma))
    try projection.validate(z, θ)
    ProjectionChecks.derivatives(projection, z: z, θ, finiteDifferenceTolerance: 1e-6, parameterDirections: directions)
    let p = projection.project(z, θ)
    #expect(Self.isTransportPlan(p, θ))
    // Optimality: log P − Z/γ = α𝟙ᵀ + 𝟙βᵀ, so its double differences vanish.
    let l = (0..<12).map { log(p[$0]) - z[$0] / gamma }
    for i in 1..<3 {
      for j in 1..<4 { #expect(abs(l[i * 4 + j] - l[i * 4] - l[j] + l[0]) <= 1e-9) }
    }
    // Birkhoff: doubly stochastic.
    var rng = SeededGenerator(seed: 28)
    let square = TransportProjection(rows: 4, columns: 4, regularization: .entropic(1))
    #expect(Self.isTransportPlan(square.project(rng.normalVector(16), .birkhoff(4)), .birkhoff(4)))
  }

  @Test func transportValidation() {
    let projection = TransportProjection(rows: 2, columns: 2)
    #expect(throws: ImplicitError.self) {
      try projection.validate(Vector([1, 2, 3, 4]), TransportMarginals(a: Vector([1, 1]), b: Vector([1, 2])))
    }
    #expect(throws: ImplicitError.self) {
      try TransportProjection(rows: 2, columns: 2, regularization: .entropic(1))
        .validate(Vector([1, 2, 3, 4]), TransportMarginals(a: Vector([0, 2]), b: Vector([1, 1])))
    }
  }
}
