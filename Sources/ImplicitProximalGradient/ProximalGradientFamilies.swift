public import ImplicitCore

/// The reference-case families this module provides, for the core's registry: `lasso`,
/// `elastic-net`, `elastic-net-jaxopt` and `sparse-lasso`, all through ``ProximalGradientCondition``.
public enum ProximalGradientFamilies {
  /// Registers this module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try LassoFamily.register(in: registry)
    try ElasticNetFamily.register(in: registry)
    try SparseLassoFamily.register(in: registry)
  }
}
