public import ImplicitCore

/// The reference-case families this module provides, for the core's registry.
public enum StationarityFamilies {
  /// Registers this module's families with `registry`: `logistic-regression-l2`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try LogisticRegressionFamily.register(in: registry)
  }
}
