import ImplicitCore
import ImplicitProximalGradient
import ImplicitReferenceCases
import Testing

/// The lasso family at a zero-width margin (see the gradient-step module's zero-width margin tests).
@Suite("Lasso family at a kink")
struct KinkFamilyTests {
  /// Through the family: finite outputs and a note that says what happened.
  @Test func familyNotesTheKink() throws {
    // Orthogonal A (AᵀA = I) and Aᵀb = (2, 0.7) with lam = 0.7: coordinate 1 on the kink.
    let A = Matrix([[0.6, 0.8], [0.8, -0.6]])
    let json = caseJSON(
      family: "lasso", data: [("A", A), ("b", Vector([1.76, 1.18]))], theta: [("lam", 0.7)], outputCount: 2)
    let c = try ReferenceCase(json: json, file: "kink.json")
    let registry = FamilyRegistry()
    try ProximalGradientFamilies.register(in: registry)
    let evaluation = try registry.evaluate(c)
    let x = try #require(evaluation.outputs["x"])
    #expect(x.value.values.allSatisfy { $0.isFinite })
    #expect(x.jacobians["lam"]?.values.allSatisfy { $0.isFinite } == true)
    #expect(abs(x.value.values[0] - 1.3) <= 1e-12 && abs(x.value.values[1]) <= 1e-12)  // 0.7 − lam up to rounding
    #expect(evaluation.notes.contains { $0.contains("zero-width margin at coordinates [1]") })
  }
}
