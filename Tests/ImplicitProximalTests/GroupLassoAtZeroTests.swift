import ImplicitCore
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// Group lasso where `‖z_g‖` is 0 or exactly the threshold: finite, and a zero Jacobian for a
/// group shrunk to 0 — never NaN from `z_g / ‖z_g‖`.
@Suite("Group lasso at zero")
struct GroupLassoAtZeroTests {
  let prox: GroupLassoProximal
  init() throws { prox = try GroupLassoProximal(groups: [[0, 1, 2], [3, 4]]) }

  func expectZeroJacobianOnGroup(_ z: Vector<Double>, λ: Vector<Double>, η: Double) {
    let jz = prox.jacobian(at: z, λ, scaling: η)
    let jλ = prox.parameterJacobian(at: z, λ, scaling: η)
    #expect(jz.isFinite && jλ.isFinite)
    for i in 0..<3 {
      for j in 0..<5 { #expect(jz[i, j] == 0 && jz[j, i] == 0) }
      for j in 0..<jλ.columns { #expect(jλ[i, j] == 0) }
    }
    let u = Vector([1.0, -2, 0.5, 0.3, 0.7])
    let (uz, uλ) = prox.vjp(at: z, λ, scaling: η, u)
    #expect(uz.isFinite && uλ.isFinite)
    #expect(Array(uz.scalars[0..<3]) == [0, 0, 0])
    let (gz, gλ) = gradient(at: z, λ) { z, λ in prox(z, λ, scaling: η).dot(u) }
    #expect(gz.isFinite && gλ.isFinite)
    #expect(Array(gz.scalars[0..<3]) == [0, 0, 0])
  }

  @Test func groupAtTheOrigin() {
    let z = Vector([0, 0, 0, 1.5, -2])
    #expect(Array(prox.prox(z, Vector([0.4]), scaling: 0.5).scalars[0..<3]) == [0, 0, 0])
    expectZeroJacobianOnGroup(z, λ: Vector([0.4]), η: 0.5)
    expectZeroJacobianOnGroup(z, λ: Vector([0.4, 0.1]), η: 0.5)
  }

  @Test func groupExactlyAtTheThreshold() {
    // ‖(0.6, 0.8, 0)‖ = 1 = ηλ.
    let z = Vector([0.6, 0.8, 0, 1.5, -2])
    #expect(Array(prox.prox(z, Vector([2]), scaling: 0.5).scalars[0..<3]) == [0, 0, 0])
    expectZeroJacobianOnGroup(z, λ: Vector([2]), η: 0.5)
  }

  @Test func unpenalisedGroupAtTheOriginIsTheIdentity() {
    let z = Vector([0, 0, 0, 1.5, -2])
    let jz = prox.jacobian(at: z, Vector([0, 0.3]), scaling: 0.5)
    #expect(jz.isFinite)
    for i in 0..<3 { #expect(jz[i, i] == 1) }
    #expect(prox.parameterJacobian(at: z, Vector([0, 0.3]), scaling: 0.5).isFinite)
  }
}
