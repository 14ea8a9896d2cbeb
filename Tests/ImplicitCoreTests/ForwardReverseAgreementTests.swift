import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// Mean logistic loss plus a small ridge: `mean log(1 + exp(−y ⊙ Xw)) + ½ρ‖w‖²`.
struct RidgeLogisticLoss: ScalarFunction {
  let X: Matrix<Double>
  let y: Vector<Double>
  let ridge: Double

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ w: Vector<S>) -> S {
    let margins = Vector<S>(converting: y.scalars) * (Matrix<S>(converting: X) * w)
    return (-margins).softplus().mean() + S(0.5 * ridge) * w.squaredNorm()
  }
}

/// `f(x, θ) = ½‖Ax − b‖² + exp(x)·(Cθ) + ¼Σxⱼ⁴`, hand-derived:
/// `∇ₓf = Aᵀ(Ax − b) + exp(x) ⊙ Cθ + x³`, `∇²ₓₓf = AᵀA + diag(exp(x) ⊙ Cθ + 3x²)`,
/// `∂∇ₓf/∂θ = diag(exp(x))·C`, `∇_θ f = Cᵀexp(x)`.
struct CoupledObjective: ParametricObjective {
  let A: Matrix<Double>
  let b: Vector<Double>
  let C: Matrix<Double>

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let residual = Matrix<S>(converting: A) * x - Vector<S>(converting: b.scalars)
    return S(0.5) * residual.squaredNorm() + x.exp().dot(Matrix<S>(converting: C) * θ)
      + S(0.25) * x.squared().squared().sum()
  }
}

@Suite("Forward (dual numbers) and reverse products agree")
struct ForwardReverseAgreementTests {
  @Test(
    "⟨u, jvp(t)⟩ = ⟨vjp(u), t⟩ for a nonlinear condition, exact dual-number products",
    arguments: [AutomaticLinearSolver(), GMRES(restart: 10), BiCGSTAB(), DenseLU()] as [any LinearSolver])
  func adjointIdentityNonlinear(method: any LinearSolver) throws {
    let condition = CoupledCubicCondition.example(exactForwardProducts: true)
    let θ = Reference.randomVector(3, seed: 33)
    let x = condition.newtonSolve(θ)
    #expect(Reference.norm(condition.referenceResidual(x, θ)) < 1e-12)
    let differentiator = ImplicitDifferentiator(
      condition, options: ImplicitOptions(linearSolver: tuned(method, 1e-13)))
    let u = Vector(Reference.randomVector(5, seed: 34)), t = Vector(Reference.randomVector(3, seed: 35))

    let forward = try differentiator.jvp(t, at: Vector(x), Vector(θ))
    let reverse = try differentiator.vjp(u, at: Vector(x), Vector(θ))
    let lhs = Reference.dot(u.scalars, forward.value.scalars)
    let rhs = Reference.dot(reverse.value.scalars, t.scalars)
    #expect(Swift.abs(lhs - rhs) <= 1e-11 * max(1, Swift.abs(lhs)), "\(method): \(lhs) vs \(rhs)")
    if !method.products.contains(.matrix) { #expect(forward.diagnostics.forwardProducts == .exact) }

    let j = condition.referenceJacobian(x, θ)
    #expect(Reference.relativeError(forward.value.scalars, Reference.matvec(j, t.scalars)) < 1e-10)
    #expect(Reference.relativeError(reverse.value.scalars, Reference.matvec(Reference.transpose(j), u.scalars)) < 1e-10)
  }

  @Test("dual-number products equal the hand-derived A v and B t")
  func dualProductsMatchClosedForm() throws {
    let condition = CoupledCubicCondition.example(exactForwardProducts: true)
    let θ = Reference.randomVector(3, seed: 36), x = Reference.randomVector(5, seed: 37)
    let v = Reference.randomVector(5, seed: 38), t = Reference.randomVector(3, seed: 39)
    let av = condition.solutionJacobianProduct(Vector(v), at: Vector(x), Vector(θ))!
    let bt = condition.parameterJacobianProduct(Vector(t), at: Vector(x), Vector(θ))!
    #expect(Reference.relativeError(av.scalars, Reference.matvec(condition.referenceA(x), v)) < 1e-14)
    #expect(Reference.relativeError(bt.scalars, Reference.matvec(condition.referenceB(θ), t)) < 1e-14)
    // And the reverse-mode materialisation of A and B (away from a root: any point works).
    let lin = try ConditionLinearization(condition, at: Vector(x), Vector(θ))
    #expect(Reference.relativeError(Reference.rows(lin.materializedA()), condition.referenceA(x)) < 1e-14)
    #expect(Reference.relativeError(Reference.rows(lin.materializedB()), condition.referenceB(θ)) < 1e-14)
  }

  @Test("dual-number HVP of the logistic loss = Xᵀdiag(s(1−s))X/n·v + ρv to 1e-13")
  func logisticHessianVectorProduct() {
    let samples = 40, features = 7
    let xRows = Reference.randomRows(samples, features, seed: 41)
    var g = SeededGenerator(seed: 42)
    let y = (0..<samples).map { _ in Bool.random(using: &g) ? 1.0 : -1.0 }
    let w = Reference.randomVector(features, seed: 43, scale: 0.5)
    let v = Reference.randomVector(features, seed: 44)
    let ridge = 1e-2
    let loss = RidgeLogisticLoss(X: Reference.matrix(xRows), y: Vector(y), ridge: ridge)

    // Closed forms, with m = y ⊙ Xw and s = σ(m).
    let margins = zip(y, Reference.matvec(xRows, w)).map { $0 * $1 }
    let s = margins.map(Reference.sigmoid)
    let xv = Reference.matvec(xRows, v)
    let weighted = (0..<samples).map { s[$0] * (1 - s[$0]) * xv[$0] / Double(samples) }
    let expectedHv = zip(Reference.matvec(Reference.transpose(xRows), weighted), v).map { $0 + ridge * $1 }
    let gradientWeights = (0..<samples).map { -y[$0] * (1 - s[$0]) / Double(samples) }
    let expectedGradient = zip(Reference.matvec(Reference.transpose(xRows), gradientWeights), w).map { $0 + ridge * $1 }
    let expectedValue =
      margins.map { Reference.log1p(Reference.exp(-$0)) }.reduce(0, +) / Double(samples)
      + 0.5 * ridge * Reference.dot(w, w)

    let (gradient, hv) = loss.hessianVectorProduct(at: Vector(w), along: Vector(v))
    #expect(Reference.relativeError(hv.scalars, expectedHv) <= 1e-13)
    #expect(Reference.relativeError(gradient.scalars, expectedGradient) <= 1e-13)
    let (value, gradient2) = loss.valueWithGradient(at: Vector(w))
    #expect(Swift.abs(value - expectedValue) <= 1e-14 * Swift.abs(expectedValue))
    #expect(Reference.relativeError(gradient2.scalars, expectedGradient) <= 1e-13)
    let directional = loss.directionalDerivative(at: Vector(w), along: Vector(v))
    #expect(
      Swift.abs(directional - Reference.dot(expectedGradient, v)) <= 1e-13 * Reference.norm(expectedGradient)
        * Reference.norm(v))
  }

  @Test("ParametricObjective: gradient, gradientPullback and gradientJVP against closed forms")
  func parametricObjectiveSecondOrder() {
    let p = 6, q = 3, m = 9
    let aRows = Reference.randomRows(m, p, seed: 51), cRows = Reference.randomRows(p, q, seed: 52)
    let b = Reference.randomVector(m, seed: 53)
    let f = CoupledObjective(A: Reference.matrix(aRows), b: Vector(b), C: Reference.matrix(cRows))
    let x = Reference.randomVector(p, seed: 54, scale: 0.5), θ = Reference.randomVector(q, seed: 55)
    let u = Reference.randomVector(p, seed: 56), t = Reference.randomVector(q, seed: 57)

    let ex = x.map(Reference.exp), cθ = Reference.matvec(cRows, θ)
    let residual = Reference.subtract(Reference.matvec(aRows, x), b)
    let quarticSum: Double = x.map { $0 * $0 * $0 * $0 }.reduce(0, +)
    let expectedValue: Double = 0.5 * Reference.dot(residual, residual) + Reference.dot(ex, cθ) + 0.25 * quarticSum
    let atr = Reference.matvec(Reference.transpose(aRows), residual)
    let expectedGradX: [Double] = (0..<p).map { (j: Int) -> Double in
      let coupling: Double = ex[j] * cθ[j]
      let quartic: Double = x[j] * x[j] * x[j]
      return atr[j] + coupling + quartic
    }
    let expectedGradθ = Reference.matvec(Reference.transpose(cRows), ex)
    var hessian = Reference.matmul(Reference.transpose(aRows), aRows)
    for j in 0..<p { hessian[j][j] += ex[j] * cθ[j] + 3 * x[j] * x[j] }
    let cross = (0..<p).map { i in cRows[i].map { ex[i] * $0 } }  // ∂∇ₓf/∂θ, p×q

    #expect(Swift.abs(f.value(at: Vector(x), Vector(θ)) - expectedValue) <= 1e-14 * Swift.abs(expectedValue))
    #expect(Reference.relativeError(f.gradient(at: Vector(x), Vector(θ)).scalars, expectedGradX) < 1e-13)
    let all = f.valueWithGradients(at: Vector(x), Vector(θ))
    #expect(Reference.relativeError(all.x.scalars, expectedGradX) < 1e-13)
    #expect(Reference.relativeError(all.θ.scalars, expectedGradθ) < 1e-13)

    let pulled = f.gradientPullback(at: Vector(x), Vector(θ), Vector(u))
    #expect(Reference.relativeError(pulled.x.scalars, Reference.matvec(hessian, u)) < 1e-13)
    #expect(Reference.relativeError(pulled.θ.scalars, Reference.matvec(Reference.transpose(cross), u)) < 1e-13)

    let pushed = f.gradientJVP(at: Vector(x), Vector(θ), along: Vector(u), Vector(t))
    let expectedPushed = zip(Reference.matvec(hessian, u), Reference.matvec(cross, t)).map { $0 + $1 }
    #expect(Reference.relativeError(pushed.scalars, expectedPushed) < 1e-13)
  }

  @Test("dualJVP of a generic map equals central differences")
  func dualJVPMatchesFiniteDifferences() {
    let condition = CoupledCubicCondition.example()
    let θ = Reference.randomVector(3, seed: 58), x = Reference.randomVector(5, seed: 59)
    let v = Reference.randomVector(5, seed: 60)
    let exact = dualJVP(at: Vector(x), along: Vector(v)) { xd in
      CoupledCubicCondition.residual(
        xd, Vector<Dual>(converting: θ), M: Matrix<Dual>(converting: condition.M),
        N: Matrix<Dual>(converting: condition.N))
    }
    let h = 1e-5
    let plus = condition.referenceResidual(zip(x, v).map { $0 + h * $1 }, θ)
    let minus = condition.referenceResidual(zip(x, v).map { $0 - h * $1 }, θ)
    let fd = zip(plus, minus).map { ($0 - $1) / (2 * h) }
    #expect(Reference.relativeError(exact.scalars, fd) < 1e-8)
  }
}
