import ImplicitCore
import ImplicitProximal
import ImplicitTestSupport
import Testing
import _Differentiation

/// Relative errors of a prox's hand-written derivatives against independent references.
struct ProxJacobianErrors {
  /// `∂prox/∂z` (from JVPs) vs central finite differences of `prox`.
  var finiteDifferenceZ: Double
  /// `∂prox/∂θ` (from JVPs) vs central finite differences of `prox`.
  var finiteDifferenceθ: Double
  /// `∂prox/∂z` from JVP columns vs from VJP rows (the dense materialisation both ways).
  var denseZ: Double
  /// `∂prox/∂θ` from JVP columns vs from VJP rows.
  var denseθ: Double
  /// `|⟨u, J(dz, dθ)⟩ − ⟨Jᵀu, (dz, dθ)⟩|`, relative.
  var adjointness: Double
  /// Swift AD through `callAsFunction` vs the VJP.
  var autodiff: Double

  var all: [(String, Double)] {
    [
      ("finite differences in z", finiteDifferenceZ), ("finite differences in θ", finiteDifferenceθ),
      ("dense z", denseZ), ("dense θ", denseθ), ("adjointness", adjointness), ("autodiff", autodiff),
    ]
  }
}

/// Measures every derivative of `prox` at `(z, θ)` against finite differences, its transpose and
/// Swift AD. `z` must be away from kinks (checked by the caller with `kinkMargin`).
func proxJacobianErrors<P: ProximalOperator>(
  _ prox: P, z: Vector<Double>, θ: P.Parameter, η: Double, seed: UInt64 = 7
) -> ProxJacobianErrors {
  let n = z.count, k = θ.dimension
  let jz = prox.jacobian(at: z, θ, scaling: η)
  let jθ = prox.parameterJacobian(at: z, θ, scaling: η)
  let fdz = TestSupport.finiteDifferenceJacobian(at: z) { prox.prox($0, θ, scaling: η) }
  let fdθ = TestSupport.finiteDifferenceJacobian(at: Vector(θ.flattened)) { p in
    prox.prox(z, θ.unflattened(p.scalars), scaling: η)
  }
  var rowsZ = Matrix<Double>.zeros(rows: n, columns: n)
  var rowsθ = Matrix<Double>.zeros(rows: n, columns: k)
  for i in 0..<n {
    let (rz, rθ) = prox.vjp(at: z, θ, scaling: η, .basis(i, count: n))
    let rθFlat = rθ.flattened
    for j in 0..<n { rowsZ[i, j] = rz[j] }
    for j in 0..<k { rowsθ[i, j] = rθFlat[j] }
  }

  var rng = SeededGenerator(seed: seed)
  let u = rng.normalVector(n), dz = rng.normalVector(n)
  let dθ = θ.unflattened((0..<k).map { _ in rng.normal() })
  let forward = u.dot(prox.jvp(at: z, θ, scaling: η, dz, dθ))
  let (uz, uθ) = prox.vjp(at: z, θ, scaling: η, u)
  let backward = uz.dot(dz) + uθ.innerProduct(with: dθ)
  let adjointness = abs(forward - backward) / max(1, abs(forward))

  let (gz, gθ) = gradient(at: z, θ) { z, θ in prox(z, θ, scaling: η).dot(u) }
  let autodiff = max(
    TestSupport.relativeError(gz.isEmpty ? Vector.zeros(n) : gz, uz),
    TestSupport.relativeError(gθ.dimension == k ? gθ.flattened : [Double](repeating: 0, count: k), uθ.flattened))

  return ProxJacobianErrors(
    finiteDifferenceZ: TestSupport.relativeError(jz, fdz), finiteDifferenceθ: TestSupport.relativeError(jθ, fdθ),
    denseZ: TestSupport.relativeError(jz, rowsZ), denseθ: TestSupport.relativeError(jθ, rowsθ),
    adjointness: adjointness, autodiff: autodiff)
}

/// Expects finite differences within 1e-7 (central differences of a piecewise-smooth map, away
/// from kinks) and every exact identity within 1e-12.
func expectAccurateJacobians<P: ProximalOperator>(
  _ prox: P, z: Vector<Double>, θ: P.Parameter, η: Double, sourceLocation: SourceLocation = #_sourceLocation
) throws {
  if let margin = prox.kinkMargin(at: z, θ, scaling: η) {
    try #require(
      (margin.scalars.min() ?? .infinity) > 1e-3, "test point too close to a kink", sourceLocation: sourceLocation)
  }
  let errors = proxJacobianErrors(prox, z: z, θ: θ, η: η)
  for (name, error) in errors.all {
    let bound = name.hasPrefix("finite") ? 1e-7 : 1e-12
    #expect(error <= bound, "\(P.self): \(name) error \(error)", sourceLocation: sourceLocation)
  }
}
