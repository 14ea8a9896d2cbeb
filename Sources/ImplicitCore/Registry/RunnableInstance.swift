import _Differentiation

/// A concrete problem instance: the condition, the parameter at which it is posed, a solver that
/// can be asked for different accuracies, and the named outputs it reports — the one bundle of
/// "condition + θ + solver" that every generic tool runs.
///
/// Families build one from case data (``CaseData``) and hand it to the registry through
/// ``ConditionFamily/makeInstance``; a plugin author's tests build one (``Instance``) and give it
/// to the conformance kit. Generic tools run it: the reference-case evaluator (solve → implicit
/// Jacobian → outputs) and the conformance kit (residuals, adjointness, finite differences,
/// Theorem 1, and the unrolled solver when there is one).
public protocol RunnableInstance {
  /// The type of the condition.
  associatedtype Condition: OptimalityCondition
  /// The optimality condition.
  var condition: Condition { get }
  /// The parameter `θ` of the instance.
  var parameter: Condition.Parameter { get }
  /// Options of the implicit derivatives taken at this instance (by the default ``jacobian(at:)``
  /// and by the conformance kit). Default: `ImplicitOptions()`.
  var options: ImplicitOptions { get }
  /// The pullback at ``parameter`` of a differentiable run of the solver (unrolled iterations),
  /// if there is one: the conformance kit compares it with the implicit derivative. Default: `nil`.
  /// (A method, not a stored `@differentiable` closure requirement: the latter crashes Swift 6.3's IRGen.)
  func unrolledPullback() -> ((Condition.Solution) -> Condition.Parameter)?
  /// Solves the instance for `θ` to (roughly) `tolerance` in the condition's residual.
  func solve(_ θ: Condition.Parameter, tolerance: Double) throws -> Condition.Solution
  /// The most accurate solution at ``parameter`` the family can give (tight solve, polishing,
  /// acceptance checks), with notes for reports.
  func referenceSolution() throws -> (solution: Condition.Solution, notes: [String])
  /// `∂x*/∂θ` at `x` (`dim(x) × dim(θ)`), with notes. Default: ``ImplicitDifferentiator``.
  func jacobian(at x: Condition.Solution) throws -> (matrix: Matrix<Double>, notes: [String])
  /// The named outputs at the solution `x` (and ``parameter``).
  func outputs(at x: Condition.Solution) throws -> [InstanceOutput<Condition.Solution, Condition.Parameter>]
}

extension RunnableInstance {
  public var options: ImplicitOptions { ImplicitOptions() }
  public func unrolledPullback() -> ((Condition.Solution) -> Condition.Parameter)? { nil }

  public func jacobian(at x: Condition.Solution) throws -> (matrix: Matrix<Double>, notes: [String]) {
    let j = try ImplicitDifferentiator(condition, options: options).jacobian(at: x, parameter)
    return (j.matrix, ["implicit: \(j.assembly); \(j.diagnostics)"])
  }
}

/// One named output `g(x, θ)` of an instance at its solution: its value and its derivative, a
/// linear map of the tangents `(ẋ, θ̇)`. The evaluator chains it with `∂x*/∂θ`:
/// `dg/dθ · t = g′(ẋ = (∂x*/∂θ)t, θ̇ = t)`.
public struct InstanceOutput<Solution: InnerProductSpace, Parameter: InnerProductSpace> {
  /// The output's name.
  public var name: String
  /// Its value, flattened.
  public var value: [Double]
  /// Its shape (`[]` for a scalar), when it is not the flat `[value.count]`: a checker compares
  /// it with the shape a case expects.
  public var shape: [Int]?
  /// `(ẋ, θ̇) ↦ ġ`, flattened like ``value``.
  public var derivative: (_ ẋ: Solution, _ θ̇: Parameter) -> [Double]

  /// An output from its value and derivative.
  public init(
    name: String, value: [Double], shape: [Int]? = nil,
    derivative: @escaping (_ ẋ: Solution, _ θ̇: Parameter) -> [Double]
  ) {
    self.name = name
    self.value = value
    self.shape = shape
    self.derivative = derivative
  }

  /// The solution `x` itself (`shape`: how a flat solution is laid out, say `[n, k]`; a
  /// matrix solution has its own shape).
  public static func solution(_ name: String, _ x: Solution, shape: [Int]? = nil) -> Self {
    let natural = shape ?? (x as? Matrix<Double>).map { [$0.rows, $0.columns] }
    return Self(name: name, value: x.flattened, shape: natural) { ẋ, _ in ẋ.flattened }
  }

  /// Coordinates `range` of the flattened solution (say the multipliers of a primal–dual `x`).
  public static func solution(_ name: String, _ x: Solution, coordinates range: Range<Int>) -> Self {
    Self(name: name, value: Array(x.flattened[range])) { ẋ, _ in Array(ẋ.flattened[range]) }
  }
}

/// A ``RunnableInstance`` from its parts.
public struct Instance<Condition: OptimalityCondition>: RunnableInstance {
  /// A named output of this instance.
  public typealias Output = InstanceOutput<Condition.Solution, Condition.Parameter>
  /// The optimality condition.
  public var condition: Condition
  /// The parameter `θ` of the instance.
  public var parameter: Condition.Parameter
  /// Options of the implicit derivatives taken at this instance.
  public var options: ImplicitOptions
  /// A differentiable run of the solver (unrolled iterations), if there is one.
  public var unrolled: (@differentiable(reverse) (Condition.Parameter) -> Condition.Solution)?
  let solver: (Condition.Parameter, Double) throws -> Condition.Solution
  let reference: () throws -> (solution: Condition.Solution, notes: [String])
  let differentiate: ((Condition.Solution) throws -> (matrix: Matrix<Double>, notes: [String]))?
  let namedOutputs: (Condition.Solution) throws -> [Output]

  /// An instance. `reference` defaults to `solve(parameter, 1e-12)`; `jacobian` to
  /// ``ImplicitDifferentiator`` with `options`; `outputs` to the solution named `"x"`; `unrolled`
  /// (a differentiable run of the solver, for the conformance kit) to none.
  public init(
    condition: Condition, parameter: Condition.Parameter, options: ImplicitOptions = ImplicitOptions(),
    unrolled: (@differentiable(reverse) (Condition.Parameter) -> Condition.Solution)? = nil,
    reference: (() throws -> (solution: Condition.Solution, notes: [String]))? = nil,
    jacobian: ((Condition.Solution) throws -> (matrix: Matrix<Double>, notes: [String]))? = nil,
    outputs: ((Condition.Solution) throws -> [Output])? = nil,
    solve: @escaping (_ θ: Condition.Parameter, _ tolerance: Double) throws -> Condition.Solution
  ) {
    self.condition = condition
    self.parameter = parameter
    self.options = options
    self.unrolled = unrolled
    solver = solve
    self.reference = reference ?? { (try solve(parameter, 1e-12), []) }
    differentiate = jacobian
    namedOutputs = outputs ?? { [.solution("x", $0)] }
  }

  public func solve(_ θ: Condition.Parameter, tolerance: Double) throws -> Condition.Solution {
    try solver(θ, tolerance)
  }

  public func referenceSolution() throws -> (solution: Condition.Solution, notes: [String]) { try reference() }

  public func jacobian(at x: Condition.Solution) throws -> (matrix: Matrix<Double>, notes: [String]) {
    if let differentiate { return try differentiate(x) }
    let j = try ImplicitDifferentiator(condition, options: options).jacobian(at: x, parameter)
    return (j.matrix, ["implicit: \(j.assembly); \(j.diagnostics)"])
  }

  public func outputs(at x: Condition.Solution) throws -> [Output] { try namedOutputs(x) }

  public func unrolledPullback() -> ((Condition.Solution) -> Condition.Parameter)? {
    unrolled.map { pullback(at: parameter, of: $0) }
  }
}
