/// A concrete problem instance of a family, built from reference-case data: the condition, the
/// parameter at which it is posed, and a solver that can be asked for different accuracies.
///
/// Families provide one through ``ConditionFamily/makeInstance`` so that generic tools — the
/// conformance kit, `implicit conformance` — can exercise any registered condition without
/// knowing its type.
public protocol RunnableInstance {
  associatedtype Condition: OptimalityCondition
  /// The optimality condition.
  var condition: Condition { get }
  /// The parameter `θ` of the instance.
  var parameter: Condition.Parameter { get }
  /// Solves the instance for `θ` to (roughly) `tolerance` in the condition's residual.
  func solve(_ θ: Condition.Parameter, tolerance: Double) throws -> Condition.Solution
}

/// A ``RunnableInstance`` from its parts.
public struct Instance<Condition: OptimalityCondition>: RunnableInstance {
  public var condition: Condition
  public var parameter: Condition.Parameter
  let solver: (Condition.Parameter, Double) throws -> Condition.Solution

  public init(
    condition: Condition, parameter: Condition.Parameter,
    solve: @escaping (_ θ: Condition.Parameter, _ tolerance: Double) throws -> Condition.Solution
  ) {
    self.condition = condition
    self.parameter = parameter
    solver = solve
  }

  public func solve(_ θ: Condition.Parameter, tolerance: Double) throws -> Condition.Solution {
    try solver(θ, tolerance)
  }
}
