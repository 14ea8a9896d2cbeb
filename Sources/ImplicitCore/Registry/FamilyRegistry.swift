import Synchronization

/// A family of optimality conditions, as registered with the core.
///
/// The core knows no family: each family module builds its descriptor and registers it
/// (`FamilyRegistry.shared.register(SomeFamily.descriptor)`), and tools such as the `implicit`
/// CLI list and run whatever is registered.
///
/// One family name may be registered by several modules when each brings different methods:
/// `multiclass-svm-dual` is solved and differentiated by the mirror-descent, projected-gradient
/// and block-coordinate-descent modules, each registering its own method, none importing
/// another.
public struct ConditionFamily: Sendable {
  /// The name used in reference cases (`"family"` field), e.g. `"ridge"`.
  public var name: String
  /// One line: the problem or the condition `F(x, θ)`.
  public var formula: String
  /// When the condition's `A = ∂F/∂x` is invertible and the derivative is meaningful.
  public var assumptions: [String]
  /// The module that provides it.
  public var module: String
  /// Variants accepted in a case's `"method"` field.
  public var methods: [String]
  /// Whether this registration runs cases that name no method.
  public var acceptsNoMethod: Bool
  /// Builds the runnable instance (condition, packed parameter, solver, named outputs) of a
  /// case: what every generic tool — reference-case evaluation, the conformance kit — runs.
  public var makeInstance: @Sendable (any CaseData) throws -> any RunnableInstance

  /// A registration.
  public init(
    name: String, formula: String, assumptions: [String], module: String, methods: [String] = [],
    acceptsNoMethod: Bool = true, makeInstance: @escaping @Sendable (any CaseData) throws -> any RunnableInstance
  ) {
    self.makeInstance = makeInstance
    self.acceptsNoMethod = acceptsNoMethod
    self.name = name
    self.formula = formula
    self.assumptions = assumptions
    self.module = module
    self.methods = methods
  }
}

/// Errors of the registry.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
  /// Two modules registered the same family name and method.
  case duplicateFamily(name: String, modules: [String])
  /// A case names a family nobody registered.
  case unknownFamily(name: String, file: String, known: [String])

  public var description: String {
    switch self {
    case .duplicateFamily(let name, let modules):
      "family \"\(name)\" (same method) registered by both \(modules.joined(separator: " and "))"
    case .unknownFamily(let name, let file, let known):
      "\(file): field `family`: unknown family \"\(name)\" (registered: \(known.joined(separator: ", ")))"
    }
  }
}

/// The registry of condition families. Safe to use from concurrent code.
public final class FamilyRegistry: Sendable {
  /// The process-wide registry.
  public static let shared = FamilyRegistry()

  private let state = Mutex<[String: [ConditionFamily]]>([:])

  public init() {}

  /// Registers `family`. Registering again from the same module replaces the earlier
  /// registration (registration is idempotent); another module may register the same name
  /// only with methods of its own.
  public func register(_ family: ConditionFamily) throws {
    try state.withLock { families in
      var list = families[family.name] ?? []
      list.removeAll { $0.module == family.module }
      for other in list {
        let shared =
          !Set(other.methods).isDisjoint(with: family.methods)
          || (other.acceptsNoMethod && family.acceptsNoMethod)
        if shared { throw RegistryError.duplicateFamily(name: family.name, modules: [other.module, family.module]) }
      }
      list.append(family)
      families[family.name] = list.sorted { $0.module < $1.module }
    }
  }

  /// The registrations of family `name` (one per module), if any.
  public func registrations(named name: String) -> [ConditionFamily] { state.withLock { $0[name] ?? [] } }

  /// The registration that runs family `name` with `method` (`nil`: a case naming no method).
  public func family(named name: String, method: String? = nil) -> ConditionFamily? {
    registrations(named: name).first { method.map($0.methods.contains) ?? $0.acceptsNoMethod }
  }

  /// Every registration, sorted by family name, then module.
  public var families: [ConditionFamily] {
    state.withLock { $0.values.flatMap { $0 } }.sorted { ($0.name, $0.module) < ($1.name, $1.module) }
  }

  /// The registered family names.
  public var familyNames: [String] { state.withLock { Array($0.keys) }.sorted() }

  /// The registration that runs `data`. Throws ``RegistryError/unknownFamily(name:file:known:)``,
  /// or the data's format error for a method no module provides.
  public func family(for data: some CaseData) throws -> ConditionFamily {
    let registrations = registrations(named: data.family)
    guard !registrations.isEmpty else {
      throw RegistryError.unknownFamily(name: data.family, file: data.file, known: familyNames)
    }
    guard let family = family(named: data.family, method: data.method) else {
      let known =
        registrations.flatMap(\.methods) + (registrations.contains(where: \.acceptsNoMethod) ? ["(none)"] : [])
      throw data.formatError(
        field: "method",
        message:
          "family \"\(data.family)\" has no method \"\(data.method ?? "(none)")\" (known: \(known.joined(separator: ", ")))"
      )
    }
    return family
  }

  /// The runnable instance of `data`, built by the registration for its family and method.
  public func instance(for data: some CaseData) throws -> any RunnableInstance {
    try family(for: data).makeInstance(data)
  }
}
