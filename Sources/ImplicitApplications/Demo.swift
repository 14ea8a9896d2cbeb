/// A runnable application of implicit differentiation (`implicit demo <name>`), whose source
/// reads as a tutorial and whose doc page lives in `docs/`.
public struct Demo: Sendable {
  /// The name given on the command line.
  public var name: String
  /// One line for `implicit demo --list`.
  public var summary: String
  /// Runs the demo, printing progress to standard output.
  public var run: @Sendable () throws -> Void

  public init(name: String, summary: String, run: @escaping @Sendable () throws -> Void) {
    self.name = name
    self.summary = summary
    self.run = run
  }
}

/// Every demo, in the order `implicit demo --list` shows them.
public enum Demos {
  public static let all: [Demo] = [
    ridgeFigureOne,
    hyperparameters,
    svmHyperparameters,
    datasetDistillation,
    dictionaryLearning,
    molecularDynamics,
    jacobianPrecision,
  ]

  /// The demo called `name`.
  public static func named(_ name: String) -> Demo? { all.first { $0.name == name } }
}

/// Thrown by a demo whose implementation has not landed yet.
public struct DemoNotAvailable: Error, CustomStringConvertible {
  public var name: String
  public var description: String { "demo \"\(name)\" is not available in this build" }
}
