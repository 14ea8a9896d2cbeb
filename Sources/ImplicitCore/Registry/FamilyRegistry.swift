import Synchronization

/// A family of optimality conditions, as registered with the core.
///
/// The core knows no family: each family module builds its descriptor and registers it
/// (`FamilyRegistry.shared.register(SomeFamily.descriptor)`), and tools such as the `implicit`
/// CLI list and run whatever is registered.
public struct ConditionFamily: Sendable {
  /// The name used in reference cases (`"family"` field), e.g. `"ridge"`.
  public var name: String
  /// One line: the problem or the condition `F(x, θ)`.
  public var formula: String
  /// When the condition's `A = ∂F/∂x` is invertible and the derivative is meaningful.
  public var assumptions: [String]
  /// The module that provides it.
  public var module: String
  /// Variants accepted in a case's `"method"` field (empty: none).
  public var methods: [String]
  /// Builds and runs an instance from a reference case: solves it and differentiates it.
  public var evaluate: @Sendable (ReferenceCase) throws -> CaseEvaluation

  public init(
    name: String, formula: String, assumptions: [String], module: String, methods: [String] = [],
    evaluate: @escaping @Sendable (ReferenceCase) throws -> CaseEvaluation
  ) {
    self.name = name
    self.formula = formula
    self.assumptions = assumptions
    self.module = module
    self.methods = methods
    self.evaluate = evaluate
  }
}

/// Errors of the registry.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Two modules registered the same family name.
  case duplicateFamily(name: String, modules: [String])
  /// A case names a family nobody registered.
  case unknownFamily(name: String, file: String, known: [String])

  public var description: String {
    switch self {
    case .duplicateFamily(let name, let modules):
      "family \"\(name)\" registered by both \(modules.joined(separator: " and "))"
    case .unknownFamily(let name, let file, let known):
      "\(file): field `family`: unknown family \"\(name)\" (registered: \(known.joined(separator: ", ")))"
    }
  }
}

/// The registry of condition families. Safe to use from concurrent code.
public final class FamilyRegistry: Sendable {
  /// The process-wide registry.
  public static let shared = FamilyRegistry()

  private let state = Mutex<[String: ConditionFamily]>([:])

  public init() {}

  /// Registers `family`. Registering the same name again from the same module replaces it
  /// (registration is idempotent); from another module it is an error.
  public func register(_ family: ConditionFamily) throws {
    try state.withLock { families in
      if let existing = families[family.name], existing.module != family.module {
        throw RegistryError.duplicateFamily(name: family.name, modules: [existing.module, family.module])
      }
      families[family.name] = family
    }
  }

  /// The family called `name`, if registered.
  public func family(named name: String) -> ConditionFamily? { state.withLock { $0[name] } }

  /// All registered families, sorted by name.
  public var families: [ConditionFamily] { state.withLock { Array($0.values) }.sorted { $0.name < $1.name } }

  /// Runs `referenceCase` with its family. Throws ``RegistryError/unknownFamily(name:file:known:)``
  /// or a ``CaseFormatError`` for an unknown method; other errors come from the family.
  public func evaluate(_ referenceCase: ReferenceCase) throws -> CaseEvaluation {
    guard let family = family(named: referenceCase.family) else {
      throw RegistryError.unknownFamily(
        name: referenceCase.family, file: referenceCase.file, known: families.map(\.name))
    }
    if let method = referenceCase.method, !family.methods.contains(method) {
      throw CaseFormatError(
        file: referenceCase.file, field: "method",
        message: "family \"\(family.name)\" has no method \"\(method)\" (known: \(family.methods.joined(separator: ", ")))")
    }
    return try family.evaluate(referenceCase)
  }
}
