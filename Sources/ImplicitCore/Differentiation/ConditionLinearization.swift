import _Differentiation

/// The derivatives of a condition at one point `(x̂, θ)`, as linear maps (package-internal:
/// reusing them across products is an optimisation of the differentiator and the conformance kit).
///
/// Reverse-mode AD of `F` is recorded once per argument (two pullbacks, so that iterating
/// `Aᵀu` never pays for `Bᵀu`) and replayed for every product. Hand-written products of the
/// condition take precedence, and a pullback is only recorded the first time it is needed — a
/// condition that writes its own transposed products never pays for AD at all.
package struct ConditionLinearization<Condition: OptimalityCondition> {
  package typealias Solution = Condition.Solution
  package typealias Parameter = Condition.Parameter

  /// The condition.
  package let condition: Condition
  /// The point `x̂`.
  package let solution: Solution
  /// The parameter `θ`.
  package let parameter: Parameter
  /// `F(x̂, θ)`.
  package let residual: Solution
  let pullbacks: PullbackCache<Condition>

  /// Linearises `condition` at `(x, θ)` after validating shapes and finiteness.
  package init(_ condition: Condition, at x: Solution, _ θ: Parameter) throws {
    try ImplicitError.checkFinite("the solution x", x)
    try ImplicitError.checkFinite("the parameter θ", θ)
    try condition.validate(x, θ)
    let fx = condition(x, θ)
    try ImplicitError.checkDimension("F(x, θ) (must have the dimension of x)", fx.dimension, expected: x.dimension)
    try ImplicitError.checkFinite("the residual F(x, θ)", fx)
    self.condition = condition
    self.solution = x
    self.parameter = θ
    self.residual = fx
    self.pullbacks = PullbackCache(condition, x, θ)
  }

  /// `‖F(x̂, θ)‖`.
  package var residualNorm: Double { residual.norm }

  /// `Aᵀ u`.
  package func applyATransposed(_ u: Solution) -> Solution {
    if let p = condition.solutionJacobianTransposedProduct(u, at: solution, parameter) { return p }
    let r = pullbacks.x(u)
    return r.materialized(like: solution)
  }

  /// `Bᵀ u`.
  package func applyBTransposed(_ u: Solution) -> Parameter {
    if let p = condition.parameterJacobianTransposedProduct(u, at: solution, parameter) { return p }
    let r = pullbacks.θ(u)
    return r.materialized(like: parameter)
  }

  /// Whether `A v` is available exactly (hand-written, or `Aᵀ` of a symmetric `A`).
  package var hasExactSolutionProduct: Bool {
    condition.structure.contains(.symmetric)
      || condition.solutionJacobianProduct(solution.zeroLike, at: solution, parameter) != nil
  }

  /// Whether `B t` is available exactly (hand-written).
  package var hasExactParameterProduct: Bool {
    condition.parameterJacobianProduct(parameter.zeroLike, at: solution, parameter) != nil
  }

  /// `A v`: hand-written, else `Aᵀ v` when `A` is symmetric, else central differences.
  package func applyA(_ v: Solution) -> Solution {
    if let p = condition.solutionJacobianProduct(v, at: solution, parameter) { return p }
    if condition.structure.contains(.symmetric) { return applyATransposed(v) }
    return centralDifference(of: { x in condition(x, parameter) }, at: solution, along: v)
  }

  /// `B t`: hand-written, else central differences.
  package func applyB(_ t: Parameter) -> Solution {
    if let p = condition.parameterJacobianProduct(t, at: solution, parameter) { return p }
    return centralDifference(of: { θ in condition(solution, θ) }, at: parameter, along: t)
  }

  /// The operator `A` (with `Aᵀ` attached).
  package var a: LinearOperator<Solution> {
    LinearOperator(
      template: solution, structure: condition.structure, apply: applyA, applyTransposed: applyATransposed)
  }

  /// The operator `Aᵀ` (with `A` attached).
  package var aTransposed: LinearOperator<Solution> {
    LinearOperator(
      template: solution, structure: condition.structure, apply: applyATransposed, applyTransposed: applyA)
  }

  /// `A` as a dense matrix, built exactly from `dim(x)` reverse products (rows of `A`).
  package func materializedA() -> Matrix<Double> { aTransposed.materialized()._transposed() }

  /// `B` as a dense `dim(x) × dim(θ)` matrix, built exactly from `dim(x)` reverse products.
  package func materializedB() -> Matrix<Double> {
    let n = solution.dimension, p = parameter.dimension
    var b = Matrix<Double>.zeros(rows: n, columns: p)
    var e = [Double](repeating: 0, count: n)
    for i in 0..<n {
      e[i] = 1
      let row = applyBTransposed(solution.unflattened(e)).flattened
      e[i] = 0
      for j in 0..<p { b.scalars[i * p + j] = row[j] }
    }
    return b
  }
}

/// Central difference `(f(z + h d) − f(z − h d)) / 2h` with `h = ε^{1/3}·max(1, ‖z‖)/‖d‖`,
/// the step that balances truncation (O(h²)) against rounding (O(ε/h)) error. Accurate to
/// about 1e-8 relative at best: a labelled fallback, never the default for anything exact.
func centralDifference<In: InnerProductSpace, Out: InnerProductSpace>(
  of f: (In) -> Out, at z: In, along d: In
) -> Out {
  let dNorm = d.norm
  guard dNorm > 0 else { return f(z).zeroLike }
  let h = 6.0554544523933395e-06 * max(1, z.norm) / dNorm  // ε^{1/3}
  var plus = z, minus = z
  plus.addScaled(h, d)
  minus.addScaled(-h, d)
  var difference = f(plus)
  difference.addScaled(-1, f(minus))
  return difference.scaled(by: 1 / (2 * h))
}

/// The two reverse-mode pullbacks of a condition at a point, recorded on first use.
final class PullbackCache<Condition: OptimalityCondition> {
  let condition: Condition
  let solution: Condition.Solution
  let parameter: Condition.Parameter
  private var recordedX: ((Condition.Solution) -> Condition.Solution)?
  private var recordedTheta: ((Condition.Solution) -> Condition.Parameter)?

  init(_ condition: Condition, _ x: Condition.Solution, _ θ: Condition.Parameter) {
    self.condition = condition
    solution = x
    parameter = θ
  }

  /// `u ↦ Aᵀu` by reverse-mode AD.
  func x(_ u: Condition.Solution) -> Condition.Solution {
    if recordedX == nil {
      let (condition, θ) = (self.condition, parameter)
      recordedX = pullback(at: solution) { x in condition(x, θ) }
    }
    return recordedX!(u)
  }

  /// `u ↦ Bᵀu` by reverse-mode AD.
  func θ(_ u: Condition.Solution) -> Condition.Parameter {
    if recordedTheta == nil {
      let (condition, x) = (self.condition, solution)
      recordedTheta = pullback(at: parameter) { θ in condition(x, θ) }
    }
    return recordedTheta!(u)
  }
}
