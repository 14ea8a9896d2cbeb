/// Derivatives of a root `x*(θ)` of an optimality condition, by the implicit function theorem.
///
/// With `A = ∂F/∂x` and `B = ∂F/∂θ` at `(x̂, θ)`:
/// - ``vjp(_:at:_:)`` solves `Aᵀu = v` and returns `−Bᵀu` (reverse mode, one solve per output
///   cotangent);
/// - ``jvp(_:at:_:)`` solves `A w = −B t` and returns `w` (forward mode, one solve per input
///   tangent);
/// - ``jacobian(at:_:)`` assembles `∂x*/∂θ = −A⁻¹B`, by one dense factorisation when `x` is
///   small, else by rows (VJPs) or columns (JVPs), whichever needs fewer solves.
///
/// Every result carries ``DerivativeDiagnostics``. A failed solve throws
/// ``ImplicitError/linearSolveFailed(_:)`` unless ``ImplicitOptions/onFailure`` is `.flag`.
public struct ImplicitDifferentiator<Condition: OptimalityCondition> {
  public typealias Solution = Condition.Solution
  public typealias Parameter = Condition.Parameter

  /// The optimality condition.
  public var condition: Condition
  /// Solver choice, failure policy and error-estimate settings.
  public var options: ImplicitOptions
  /// Optional preconditioner for `A` (its transpose is used for `Aᵀ`).
  public var preconditioner: Preconditioner<Solution>?

  public init(
    _ condition: Condition, options: ImplicitOptions = ImplicitOptions(),
    preconditioner: Preconditioner<Solution>? = nil
  ) {
    self.condition = condition
    self.options = options
    self.preconditioner = preconditioner
  }

  /// Linearises the condition at `(x, θ)`; reuse it for several products at one point.
  public func linearize(at x: Solution, _ θ: Parameter) throws -> ConditionLinearization<Condition> {
    try ConditionLinearization(condition, at: x, θ)
  }

  /// `vᵀ ∂x*/∂θ`: solves `Aᵀu = v` and returns `−Bᵀu`.
  public func vjp(_ v: Solution, at x: Solution, _ θ: Parameter) throws -> Derivative<Parameter> {
    try vjp(v, linearization: linearize(at: x, θ))
  }

  /// `vᵀ ∂x*/∂θ` at an existing linearisation.
  public func vjp(_ v: Solution, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Parameter> {
    let v = v.materialized(like: lin.solution)
    try ImplicitError.checkDimension(
      "the cotangent v (for a struct, implement materialized(like:))", v.dimension, expected: lin.solution.dimension)
    try ImplicitError.checkFinite("the cotangent v", v)
    let result = options.linearSolver.solve(
      lin.aTransposed, v, preconditioner: preconditioner?.transposed)
    try check(result)
    var w = lin.applyBTransposed(result.solution)
    try ImplicitError.checkDimension(
      "Bᵀu (a member returned as a symbolic zero? implement materialized(like:))", w.dimension,
      expected: lin.parameter.dimension)
    w = w.scaled(by: -1)
    let forward: ForwardProductSource =
      result.method == LinearSolverMethod.normalConjugateGradient.description
      ? (lin.hasExactSolutionProduct ? .exact : .finiteDifference) : .notUsed
    return Derivative(
      value: w,
      diagnostics: diagnostics(
        lin, [result.summary], inverseNorm: ratio(result.solution.norm, v.norm),
        jacobianNorm: ratio(w.norm, v.norm), forward: forward))
  }

  /// `∂x*/∂θ · t`: solves `A w = −B t` and returns `w`.
  public func jvp(_ t: Parameter, at x: Solution, _ θ: Parameter) throws -> Derivative<Solution> {
    try jvp(t, linearization: linearize(at: x, θ))
  }

  /// `∂x*/∂θ · t` at an existing linearisation.
  public func jvp(_ t: Parameter, linearization lin: ConditionLinearization<Condition>) throws -> Derivative<Solution> {
    let t = t.materialized(like: lin.parameter)
    try ImplicitError.checkDimension("the tangent t", t.dimension, expected: lin.parameter.dimension)
    try ImplicitError.checkFinite("the tangent t", t)
    let exact = lin.hasExactSolutionProduct && lin.hasExactParameterProduct
    let n = lin.solution.dimension
    let method = options.linearSolver.resolvedMethod(dimension: n, structure: condition.structure)
    if method.isDense
      || !lin.hasExactSolutionProduct && n <= options.denseJacobianThreshold
        && options.linearSolver.method == .automatic
    {
      // Dense: A and B from reverse products, so the result is exact whatever the condition offers.
      let a = lin.materializedA(), b = lin.materializedB()
      let rhs = b._matvec(Vector(t.flattened))._scaled(by: -1)
      let (w, summary) = try denseSolve(a, [rhs.scalars], method: method.isDense ? method : .denseLU)
      let value = lin.solution.unflattened(w[0])
      return Derivative(
        value: value,
        diagnostics: diagnostics(
          lin, [summary], inverseNorm: ratio(value.norm, rhs.norm), jacobianNorm: ratio(value.norm, t.norm),
          forward: .notUsed))
    }
    let rhs = lin.applyB(t).scaled(by: -1)
    let result = options.linearSolver.solve(lin.a, rhs, preconditioner: preconditioner)
    try check(result)
    return Derivative(
      value: result.solution,
      diagnostics: diagnostics(
        lin, [result.summary], inverseNorm: ratio(result.solution.norm, rhs.norm),
        jacobianNorm: ratio(result.solution.norm, t.norm), forward: exact ? .exact : .finiteDifference))
  }

  /// The full Jacobian `∂x*/∂θ` (`dim(x) × dim(θ)`, coordinates in `flattened` order).
  public func jacobian(at x: Solution, _ θ: Parameter) throws -> JacobianResult {
    let lin = try linearize(at: x, θ)
    let n = x.dimension, p = θ.dimension
    let solver = options.linearSolver
    let method = solver.resolvedMethod(dimension: n, structure: condition.structure)
    let dense = method.isDense || (solver.method == .automatic && n <= options.denseJacobianThreshold)
    if dense {
      let a = lin.materializedA(), b = lin.materializedB()
      let columns = (0..<p).map { c in (0..<n).map { -b.scalars[$0 * p + c] } }
      let factorMethod: LinearSolverMethod = method.isDense ? method : .denseLU
      let (solutions, summary) = try denseSolve(a, columns, method: factorMethod)
      var j = Matrix<Double>.zeros(rows: n, columns: p)
      for c in 0..<p { for r in 0..<n { j.scalars[r * p + c] = solutions[c][r] } }
      let jNorm = j.flattenedVector().norm()
      return JacobianResult(
        matrix: j,
        diagnostics: diagnostics(
          lin, [summary], inverseNorm: ratio(jNorm, b.flattenedVector().norm()), jacobianNorm: jNorm,
          forward: .notUsed, count: p),
        assembly: "dense \(factorMethod)")
    }
    // Iterative: rows (one VJP per coordinate of x) or columns (one JVP per coordinate of θ).
    let useColumns = p < n && lin.hasExactSolutionProduct && lin.hasExactParameterProduct
    var j = Matrix<Double>.zeros(rows: n, columns: p)
    var summaries = [LinearSolveSummary]()
    var worstDiagnostics: DerivativeDiagnostics?
    if useColumns {
      var e = [Double](repeating: 0, count: p)
      for c in 0..<p {
        e[c] = 1
        let d = try jvp(θ.unflattened(e), linearization: lin)
        e[c] = 0
        let column = d.value.flattened
        for r in 0..<n { j.scalars[r * p + c] = column[r] }
        summaries.append(d.diagnostics.linearSolve)
        worstDiagnostics = worse(worstDiagnostics, d.diagnostics)
      }
    } else {
      var e = [Double](repeating: 0, count: n)
      for r in 0..<n {
        e[r] = 1
        let d = try vjp(x.unflattened(e), linearization: lin)
        e[r] = 0
        let row = d.value.flattened
        for c in 0..<p { j.scalars[r * p + c] = row[c] }
        summaries.append(d.diagnostics.linearSolve)
        worstDiagnostics = worse(worstDiagnostics, d.diagnostics)
      }
    }
    var diag = worstDiagnostics ?? diagnostics(lin, [], inverseNorm: 0, jacobianNorm: 0, forward: .notUsed)
    diag.linearSolveCount = summaries.count
    return JacobianResult(matrix: j, diagnostics: diag, assembly: useColumns ? "columns (JVP)" : "rows (VJP)")
  }

  // MARK: - Helpers

  func check<V>(_ result: LinearSolveResult<V>) throws {
    if !result.isConverged && options.onFailure == .throwError {
      throw ImplicitError.linearSolveFailed(result.summary)
    }
  }

  /// Factorises `A + ridge·I` once and solves it for every right-hand side in `columns`. The
  /// status comes from the true residuals, as for iterative solves: a factorisation that ran to
  /// the end on the wrong kind of matrix (Cholesky reads one triangle only) is not a success.
  func denseSolve(
    _ a: Matrix<Double>, _ columns: [[Double]], method: LinearSolverMethod
  ) throws -> (solutions: [[Double]], summary: LinearSolveSummary) {
    let n = a.rows
    let solver = options.linearSolver
    let shifted = solver.ridge == 0 ? a : a + solver.ridge * Matrix<Double>.identity(n)
    func failure(_ status: LinearSolveStatus, _ residual: Double) throws -> ([[Double]], LinearSolveSummary) {
      let summary = LinearSolveSummary(
        method: method.description, status: status, iterations: 1, residualNorm: residual, relativeResidual: residual)
      if options.onFailure == .throwError { throw ImplicitError.linearSolveFailed(summary) }
      return (columns.map { _ in [Double](repeating: .nan, count: n) }, summary)
    }
    if method == .denseCholesky {
      let asymmetry = (shifted - shifted.transposed()).flattenedVector().scalars.map { Swift.abs($0) }.max() ?? 0
      let scale = shifted.scalars.map { Swift.abs($0) }.max() ?? 0
      if asymmetry > 1e-10 * scale { return try failure(.breakdown("Cholesky needs a symmetric matrix"), .nan) }
    }
    let factorization: DenseFactorization
    switch DenseFactorization.factorize(shifted, method: method) {
    case .failure(let e): return try failure(e.status, .nan)
    case .success(let f): factorization = f
    }
    var solutions = [[Double]]()
    var worst = 0.0
    var converged = true
    for column in columns {
      let x = factorization.solve(column)
      let b = Vector(column)
      let residual = (b - shifted._matvec(Vector(x))).norm()
      worst = max(worst, ratio(residual, b.norm()))
      converged = converged && residual.isFinite && residual <= 10 * solver.targetResidual(rightHandSideNorm: b.norm())
      solutions.append(x)
    }
    guard converged else { return try failure(.singular, worst) }
    return (
      solutions,
      LinearSolveSummary(
        method: method.description, status: .converged, iterations: 1, residualNorm: worst, relativeResidual: worst)
    )
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

/// `a / b`, or 0 when `b` is 0.
@inlinable func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
