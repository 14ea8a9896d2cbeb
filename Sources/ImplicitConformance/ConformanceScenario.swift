public import ImplicitCore
import _Differentiation

/// One problem instance to run through the conformance battery: a condition, the parameter at
/// which to check it, and a solver that can be asked for different accuracies.
///
/// The scenario is a value; ``ConformanceKit/run(_:)`` runs it through a fixed battery of
/// checks and reports every number it measured.
public struct ConformanceScenario<Condition: OptimalityCondition> {
  public typealias Solution = Condition.Solution
  public typealias Parameter = Condition.Parameter

  /// A label for reports.
  public var name: String
  /// The condition under test.
  public var condition: Condition
  /// The parameter `θ` at which it is checked.
  public var parameter: Parameter
  /// Solves the problem for `θ` to (roughly) the given tolerance. Used at the tight
  /// ``referenceTolerance`` for the reference solution and finite differences, and at each of
  /// ``tolerances`` for the residual and Theorem-1 checks.
  public var solve: (_ θ: Parameter, _ tolerance: Double) throws -> Solution
  /// Tolerances for the "residual shrinks" and Theorem-1 checks, loosest first.
  public var tolerances: [Double]
  /// The tolerance of reference solves.
  public var referenceTolerance: Double
  /// A differentiable run of the solver (unrolled iterations), if there is one: its Jacobian
  /// is compared with the implicit one.
  public var unrolled: (@differentiable(reverse) (Parameter) -> Solution)?
  /// Relative step of the central finite differences of re-solving.
  public var finiteDifferenceStep: Double
  /// Linear solver options for the implicit derivatives.
  public var options: ImplicitOptions
  /// Seed of the random probe vectors.
  public var seed: UInt64

  public init(
    name: String, condition: Condition, parameter: Parameter,
    tolerances: [Double] = [1e-3, 1e-4, 1e-5, 1e-6, 1e-7], referenceTolerance: Double = 1e-12,
    finiteDifferenceStep: Double = 1e-5, options: ImplicitOptions = ImplicitOptions(), seed: UInt64 = 42,
    unrolled: (@differentiable(reverse) (Parameter) -> Solution)? = nil,
    solve: @escaping (_ θ: Parameter, _ tolerance: Double) throws -> Solution
  ) {
    self.name = name
    self.condition = condition
    self.parameter = parameter
    self.solve = solve
    self.tolerances = tolerances
    self.referenceTolerance = referenceTolerance
    self.unrolled = unrolled
    self.finiteDifferenceStep = finiteDifferenceStep
    self.options = options
    self.seed = seed
  }
}

/// The outcome of one check.
public struct ConformanceCheck: Sendable, CustomStringConvertible {
  /// What was checked.
  public var name: String
  /// Whether it passed. `nil`: not applicable (the reason is in ``detail``).
  public var passed: Bool?
  /// The measured quantity (an error, a slope, …).
  public var measured: Double
  /// The bound it was held to.
  public var threshold: Double
  /// How it was measured.
  public var detail: String

  public var description: String {
    let verdict = passed.map { $0 ? "PASS" : "FAIL" } ?? "n/a "
    return "\(verdict)  \(name): \(measured) (bound \(threshold)) — \(detail)"
  }
}

/// Everything the battery measured for one scenario.
public struct ConformanceReport: Sendable, CustomStringConvertible {
  public var scenario: String
  public var checks: [ConformanceCheck]

  /// Whether no check failed.
  public var passed: Bool { !checks.contains { $0.passed == false } }
  /// The checks that failed.
  public var failures: [ConformanceCheck] { checks.filter { $0.passed == false } }
  /// The check called `name`.
  public func check(_ name: String) -> ConformanceCheck? { checks.first { $0.name == name } }

  public var description: String {
    "conformance of \(scenario): \(passed ? "PASS" : "FAIL")\n" + checks.map { "  \($0)" }.joined(separator: "\n")
  }
}
