public import ImplicitCore

/// The reference-case families this module provides, for the core's registry: `qp`
/// (``QuadraticProgramFamily``, methods `osqp` and `kkt-active-set`) and `equality-qp`
/// (``EqualityQuadraticProgramFamily``) and `qp-layer` (``QuadraticProgramLayerFamily``).
public enum KKTFamilies {
  /// Registers this module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try QuadraticProgramFamily.register(in: registry)
    try EqualityQuadraticProgramFamily.register(in: registry)
    try QuadraticProgramLayerFamily.register(in: registry)
  }
}
