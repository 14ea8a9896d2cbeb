/// Derivatives of a root `x*(θ)` of an optimality condition, by the implicit function theorem.
///
/// With `A = ∂F/∂x` and `B = ∂F/∂θ` at `(x̂, θ)`:
/// - ``vjp(_:at:_:)`` solves `Aᵀu = v` and returns `−Bᵀu` (reverse mode, one solve per output
///   cotangent);
/// - ``jvp(_:at:_:)`` solves `A w = −B t` and returns `w` (forward mode, one solve per input
///   tangent);
/// - ``jacobian(at:_:)`` assembles `∂x*/∂θ = −A⁻¹B`: with a dense solver (the automatic choice
///   for small `x`) from one factorisation, else by rows (VJPs) or columns (JVPs), whichever
///   needs fewer solves, all with one prepared solver.
///
/// Every result carries ``DerivativeDiagnostics``. A failed solve throws
/// ``ImplicitError/linearSolveFailed(_:)`` unless ``ImplicitOptions/onFailure`` is `.flag`.
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
    let lin = try linearize(at: x, θ)
    return try vjp(v, linearization: lin, prepared: prepare(lin))
  }

  /// `∂x*/∂θ · t`: solves `A w = −B t` and returns `w`.
  public func jvp(_ t: Parameter, at x: Solution, _ θ: Parameter) throws -> Derivative<Solution> {
    let lin = try linearize(at: x, θ)
    return try jvp(t, linearization: lin, prepared: prepare(lin))
  }

  /// `vᵀ ∂x*/∂θ` at an existing linearisation.
  package func vjp(_ v: Solution, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Parameter>
  {
    try vjp(v, linearization: lin, prepared: prepare(lin))
  }

  /// `∂x*/∂θ · t` at an existing linearisation.
  package func jvp(_ t: Parameter, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Solution>
  {
    try jvp(t, linearization: lin, prepared: prepare(lin))
  }

  /// The full Jacobian `∂x*/∂θ` (`dim(x) × dim(θ)`, coordinates in `flattened` order).
  public func jacobian(at x: Solution, _ θ: Parameter) throws -> JacobianResult {
    let lin = try linearize(at: x, θ)
    let prepared = try prepare(lin)
    let n = x.dimension, p = θ.dimension
    if prepared.products.contains(.matrix) {
      // One factorisation, one solve per column of −B (built exactly from reverse products).
      let b = lin.materializedB()
      var j = Matrix<Double>.zeros(rows: n, columns: p)
      var summaries = [LinearSolveSummary]()
      for c in 0..<p {
        let column = Vector((0..<n).map { -b.scalars[$0 * p + c] })
        let result = prepared.solver.solve(x.unflattened(column.scalars))
        try check(result)
        summaries.append(result.summary)
        let w = result.solution.flattened
        for r in 0..<n { j.scalars[r * p + c] = w[r] }
      }
      let jNorm = j.flattenedVector().norm()
      return JacobianResult(
        matrix: j,
        diagnostics: diagnostics(
          lin, summaries, inverseNorm: ratio(jNorm, b.flattenedVector().norm()), jacobianNorm: jNorm,
          forward: .notUsed, count: p),
        assembly: "dense \(prepared.solver.method)")
    }
    // Iterative: rows (one VJP per coordinate of x) or columns (one JVP per coordinate of θ).
    let useColumns = p < n && lin.hasExactSolutionProduct && lin.hasExactParameterProduct
    var j = Matrix<Double>.zeros(rows: n, columns: p)
    var count = 0
    var worstDiagnostics: DerivativeDiagnostics?
    if useColumns {
      var e = [Double](repeating: 0, count: p)
      for c in 0..<p {
        e[c] = 1
        let d = try jvp(θ.unflattened(e), linearization: lin, prepared: prepared)
        e[c] = 0
        let column = d.value.flattened
        for r in 0..<n { j.scalars[r * p + c] = column[r] }
        count += 1
        worstDiagnostics = worse(worstDiagnostics, d.diagnostics)
      }
    } else {
      var e = [Double](repeating: 0, count: n)
      for r in 0..<n {
        e[r] = 1
        let d = try vjp(x.unflattened(e), linearization: lin, prepared: prepared)
        e[r] = 0
        let row = d.value.flattened
        for c in 0..<p { j.scalars[r * p + c] = row[c] }
        count += 1
        worstDiagnostics = worse(worstDiagnostics, d.diagnostics)
      }
    }
    var diag = worstDiagnostics ?? diagnostics(lin, [], inverseNorm: 0, jacobianNorm: 0, forward: .notUsed)
    diag.linearSolveCount = count
    return JacobianResult(matrix: j, diagnostics: diag, assembly: useColumns ? "columns (JVP)" : "rows (VJP)")
  }

  // MARK: - Helpers

  /// The resolved solver prepared for `A + ridge·I`, and which products of `A` it uses.
  struct Prepared {
    var solver: PreparedLinearSolver<Solution>
    var products: OperatorProducts
  }

  /// Resolves the solver for this condition and prepares it once. A dense solver gets the
  /// matrix of `A` built exactly from reverse products, so it never relies on forward products
  /// (which may be finite differences).
  func prepare(_ lin: ConditionLinearization<Condition>) throws -> Prepared {
    let ridge = options.ridge
    guard ridge.isFinite else { throw ImplicitError.invalidArgument("ridge \(ridge) must be finite") }
    if let why = options.linearSolver.tolerance.invalidity {
      throw ImplicitError.invalidArgument("linear solver \(options.linearSolver): \(why)")
    }
    var a = lin.a
    let structure = ridge < 0 ? a.structure.subtracting(.positiveDefinite) : a.structure
    let solver = options.linearSolver.resolved(dimension: a.dimension, structure: structure)
    if solver.products.contains(.matrix) { a.matrix = lin.materializedA() }
    return Prepared(
      solver: solver.prepare(a.shifted(by: ridge), preconditioner: preconditioner), products: solver.products)
  }

  func vjp(
    _ v: Solution, linearization lin: ConditionLinearization<Condition>, prepared: Prepared
  ) throws -> Derivative<Parameter> {
    let v = v.materialized(like: lin.solution)
    try ImplicitError.checkDimension(
      "the cotangent v (for a struct, implement materialized(like:))", v.dimension, expected: lin.solution.dimension)
    try ImplicitError.checkFinite("the cotangent v", v)
    let result = prepared.solver.solveTransposed(v)
    try check(result)
    var w = lin.applyBTransposed(result.solution)
    try ImplicitError.checkDimension(
      "Bᵀu (a member returned as a symbolic zero? implement materialized(like:))", w.dimension,
      expected: lin.parameter.dimension)
    w = w.scaled(by: -1)
    // The transposed solve applies `A v` only if the solver uses transposed products.
    let forward: ForwardProductSource =
      prepared.products.contains(.transposed) ? (lin.hasExactSolutionProduct ? .exact : .finiteDifference) : .notUsed
    return Derivative(
      value: w,
      diagnostics: diagnostics(
        lin, [result.summary], inverseNorm: ratio(result.solution.norm, v.norm),
        jacobianNorm: ratio(w.norm, v.norm), forward: forward))
  }

  func jvp(
    _ t: Parameter, linearization lin: ConditionLinearization<Condition>, prepared: Prepared
  ) throws -> Derivative<Solution> {
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
    return Derivative(
      value: result.solution,
      diagnostics: diagnostics(
        lin, [result.summary], inverseNorm: ratio(result.solution.norm, rhs.norm),
        jacobianNorm: ratio(result.solution.norm, t.norm), forward: forward))
  }

  func check<V>(_ result: LinearSolveResult<V>) throws {
    if !result.isConverged && options.onFailure == .throwError {
      throw ImplicitError.linearSolveFailed(result.summary)
    }
  }

  func diagnostics(
    _ lin: ConditionLinearization<Condition>, _ solves: [LinearSolveSummary], inverseNorm: Double,
    jacobianNorm: Double, forward: ForwardProductSource, count: Int = 1
  ) -> DerivativeDiagnostics {
    let residual = lin.residualNorm
    let worst = solves.max { $0.relativeResidual < $1.relativeResidual }
    let summary =
      worst
      ?? LinearSolveSummary(method: "none", status: .converged, iterations: 0, residualNorm: 0, relativeResidual: 0)
    let reliable = solves.allSatisfy { $0.status == .converged }
    // A condition whose own products are finite differences taints every derivative, even one
    // that used no forward product.
    let forward = condition.derivativeSource == .finiteDifference ? .finiteDifference : forward
    return DerivativeDiagnostics(
      residualNorm: residual, linearSolve: summary, linearSolveCount: max(count, solves.count),
      forwardProducts: forward, inverseNormEstimate: inverseNorm,
      solutionErrorEstimate: inverseNorm * residual,
      jacobianErrorEstimate: inverseNorm * options.lipschitzConstant * (1 + jacobianNorm) * inverseNorm * residual,
      isReliable: reliable)
  }

  func worse(_ a: DerivativeDiagnostics?, _ b: DerivativeDiagnostics) -> DerivativeDiagnostics {
    guard var a else { return b }
    if b.linearSolve.relativeResidual > a.linearSolve.relativeResidual || !b.isReliable {
      a.linearSolve = b.linearSolve
    }
    a.isReliable = a.isReliable && b.isReliable
    a.inverseNormEstimate = max(a.inverseNormEstimate, b.inverseNormEstimate)
    a.solutionErrorEstimate = max(a.solutionErrorEstimate, b.solutionErrorEstimate)
    a.jacobianErrorEstimate = max(a.jacobianErrorEstimate, b.jacobianErrorEstimate)
    if b.forwardProducts == .finiteDifference { a.forwardProducts = .finiteDifference }
    return a
  }
}

extension ImplicitDifferentiator: Sendable where Condition: Sendable {}

/// `a / b`, or 0 when `b` is 0.
@inlinable func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
