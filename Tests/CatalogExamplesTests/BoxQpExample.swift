import ImplicitCore
import ImplicitGradientStep
import ImplicitProjections
import ImplicitTestSupport
import Testing
import _Differentiation

@Test("catalogue example: box-qp")
func boxQPExample() throws {
  var rng = SeededGenerator(seed: 8)
  let M = rng.normalMatrix(rows: 8, columns: 5)
  let Q = M.transposed() * M  // positive definite
  let c = rng.normalVector(5, scale: 3)
  // catalog-example: box-qp
  struct Quadratic: ParametricObjective {  // f(x, c) = ½xᵀQx + cᵀx
    let Q: Matrix<Double>
    @differentiable(reverse)
    func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ c: Vector<S>) -> S { S(0.5) * x.dot(Q.times(x)) + c.dot(x) }
  }
  let f = Quadratic(Q: Q)
  let bounds = BoxBounds(lower: Vector(repeating: -0.5, count: 5), upper: Vector(repeating: 0.5, count: 5))
  let η = 1 / Q.squaredSpectralNorm().squareRoot()  // 1/L, L = ‖Q‖₂
  let boxQP = try ProximalGradientCondition(  // projected gradient: the prox is the projection
    objective: f, projection: BoxProjection(), objectiveParameterCount: 5, projectionParameter: bounds,
    stepSize: η)
  let θ = boxQP.packParameters(objective: c, prox: bounds)  // θ = [c; lower; upper]
  let x = try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(boxQP, θ, from: .zeros(5)).converged()
  let jacobian = try ImplicitDifferentiator(boxQP).jacobian(at: x, θ).matrix  // 5 × 15
  // end-catalog-example
  // Independent check: central differences of re-solving.
  let clipped = x.scalars.filter { abs($0) == 0.5 }.count
  #expect(clipped > 0 && clipped < 5)
  let reference = resolvedJacobian(at: θ) { θ in
    try FISTA(stepSize: .fixed(η), tolerance: 1e-13).solve(boxQP, θ, from: .zeros(5)).converged()
  }
  #expect(TestSupport.relativeError(jacobian, reference) < 1e-6)
}
