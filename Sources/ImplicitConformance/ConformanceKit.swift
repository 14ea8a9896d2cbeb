public import ImplicitCore
public import ImplicitReferenceCases
import _Differentiation

/// The battery of checks every optimality condition — shipped or third-party — must pass, run on
/// a ``RunnableInstance``: the same bundle of condition, parameter and solver a family hands the
/// registry.
///
/// ```swift
/// let instance = Instance(condition: condition, parameter: θ) { θ, tolerance in
///   try condition.solve(θ, tolerance: tolerance)
/// }
/// let report = ConformanceKit().run(instance, name: "my-condition")
/// #expect(report.passed, "\(report)")
/// ```
///
/// Every check reports what it measured and the bound it was held to. A check that does not
/// apply (no hand-written products, no ``RunnableInstance/unrolledPullback()``, no structure
/// declared) says so and is neither passed nor failed. The kit's own tests feed it deliberately
/// wrong conditions and require each to be rejected.
///
/// A condition that declares finite-difference derivatives
/// (``OptimalityCondition/derivativeSource`` `== .finiteDifference`) is held to
/// ``finiteDifferenceProductBound`` on the identities between its products (adjointness,
/// overrides, symmetry, the linearised condition): they hold to the accuracy of central
/// differences (about 1e-8 relative at best), not to rounding.
public struct ConformanceKit: Sendable {
  /// Residual accepted at the reference solution, relative to `max(1, ‖x*‖)`.
  public var residualBound: Double = 1e-6
  /// Relative bound for identities that hold exactly up to rounding (adjointness, overrides,
  /// symmetry) when the condition's derivatives are exact.
  public var exactBound: Double = 1e-9
  /// Relative bound for identities checked with finite-difference forward products.
  public var finiteDifferenceProductBound: Double = 1e-5
  /// Relative bound for agreement with finite differences of re-solving and with the unrolled solver.
  public var comparisonBound: Double = 1e-5
  /// Smallest accepted slope of log(Jacobian error) against log(residual) (Theorem 1: ≥ 1).
  public var minimumTheoremSlope: Double = 0.7
  /// Number of random probes per identity.
  public var probes: Int = 3
  /// Tolerances the instance's solver is asked for in the "residual shrinks" and Theorem-1
  /// checks, loosest first.
  public var tolerances: [Double] = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7]
  /// The tolerance of the re-solves for finite differences (and the tightest "residual shrinks" solve).
  public var referenceTolerance: Double = 1e-12
  /// Relative step of the central finite differences of re-solving.
  public var finiteDifferenceStep: Double = 1e-5
  /// Seed of the random probe vectors.
  public var seed: UInt64 = 42

  /// The kit with its default bounds.
  public init() {}

  /// Runs every check on `instance`, labelled `name` in the report. The solution checked is the
  /// instance's ``RunnableInstance/referenceSolution()``; derivatives use its
  /// ``RunnableInstance/options``.
  public func run<I: RunnableInstance>(_ instance: I, name: String) -> ConformanceReport {
    var report = ConformanceReport(name: name, checks: [])
    let θ = instance.parameter
    let x: I.Condition.Solution
    let lin: ConditionLinearization<I.Condition>
    do {
      x = try instance.referenceSolution().solution
      lin = try ConditionLinearization(instance.condition, at: x, θ)
    } catch {
      report.checks.append(
        ConformanceCheck(name: "setup", passed: false, measured: .nan, threshold: 0, detail: "\(error)"))
      return report
    }
    let differentiator = ImplicitDifferentiator(instance.condition, options: instance.options)
    var probe = Probe<I.Condition>(x: x, θ: θ, rng: SeededGenerator(seed: seed))

    report.checks.append(residualCheck(lin, x))
    report.checks.append(residualShrinks(instance))
    report.checks.append(adjointA(lin, &probe))
    report.checks.append(adjointB(lin, &probe))
    report.checks += overrideChecks(instance.condition, lin, &probe)
    report.checks.append(linearizedCondition(lin, differentiator, &probe))
    report.checks.append(finiteDifferences(instance, lin, differentiator, &probe))
    report.checks.append(unrolledComparison(instance, lin, differentiator, &probe))
    report.checks.append(theoremOne(instance, lin, differentiator, &probe))
    report.checks.append(symmetry(instance.condition, lin, &probe))
    report.checks.append(positiveDefiniteness(instance.condition, lin, &probe))
    return report
  }

  // MARK: - The checks

  func residualCheck<C: OptimalityCondition>(_ lin: ConditionLinearization<C>, _ x: C.Solution) -> ConformanceCheck {
    let bound = residualBound * max(1, x.norm)
    return ConformanceCheck(
      name: "residual", passed: lin.residualNorm <= bound, measured: lin.residualNorm, threshold: bound,
      detail: "‖F(x*, θ)‖ at the solver's reference solution")
  }

  func residualShrinks<I: RunnableInstance>(_ s: I) -> ConformanceCheck {
    var residuals = [Double]()
    for tolerance in tolerances + [referenceTolerance] {
      guard let x = try? s.solve(s.parameter, tolerance: tolerance), x.isFinite else {
        return ConformanceCheck(
          name: "residual-shrinks", passed: false, measured: .nan, threshold: 0,
          detail: "solver failed at tolerance \(tolerance)")
      }
      residuals.append(s.condition(x, s.parameter).norm)
    }
    let first = residuals.first!, last = residuals.last!
    if first <= 1e-13 {
      return ConformanceCheck(
        name: "residual-shrinks", passed: nil, measured: first, threshold: 0,
        detail: "the solver is exact at every tolerance")
    }
    return ConformanceCheck(
      name: "residual-shrinks", passed: last <= 0.1 * first, measured: last / first, threshold: 0.1,
      detail: "residual at the tightest / loosest tolerance; residuals \(residuals.map { shortFormat($0) })")
  }

  /// The bound for an identity between products that is exact for exact derivatives.
  func productBound<C: OptimalityCondition>(_ c: C) -> Double {
    c.derivativeSource == .finiteDifference ? finiteDifferenceProductBound : exactBound
  }

  /// How a forward product was obtained, for reports.
  func productOrigin<C: OptimalityCondition>(_ c: C, handWrittenOrSymmetric: Bool) -> String {
    if c.derivativeSource == .finiteDifference { return "declared finite-difference" }
    return handWrittenOrSymmetric ? "exact" : "by finite differences"
  }

  func adjointA<C: OptimalityCondition>(_ lin: ConditionLinearization<C>, _ p: inout Probe<C>) -> ConformanceCheck {
    let exact = lin.hasExactSolutionProduct
    var worst = 0.0
    for _ in 0..<probes {
      let u = p.solution(), v = p.solution()
      let av = lin.applyA(v), atu = lin.applyATransposed(u)
      worst = max(
        worst, relativeGap(u.innerProduct(with: av), atu.innerProduct(with: v), u.norm * av.norm + atu.norm * v.norm))
    }
    let bound = exact ? productBound(lin.condition) : finiteDifferenceProductBound
    return ConformanceCheck(
      name: "adjoint-A", passed: worst <= bound, measured: worst, threshold: bound,
      detail: "⟨u, A v⟩ vs ⟨Aᵀu, v⟩, \(probes) random probes "
        + "(A v \(productOrigin(lin.condition, handWrittenOrSymmetric: exact)))")
  }

  func adjointB<C: OptimalityCondition>(_ lin: ConditionLinearization<C>, _ p: inout Probe<C>) -> ConformanceCheck {
    let exact = lin.hasExactParameterProduct
    var worst = 0.0
    for _ in 0..<probes {
      let u = p.solution(), t = p.parameter()
      let bt = lin.applyB(t), btu = lin.applyBTransposed(u)
      worst = max(
        worst, relativeGap(u.innerProduct(with: bt), btu.innerProduct(with: t), u.norm * bt.norm + btu.norm * t.norm))
    }
    let bound = exact ? productBound(lin.condition) : finiteDifferenceProductBound
    return ConformanceCheck(
      name: "adjoint-B", passed: worst <= bound, measured: worst, threshold: bound,
      detail: "⟨u, B t⟩ vs ⟨Bᵀu, t⟩, \(probes) random probes "
        + "(B t \(productOrigin(lin.condition, handWrittenOrSymmetric: exact)))")
  }

  /// Hand-written products against reverse-mode AD of the residual itself.
  func overrideChecks<C: OptimalityCondition>(
    _ c: C, _ lin: ConditionLinearization<C>, _ p: inout Probe<C>
  ) -> [ConformanceCheck] {
    let x = lin.solution, θ = lin.parameter
    let pbX = pullback(at: x) { x in c(x, θ) }
    let pbθ = pullback(at: θ) { θ in c(x, θ) }
    var checks = [ConformanceCheck]()
    var worst = (a: 0.0, at: 0.0, b: 0.0, bt: 0.0)
    var present = (a: false, at: false, b: false, bt: false)
    for _ in 0..<probes {
      let u = p.solution(), v = p.solution(), t = p.parameter()
      let adAT = pbX(u), adBT = pbθ(u)
      if let av = c.solutionJacobianProduct(v, at: x, θ) {
        present.a = true
        worst.a = max(
          worst.a,
          relativeGap(u.innerProduct(with: av), adAT.innerProduct(with: v), u.norm * av.norm + adAT.norm * v.norm))
      }
      if let atu = c.solutionJacobianTransposedProduct(u, at: x, θ) {
        present.at = true
        worst.at = max(worst.at, relativeDistance(atu, adAT))
      }
      if let bt = c.parameterJacobianProduct(t, at: x, θ) {
        present.b = true
        worst.b = max(
          worst.b,
          relativeGap(u.innerProduct(with: bt), adBT.innerProduct(with: t), u.norm * bt.norm + adBT.norm * t.norm))
      }
      if let btu = c.parameterJacobianTransposedProduct(u, at: x, θ) {
        present.bt = true
        worst.bt = max(worst.bt, relativeDistance(btu, adBT))
      }
    }
    let bound = productBound(c)
    func check(_ name: String, _ isPresent: Bool, _ value: Double, _ what: String) -> ConformanceCheck {
      guard isPresent else {
        return ConformanceCheck(name: name, passed: nil, measured: 0, threshold: 0, detail: "no hand-written \(what)")
      }
      return ConformanceCheck(
        name: name, passed: value <= bound, measured: value, threshold: bound,
        detail: "hand-written \(what) vs reverse-mode AD of F"
          + (c.derivativeSource == .finiteDifference ? " (declared finite-difference derivatives)" : ""))
    }
    checks.append(check("override-A", present.a, worst.a, "A v"))
    checks.append(check("override-Aᵀ", present.at, worst.at, "Aᵀu"))
    checks.append(check("override-B", present.b, worst.b, "B t"))
    checks.append(check("override-Bᵀ", present.bt, worst.bt, "Bᵀu"))
    return checks
  }

  func linearizedCondition<C: OptimalityCondition>(
    _ lin: ConditionLinearization<C>, _ d: ImplicitDifferentiator<C>, _ p: inout Probe<C>
  ) -> ConformanceCheck {
    var worst = 0.0
    for _ in 0..<probes {
      let t = p.parameter()
      guard let w = try? d.jvp(t, linearization: lin).value else {
        return ConformanceCheck(
          name: "linearized-condition", passed: false, measured: .nan, threshold: 0, detail: "JVP failed")
      }
      var r = lin.applyA(w)
      let bt = lin.applyB(t)
      r.addScaled(1, bt)
      worst = max(worst, r.norm / max(bt.norm, 1e-300))
    }
    let exact =
      lin.hasExactSolutionProduct && lin.hasExactParameterProduct
      && lin.condition.derivativeSource != .finiteDifference
    let bound = exact ? 1e-7 : 1e-4
    return ConformanceCheck(
      name: "linearized-condition", passed: worst <= bound, measured: worst, threshold: bound,
      detail: "‖A·(∂x*/∂θ·t) + B·t‖ / ‖B·t‖")
  }

  func finiteDifferences<I: RunnableInstance>(
    _ s: I, _ lin: ConditionLinearization<I.Condition>, _ d: ImplicitDifferentiator<I.Condition>,
    _ p: inout Probe<I.Condition>
  ) -> ConformanceCheck {
    let θ = s.parameter
    let h = finiteDifferenceStep * max(1, θ.norm)
    let bound = max(comparisonBound, 10 * referenceTolerance / finiteDifferenceStep)
    var worst = 0.0
    for _ in 0..<probes {
      var t = p.parameter()
      t = t.scaled(by: 1 / t.norm)
      var plus = θ, minus = θ
      plus.addScaled(h, t)
      minus.addScaled(-h, t)
      guard let xp = try? s.solve(plus, tolerance: referenceTolerance),
        let xm = try? s.solve(minus, tolerance: referenceTolerance),
        let jt = try? d.jvp(t, linearization: lin).value
      else {
        return ConformanceCheck(
          name: "finite-differences", passed: false, measured: .nan, threshold: bound, detail: "a solve failed")
      }
      var fd = xp
      fd.addScaled(-1, xm)
      fd = fd.scaled(by: 1 / (2 * h))
      worst = max(worst, relativeDistance(jt, fd))
    }
    return ConformanceCheck(
      name: "finite-differences", passed: worst <= bound, measured: worst, threshold: bound,
      detail: "∂x*/∂θ·t vs central differences of re-solving (step \(shortFormat(h)))")
  }

  func unrolledComparison<I: RunnableInstance>(
    _ s: I, _ lin: ConditionLinearization<I.Condition>, _ d: ImplicitDifferentiator<I.Condition>,
    _ p: inout Probe<I.Condition>
  ) -> ConformanceCheck {
    guard let pb = s.unrolledPullback() else {
      return ConformanceCheck(
        name: "unrolled", passed: nil, measured: 0, threshold: 0, detail: "no differentiable unrolled solver given")
    }
    var worst = 0.0
    for _ in 0..<probes {
      let u = p.solution()
      guard let implicit = try? d.vjp(u, linearization: lin).value else {
        return ConformanceCheck(name: "unrolled", passed: false, measured: .nan, threshold: 0, detail: "VJP failed")
      }
      worst = max(worst, relativeDistance(implicit, pb(u)))
    }
    return ConformanceCheck(
      name: "unrolled", passed: worst <= comparisonBound, measured: worst, threshold: comparisonBound,
      detail: "implicit VJP vs reverse-mode AD through the unrolled solver")
  }

  func theoremOne<I: RunnableInstance>(
    _ s: I, _ lin: ConditionLinearization<I.Condition>, _ d: ImplicitDifferentiator<I.Condition>,
    _ p: inout Probe<I.Condition>
  ) -> ConformanceCheck {
    let u = p.solution()
    guard let reference = try? d.vjp(u, linearization: lin).value else {
      return ConformanceCheck(name: "theorem-1", passed: false, measured: .nan, threshold: 0, detail: "VJP failed")
    }
    var points = [(residual: Double, error: Double)]()
    for tolerance in tolerances {
      guard let x = try? s.solve(s.parameter, tolerance: tolerance),
        let approximate = try? d.vjp(u, at: x, s.parameter).value
      else { continue }
      let residual = s.condition(x, s.parameter).norm
      let error = relativeDistance(approximate, reference)
      // A solver may return the same iterate for several tolerances (Newton jumps): keep one.
      let seen = points.contains { abs($0.residual - residual) <= 1e-9 * residual }
      if residual > 0, error > 1e-13, !seen { points.append((residual, error)) }
    }
    guard points.count >= 2 else {
      return ConformanceCheck(
        name: "theorem-1", passed: nil, measured: 0, threshold: minimumTheoremSlope,
        detail: "fewer than two distinct approximate solutions with an error above the rounding floor "
          + "(A and B independent of x, or a solver that jumps straight to the solution)")
    }
    let slope = leastSquaresSlope(points.map { Foundation_log($0.residual) }, points.map { Foundation_log($0.error) })
    return ConformanceCheck(
      name: "theorem-1", passed: slope >= minimumTheoremSlope, measured: slope, threshold: minimumTheoremSlope,
      detail: "slope of log(Jacobian error) vs log(‖F(x̂, θ)‖) over \(points.count) tolerances; "
        + points.map { "(\(shortFormat($0.residual)), \(shortFormat($0.error)))" }.joined(separator: " "))
  }

  func symmetry<C: OptimalityCondition>(_ c: C, _ lin: ConditionLinearization<C>, _ p: inout Probe<C>)
    -> ConformanceCheck
  {
    guard c.structure.contains(.symmetric) else {
      return ConformanceCheck(name: "symmetry", passed: nil, measured: 0, threshold: 0, detail: "not declared")
    }
    var worst = 0.0
    for _ in 0..<probes {
      let u = p.solution(), v = p.solution()
      let atu = lin.applyATransposed(u), atv = lin.applyATransposed(v)
      worst = max(
        worst, relativeGap(atu.innerProduct(with: v), atv.innerProduct(with: u), atu.norm * v.norm + atv.norm * u.norm))
    }
    let bound = productBound(c)
    return ConformanceCheck(
      name: "symmetry", passed: worst <= bound, measured: worst, threshold: bound,
      detail: "declared symmetric: ⟨Aᵀu, v⟩ vs ⟨Aᵀv, u⟩ (reverse products only"
        + (c.derivativeSource == .finiteDifference ? ", declared finite-difference)" : ")"))
  }

  func positiveDefiniteness<C: OptimalityCondition>(
    _ c: C, _ lin: ConditionLinearization<C>, _ p: inout Probe<C>
  ) -> ConformanceCheck {
    guard c.structure.contains(.positiveDefinite) else {
      return ConformanceCheck(name: "positive-definite", passed: nil, measured: 0, threshold: 0, detail: "not declared")
    }
    if lin.solution.dimension <= 400 {
      let a = lin.materializedA()
      let symmetric = 0.5 * (a + a.transposed())
      let ok = CholeskyFactorization(symmetric) != nil
      return ConformanceCheck(
        name: "positive-definite", passed: ok, measured: ok ? 1 : 0, threshold: 1,
        detail: "declared positive definite: Cholesky of the materialised (A + Aᵀ)/2")
    }
    var smallest = Double.infinity
    for _ in 0..<(4 * probes) {
      let v = p.solution()
      smallest = min(smallest, lin.applyATransposed(v).innerProduct(with: v) / v.innerProduct(with: v))
    }
    return ConformanceCheck(
      name: "positive-definite", passed: smallest > 0, measured: smallest, threshold: 0,
      detail: "declared positive definite: smallest Rayleigh quotient over random probes")
  }
}

/// Random probe vectors shaped like the solution and the parameter.
struct Probe<C: OptimalityCondition> {
  let x: C.Solution
  let θ: C.Parameter
  var rng: SeededGenerator

  mutating func solution() -> C.Solution { x.unflattened((0..<x.dimension).map { _ in rng.normal() }) }
  mutating func parameter() -> C.Parameter { θ.unflattened((0..<θ.dimension).map { _ in rng.normal() }) }
}

func relativeGap(_ a: Double, _ b: Double, _ scale: Double) -> Double {
  let d = abs(a - b)
  return d.isNaN ? .infinity : d / max(scale, 1e-300)
}

func relativeDistance<V: InnerProductSpace>(_ a: V, _ b: V) -> Double {
  var d = a
  d.addScaled(-1, b)
  let r = d.norm / max(b.norm, 1e-300)
  return r.isNaN ? .infinity : r
}

func leastSquaresSlope(_ x: [Double], _ y: [Double]) -> Double {
  let n = Double(x.count)
  let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
  let sxy = zip(x, y).map { ($0 - mx) * ($1 - my) }.reduce(0, +)
  let sxx = x.map { ($0 - mx) * ($0 - mx) }.reduce(0, +)
  return sxx > 0 ? sxy / sxx : 0
}

func shortFormat(_ x: Double) -> String {
  // NaN and infinities have no Int exponent to round to.
  guard x.isFinite else { return "\(x)" }
  let exponent = x == 0 ? 0 : Int((Foundation_log(abs(x)) / Foundation_log(10)).rounded(.down))
  let mantissa = x / Foundation_pow10(exponent)
  return "\((mantissa * 100).rounded() / 100)e\(exponent)"
}

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

func Foundation_log(_ x: Double) -> Double { log(x) }
func Foundation_pow10(_ e: Int) -> Double { pow(10, Double(e)) }

extension ConformanceKit {
  /// Runs the battery on the instance of every case whose family is registered. Cases whose
  /// family (and method) nobody registered are reported as skipped.
  public func runRegistered(
    _ registry: FamilyRegistry, cases: [ReferenceCase]
  ) -> (reports: [ConformanceReport], skipped: [String]) {
    var reports = [ConformanceReport]()
    var skipped = [String]()
    for c in cases {
      let name = "\(c.family)\(c.method.map { "/\($0)" } ?? "") \(c.id)"
      guard let family = registry.family(named: c.family, method: c.method) else {
        skipped.append(name)
        continue
      }
      do {
        reports.append(run(try family.makeInstance(c), name: name))
      } catch {
        reports.append(
          ConformanceReport(
            name: name,
            checks: [ConformanceCheck(name: "setup", passed: false, measured: .nan, threshold: 0, detail: "\(error)")]))
      }
    }
    return (reports, skipped)
  }
}
