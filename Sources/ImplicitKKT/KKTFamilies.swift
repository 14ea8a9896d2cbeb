public import ImplicitCore

/// The reference-case families this module provides, for the core's registry.
public enum KKTFamilies {
  /// Registers this module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {}
}
