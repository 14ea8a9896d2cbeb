/// Derivatives of a root `x*(θ)` of an optimality condition, by the implicit function theorem.
///
/// With `A = ∂F/∂x` and `B = ∂F/∂θ` at `(x̂, θ)`:
/// - ``vjp(_:at:_:)`` solves `Aᵀu = v` and returns `−Bᵀu` (reverse mode, one solve per output
///   cotangent);
/// - ``jvp(_:at:_:)`` solves `A w = −B t` and returns `w` (forward mode, one solve per input
///   tangent);
/// - ``jacobian(at:_:)`` assembles `∂x*/∂θ = −A⁻¹B` by rows (VJPs, `dim(x)` solves) or columns
///   (JVPs, `dim(θ)` solves), whichever needs fewer, all with one prepared solver: with a dense
///   solver (the automatic choice for small `x`) from one factorisation, never materialising a
///   `B` wider than `A`.
///
/// Every result carries its certificate, ``DerivativeDiagnostics``: `‖F(x̂, θ)‖`, the linear
/// solves' status and true residual, an error bound, and the degeneracies the condition reports
/// at `x̂` (``OptimalityCondition/degeneracies(at:_:tolerance:)``). ``ImplicitOptions/policy``
/// decides whether a failed solve, a bound above the threshold or a degeneracy throws, flags the
/// result (``DerivativeDiagnostics/isReliable`` `false`) or is only recorded — the same on every path.
/// This is the one throwing API; ``ImplicitFunction`` is the differentiable one, and both read
/// the same ``ImplicitOptions``.
public struct ImplicitDifferentiator<Condition: OptimalityCondition> {
  /// The type of `x`.
  public typealias Solution = Condition.Solution
  /// The type of `θ`.
  public typealias Parameter = Condition.Parameter

  /// The optimality condition.
  public var condition: Condition
  /// Solver choice, ridge, failure policy and error-estimate settings.
  public var options: ImplicitOptions
  /// Optional preconditioner for `A` (its transpose is used for `Aᵀ`); iterative solvers use it.
  public var preconditioner: Preconditioner<Solution>?

  /// Derivatives of the roots of `condition`.
  public init(
    _ condition: Condition, options: ImplicitOptions = ImplicitOptions(),
    preconditioner: Preconditioner<Solution>? = nil
  ) {
    self.condition = condition
    self.options = options
    self.preconditioner = preconditioner
  }

  /// Linearises the condition at `(x, θ)`, for several products at one point.
  package func linearize(at x: Solution, _ θ: Parameter) throws -> ConditionLinearization<Condition> {
    try ConditionLinearization(condition, at: x, θ)
  }

  /// `vᵀ ∂x*/∂θ`: solves `Aᵀu = v` and returns `−Bᵀu`.
  public func vjp(_ v: Solution, at x: Solution, _ θ: Parameter) throws -> Derivative<Parameter> {
    try vjp(v, linearization: linearize(at: x, θ))
  }

  /// `∂x*/∂θ · t`: solves `A w = −B t` and returns `w`.
  public func jvp(_ t: Parameter, at x: Solution, _ θ: Parameter) throws -> Derivative<Solution> {
    try jvp(t, linearization: linearize(at: x, θ))
  }

  /// `vᵀ ∂x*/∂θ` at an existing linearisation.
  package func vjp(_ v: Solution, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Parameter>
  {
    let found = try degeneracies(lin)
    let prepared = try prepare(lin)
    let raw = try rawVJP(v, lin, prepared)
    let diagnostics = try certify(raw, lin, prepared, found, flat: \.flattened) { l, p in try rawVJP(v, l, p).value }
    return Derivative(value: raw.value, diagnostics: diagnostics)
  }

  /// `∂x*/∂θ · t` at an existing linearisation.
  package func jvp(_ t: Parameter, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Solution>
  {
    let found = try degeneracies(lin)
    let prepared = try prepare(lin)
    let raw = try rawJVP(t, lin, prepared)
    let diagnostics = try certify(raw, lin, prepared, found, flat: \.flattened) { l, p in try rawJVP(t, l, p).value }
    return Derivative(value: raw.value, diagnostics: diagnostics)
  }

  /// The full Jacobian `∂x*/∂θ` (`dim(x) × dim(θ)`, coordinates in `flattened` order).
  public func jacobian(at x: Solution, _ θ: Parameter) throws -> JacobianResult {
    let lin = try linearize(at: x, θ)
    let found = try degeneracies(lin)
    let prepared = try prepare(lin, rightHandSides: min(x.dimension, θ.dimension))
    let raw = try rawJacobian(lin, prepared)
    let diagnostics = try certify(raw, lin, prepared, found, flat: \.scalars) { l, p in try rawJacobian(l, p).value }
    return JacobianResult(matrix: raw.value, diagnostics: diagnostics, assembly: raw.assembly)
  }

  // MARK: - Raw derivatives (no certificate)

  /// A derivative before its certificate: the value, its solves, and what the solves tell.
  struct Raw<Value> {
    var value: Value
    var solves: [LinearSolveSummary]
    /// Largest `‖solution‖ / ‖right-hand side‖` of the solves (a lower bound on `‖A⁻¹‖`).
    var inverseNorm: Double
    /// The error the inexact solves can cause in the value (`‖A⁻¹‖·‖residual‖`, propagated).
    var solveError: Double
    /// `‖derivative‖ / ‖input‖`, the size of the Jacobian along this input.
    var jacobianNorm: Double
    /// `‖v‖`, `‖t‖`, or 1 for a whole Jacobian.
    var inputNorm: Double
    var forward: ForwardProductSource
    var count: Int
    var assembly = ""
  }

  /// `checked: false` leaves a failed solve to the caller (its status is in `solves`).
  func rawVJP(
    _ v: Solution, _ lin: ConditionLinearization<Condition>, _ prepared: Prepared, checked: Bool = true
  ) throws -> Raw<Parameter> {
    let v = v.materialized(like: lin.solution)
    try ImplicitError.checkDimension(
      "the cotangent v (for a struct, implement materialized(like:))", v.dimension, expected: lin.solution.dimension)
    try ImplicitError.checkFinite("the cotangent v", v)
    let result = prepared.solver.solveTransposed(v)
    if checked { try check(result) }
    var w = lin.applyBTransposed(result.solution)
    try ImplicitError.checkDimension(
      "Bᵀu (a member returned as a symbolic zero? implement materialized(like:))", w.dimension,
      expected: lin.parameter.dimension)
    w = w.scaled(by: -1)
    // The transposed solve applies `A v` only if the solver uses transposed products.
    let forward: ForwardProductSource =
      prepared.products.contains(.transposed) ? (lin.hasExactSolutionProduct ? .exact : .finiteDifference) : .notUsed
    let σ = ratio(result.solution.norm, v.norm)
    // δu = A⁻ᵀr, so δw = Bᵀδu, with ‖Bᵀ‖ ≳ ‖w‖/‖u‖.
    let solveError = σ * result.residualNorm * ratio(w.norm, result.solution.norm)
    return Raw(
      value: w, solves: [result.summary], inverseNorm: σ, solveError: solveError, jacobianNorm: ratio(w.norm, v.norm),
      inputNorm: v.norm, forward: forward, count: 1)
  }

  func rawJVP(_ t: Parameter, _ lin: ConditionLinearization<Condition>, _ prepared: Prepared) throws -> Raw<Solution> {
    let t = t.materialized(like: lin.parameter)
    try ImplicitError.checkDimension("the tangent t", t.dimension, expected: lin.parameter.dimension)
    try ImplicitError.checkFinite("the tangent t", t)
    let rhs: Solution
    let forward: ForwardProductSource
    if prepared.products.contains(.matrix) {
      // Dense: B from reverse products, so the result is exact whatever the condition offers.
      rhs = lin.solution.unflattened(lin.materializedB()._matvec(Vector(t.flattened))._scaled(by: -1).scalars)
      forward = .notUsed
    } else {
      rhs = lin.applyB(t).scaled(by: -1)
      forward = lin.hasExactSolutionProduct && lin.hasExactParameterProduct ? .exact : .finiteDifference
    }
    let result = prepared.solver.solve(rhs)
    try check(result)
    let σ = ratio(result.solution.norm, rhs.norm)
    return Raw(
      value: result.solution, solves: [result.summary], inverseNorm: σ, solveError: σ * result.residualNorm,
      jacobianNorm: ratio(result.solution.norm, t.norm), inputNorm: t.norm, forward: forward, count: 1)
  }

  /// The Jacobian by the smaller side: `dim(θ)` columns (`A w = −B eⱼ`) or `dim(x)` rows
  /// (`Aᵀu = eᵢ`, row `−Bᵀu`), whichever takes fewer solves, all with the one prepared solver.
  /// `B` is materialised only for dense columns, where it is no larger than `A`.
  func rawJacobian(_ lin: ConditionLinearization<Condition>, _ prepared: Prepared) throws -> Raw<Matrix<Double>> {
    let n = lin.solution.dimension, p = lin.parameter.dimension
    if prepared.products.contains(.matrix) {
      // A singular A kept invertible by a ridge still solves the consistent systems A w = −B eⱼ
      // but not Aᵀu = eᵢ: then by columns, as for a narrow θ.
      if p > n, let rows = try productJacobian(lin, prepared, byColumns: false, stopOnFailedSolve: true) {
        return rows
      }
      return try denseColumns(lin, prepared)
    }
    let byColumns = p < n && lin.hasExactSolutionProduct && lin.hasExactParameterProduct
    return try productJacobian(lin, prepared, byColumns: byColumns, stopOnFailedSolve: false)!
  }

  /// One factorisation, one solve per column of −B (built exactly from reverse products).
  func denseColumns(_ lin: ConditionLinearization<Condition>, _ prepared: Prepared) throws -> Raw<Matrix<Double>> {
    let x = lin.solution
    let n = x.dimension, p = lin.parameter.dimension
    var j = Matrix<Double>.zeros(rows: n, columns: p)
    let b = lin.materializedB()
    var summaries = [LinearSolveSummary]()
    var residuals = [Double]()
    for c in 0..<p {
      let column = Vector((0..<n).map { -b.scalars[$0 * p + c] })
      let result = prepared.solver.solve(x.unflattened(column.scalars))
      try check(result)
      summaries.append(result.summary)
      residuals.append(result.residualNorm)
      let w = result.solution.flattened
      for r in 0..<n { j.scalars[r * p + c] = w[r] }
    }
    let jNorm = j.flattenedVector().norm()
    let σ = ratio(jNorm, b.flattenedVector().norm())
    return Raw(
      value: j, solves: summaries, inverseNorm: σ, solveError: σ * Vector(residuals).norm(), jacobianNorm: jNorm,
      inputNorm: 1, forward: .notUsed, count: p, assembly: "dense \(prepared.solver.method) by columns")
  }

  /// The Jacobian from one JVP per coordinate of θ (columns) or one VJP per coordinate of x
  /// (rows); `nil` when `stopOnFailedSolve` and a solve did not converge.
  func productJacobian(
    _ lin: ConditionLinearization<Condition>, _ prepared: Prepared, byColumns: Bool, stopOnFailedSolve: Bool
  ) throws -> Raw<Matrix<Double>>? {
    let x = lin.solution, θ = lin.parameter
    let n = x.dimension, p = θ.dimension
    let dense = prepared.products.contains(.matrix)
    var j = Matrix<Double>.zeros(rows: n, columns: p)
    var summaries = [LinearSolveSummary]()
    var σ = 0.0, solveErrors = [Double](), forward = ForwardProductSource.notUsed
    func record<V>(_ d: Raw<V>) {
      summaries += d.solves
      σ = max(σ, d.inverseNorm)
      solveErrors.append(d.solveError)
      if d.forward != .notUsed && forward != .finiteDifference { forward = d.forward }
    }
    if byColumns {
      var e = [Double](repeating: 0, count: p)
      for c in 0..<p {
        e[c] = 1
        let d = try rawJVP(θ.unflattened(e), lin, prepared)
        e[c] = 0
        let column = d.value.flattened
        for r in 0..<n { j.scalars[r * p + c] = column[r] }
        record(d)
      }
    } else {
      var e = [Double](repeating: 0, count: n)
      let complete = try j.scalars.withUnsafeMutableBufferPointer { out in
        for r in 0..<n {
          e[r] = 1
          let d = try rawVJP(x.unflattened(e), lin, prepared, checked: !stopOnFailedSolve)
          e[r] = 0
          if stopOnFailedSolve && !d.solves.allSatisfy({ $0.status == .converged }) { return false }
          let row = d.value.flattened
          for c in 0..<p { out[r * p + c] = row[c] }
          record(d)
        }
        return true
      }
      if !complete { return nil }
    }
    let assembly = dense ? "dense \(prepared.solver.method) by rows" : byColumns ? "columns (JVP)" : "rows (VJP)"
    return Raw(
      value: j, solves: summaries, inverseNorm: σ, solveError: Vector(solveErrors).norm(),
      jacobianNorm: j.flattenedVector().norm(), inputNorm: 1, forward: forward, count: summaries.count,
      assembly: assembly)
  }

  // MARK: - Helpers

  /// The resolved solver prepared for `A + ridge·I`, and which products of `A` it uses.
  struct Prepared {
    var solver: PreparedLinearSolver<Solution>
    var products: OperatorProducts
    /// The solver returns a chosen solution of a singular system on purpose (see
    /// ``LinearSolver/acceptsSingularSystems``).
    var acceptsSingular: Bool
  }

  /// Resolves the solver for this condition and prepares it once. A dense solver gets the
  /// matrix of `A` built exactly from reverse products, so it never relies on forward products
  /// (which may be finite differences).
  func prepare(_ lin: ConditionLinearization<Condition>, rightHandSides: Int = 1) throws -> Prepared {
    let ridge = options.ridge
    guard ridge.isFinite else { throw ImplicitError.invalidArgument("ridge \(ridge) must be finite") }
    if let why = options.linearSolver.tolerance.invalidity {
      throw ImplicitError.invalidArgument("linear solver \(options.linearSolver): \(why)")
    }
    let threshold = options.policy.relativeErrorThreshold
    guard threshold >= 0 else {  // also refuses NaN
      throw ImplicitError.invalidArgument("policy.relativeErrorThreshold \(threshold) must be ≥ 0")
    }
    var a = lin.a
    let structure = ridge < 0 ? a.structure.subtracting(.positiveDefinite) : a.structure
    // The certificate's probe and first Newton step solve with the same prepared solver.
    let solves = rightHandSides + (options.policy.certificate == .refined ? 2 : 0)
    if options.reformulation == .automatic, ridge == 0, preconditioner == nil, !structure.contains(.symmetric),
      let reformulation = condition.symmetricReformulation(at: lin.solution, lin.parameter)
    {
      // Everything downstream sees a solver for A; only the solves go through S.
      let s = reformulation.symmetricOperator
      let solver = options.linearSolver.resolved(
        dimension: s.dimension, structure: .symmetricPositiveDefinite, rightHandSides: solves)
      // A solver chosen for its solution of a singular system (minimum norm) means that solution of A.
      if !solver.acceptsSingularSystems {
        let inner = solver.prepare(s, preconditioner: nil)
        return Prepared(
          solver: reformulation.prepared(for: a, inner: inner, tolerance: solver.tolerance),
          products: solver.products.subtracting(.transposed), acceptsSingular: false)
      }
    }
    let solver = options.linearSolver.resolved(dimension: a.dimension, structure: structure, rightHandSides: solves)
    if solver.products.contains(.matrix) { a.matrix = lin.materializedA() }
    return Prepared(
      solver: solver.prepare(a.shifted(by: ridge), preconditioner: preconditioner), products: solver.products,
      acceptsSingular: solver.acceptsSingularSystems)
  }

  /// The condition's degeneracies at the linearisation point; throws when the policy says so.
  func degeneracies(_ lin: ConditionLinearization<Condition>) throws -> [Degeneracy] {
    let tolerance = options.policy.degeneracyTolerance
    guard tolerance >= 0 else {
      throw ImplicitError.invalidArgument("policy.degeneracyTolerance \(tolerance) must be ≥ 0")
    }
    let found = condition.degeneracies(at: lin.solution, lin.parameter, tolerance: tolerance)
    if !found.isEmpty && options.policy.degeneracy == .throwError { throw ImplicitError.degenerate(found) }
    return found
  }

  func check<V>(_ result: LinearSolveResult<V>) throws {
    if !result.isConverged && options.policy.linearSolveFailure == .throwError {
      throw ImplicitError.linearSolveFailed(result.summary)
    }
  }

  /// A Newton-refined point `x̃` near `x̂`, linearised and prepared, or only the first step's length.
  struct Refinement {
    /// `‖x̂ − x̃‖` (after the first step only, when no step was accepted).
    var distance: Double
    /// `‖A⁻¹F‖ / ‖F‖` of the first step.
    var inverseNorm: Double
    /// The refined point, when a step lowered `‖F‖` and the step was not negligible.
    var point: (linearization: ConditionLinearization<Condition>, prepared: Prepared)?
  }

  /// Up to three Newton steps `x ← x − A(x)⁻¹F(x, θ)` from `x̂`, kept while `‖F‖` falls.
  func refine(_ lin: ConditionLinearization<Condition>, _ prepared: Prepared) -> Refinement? {
    let r0 = lin.residualNorm
    guard r0 > 0 else { return Refinement(distance: 0, inverseNorm: 0, point: nil) }
    var current = lin, currentPrepared = prepared
    var accepted = false
    var first: (distance: Double, inverseNorm: Double)?
    for step in 0..<3 {
      let rn = current.residualNorm
      let solve = currentPrepared.solver.solve(current.residual)
      guard solve.isConverged, solve.solution.isFinite else { break }
      if step == 0 {
        first = (solve.solution.norm, solve.solution.norm / rn)
        // At rounding level a derivative at x̃ would differ only by noise: not worth a second one.
        if solve.solution.norm <= 1e-13 * max(1, lin.solution.norm) {
          return Refinement(distance: solve.solution.norm, inverseNorm: solve.solution.norm / rn, point: nil)
        }
      }
      var next = current.solution
      next.addScaled(-1, solve.solution)
      guard let nextLin = try? ConditionLinearization(condition, at: next, lin.parameter), nextLin.residualNorm < rn,
        let nextPrepared = try? prepare(nextLin)
      else { break }
      current = nextLin
      currentPrepared = nextPrepared
      accepted = true
      if nextLin.residualNorm <= 1e-8 * r0 { break }
    }
    guard let first else { return nil }
    guard accepted else { return Refinement(distance: first.distance, inverseNorm: first.inverseNorm, point: nil) }
    var d = current.solution
    d.addScaled(-1, lin.solution)
    return Refinement(distance: d.norm, inverseNorm: first.inverseNorm, point: (current, currentPrepared))
  }

  /// The certificate of a raw derivative (see ``DerivativeDiagnostics``), with the policy applied.
  func certify<Value>(
    _ raw: Raw<Value>, _ lin: ConditionLinearization<Condition>, _ prepared: Prepared, _ found: [Degeneracy],
    flat: (Value) -> [Double], recompute: (ConditionLinearization<Condition>, Prepared) throws -> Value
  ) throws -> DerivativeDiagnostics {
    let policy = options.policy
    let solvesConverged = raw.solves.allSatisfy { $0.status == .converged }
    let values = flat(raw.value)
    let norm = Vector(values).norm()
    var inverseNorm = raw.inverseNorm
    var solutionError = inverseNorm * lin.residualNorm
    var bound: Double?
    var probeFailure: LinearSolveSummary?
    let refined = policy.certificate == .refined
    if refined && solvesConverged && !prepared.acceptsSingular {
      // A right-hand side in the range of a singular `A` solves fine (CG and QR converge to one of
      // many solutions): a random right-hand side is not in the range, so its solve tells. Only
      // singularity is asked of it, so a residual of 1e-6 relative passes whatever the tolerance.
      var rng = SeededGenerator(seed: 0x1D1FF)
      let z = lin.solution.unflattened(rng.normalVector(lin.solution.dimension).scalars)
      let probe = prepared.solver.solve(z)
      inverseNorm = max(inverseNorm, ratio(probe.solution.norm, z.norm))
      let accepted = max(1e-6, 10 * prepared.solver.tolerance.relative)
      if !(probe.solution.isFinite && probe.relativeResidual <= accepted) {
        var summary = probe.summary
        summary.method += " (‖A⁻¹‖ probe on a random right-hand side: A is singular or too ill-conditioned)"
        if policy.linearSolveFailure == .throwError { throw ImplicitError.linearSolveFailed(summary) }
        probeFailure = summary
      }
    }
    if refined && solvesConverged && probeFailure == nil, let refinement = refine(lin, prepared) {
      inverseNorm = max(inverseNorm, refinement.inverseNorm)
      solutionError = refinement.distance
      if let (refinedLin, refinedPrepared) = refinement.point, let again = try? recompute(refinedLin, refinedPrepared) {
        // The derivative's finite difference along the solution error, with a factor 2 for
        // the part of the error the refined point still carries.
        let other = flat(again)
        let difference = zip(values, other).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
        bound = 2 * difference + raw.solveError
      }
    }
    // Theorem 1 with C = ‖A⁻¹‖(1 + ‖J‖) when no refined derivative is available.
    let fallback = inverseNorm * (1 + raw.jacobianNorm) * solutionError * raw.inputNorm + raw.solveError
    let summary =
      raw.solves.first { $0.status != .converged }
      ?? raw.solves.max { !($0.relativeResidual >= $1.relativeResidual) }
      ?? LinearSolveSummary(method: "none", status: .converged, iterations: 0, residualNorm: 0, relativeResidual: 0)
    // A condition whose own products are finite differences taints every derivative, even one
    // that used no forward product.
    let forward = condition.derivativeSource == .finiteDifference ? .finiteDifference : raw.forward
    var diagnostics = DerivativeDiagnostics(
      residualNorm: lin.residualNorm, linearSolve: summary, linearSolveCount: max(raw.count, raw.solves.count),
      forwardProducts: forward, inverseNormEstimate: inverseNorm, solutionErrorEstimate: solutionError,
      jacobianErrorEstimate: bound ?? fallback, derivativeNorm: norm, degeneracies: found,
      failedSingularityProbe: probeFailure, isReliable: true)
    var reliable = true
    if (!solvesConverged || probeFailure != nil) && policy.linearSolveFailure != .ignore { reliable = false }
    if !found.isEmpty && policy.degeneracy != .ignore { reliable = false }
    if !(diagnostics.relativeErrorEstimate <= policy.relativeErrorThreshold) {
      switch policy.inaccuracy {
      case .ignore: break
      case .flag: reliable = false
      case .throwError:
        diagnostics.isReliable = false
        throw ImplicitError.inaccurateDerivative(diagnostics)
      }
    }
    diagnostics.isReliable = reliable
    return diagnostics
  }
}

extension ImplicitDifferentiator: Sendable where Condition: Sendable {}

/// `a / b`, or 0 when `b` is 0.
@inlinable func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
