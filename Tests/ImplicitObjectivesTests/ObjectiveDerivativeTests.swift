import ImplicitCore
import ImplicitObjectives
import ImplicitTestSupport
import Testing

/// Every objective's first and second derivatives against central finite differences of the
/// derivative below it: gradient vs differences of values, dual Hessian-vector products vs
/// differences of gradients (in `x` and in `θ`).
@Suite struct ObjectiveDerivativeTests {
  @Test(arguments: ObjectiveInstance.names)
  func gradientMatchesFiniteDifferencesOfValues(_ name: String) throws {
    let c = try ObjectiveInstance.named(name)
    let gradient = c.objective.gradient(at: c.x, c.θ)
    let reference = FiniteDifferences.gradient(at: c.x.scalars) { x in c.objective.value(at: Vector(x), c.θ) }
    #expect(Reference.relativeError(gradient.scalars, reference) < 1e-7, "\(name)")
  }

  @Test(arguments: ObjectiveInstance.names)
  func parameterGradientMatchesFiniteDifferencesOfValues(_ name: String) throws {
    let c = try ObjectiveInstance.named(name)
    let gradient = c.objective.valueWithGradients(at: c.x, c.θ).θ
    let reference = FiniteDifferences.gradient(at: c.θ.scalars) { θ in c.objective.value(at: c.x, Vector(θ)) }
    #expect(Reference.relativeError(gradient.scalars, reference) < 1e-7, "\(name)")
  }

  @Test(arguments: ObjectiveInstance.names)
  func hessianProductMatchesFiniteDifferencesOfGradients(_ name: String) throws {
    let c = try ObjectiveInstance.named(name)
    var rng = SeededGenerator(seed: 99)
    let v = rng.normalVector(c.x.count)
    let exact = c.objective.gradientJVP(at: c.x, c.θ, along: v, Vector.zeros(c.θ.count))
    let reference = FiniteDifferences.directional(at: c.x.scalars, along: v.scalars) { x in
      c.objective.gradient(at: Vector(x), c.θ).scalars
    }
    #expect(Reference.relativeError(exact.scalars, reference) < 1e-7, "\(name)")
    // The reverse product is the same (symmetric) matrix.
    let reverse = c.objective.gradientPullback(at: c.x, c.θ, v).x
    #expect(Reference.relativeError(reverse.scalars, exact.scalars) < 1e-12, "\(name)")
  }

  @Test(arguments: ObjectiveInstance.names)
  func mixedProductsMatchFiniteDifferencesOfGradients(_ name: String) throws {
    let c = try ObjectiveInstance.named(name)
    var rng = SeededGenerator(seed: 98)
    let t = rng.normalVector(c.θ.count)
    let exact = c.objective.gradientJVP(at: c.x, c.θ, along: Vector.zeros(c.x.count), t)
    let reference = FiniteDifferences.directional(at: c.θ.scalars, along: t.scalars) { θ in
      c.objective.gradient(at: c.x, Vector(θ)).scalars
    }
    #expect(Reference.relativeError(exact.scalars, reference) < 1e-7, "\(name)")
    // ⟨B t, u⟩ = ⟨t, Bᵀu⟩ with Bᵀu from the reverse pass.
    let u = rng.normalVector(c.x.count)
    let transposed = c.objective.gradientPullback(at: c.x, c.θ, u).θ
    let lhs = Reference.dot(exact.scalars, u.scalars), rhs = Reference.dot(t.scalars, transposed.scalars)
    #expect(Swift.abs(lhs - rhs) <= 1e-12 * max(1, Swift.abs(lhs)), "\(name)")
  }
}
