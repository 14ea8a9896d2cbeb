public import ImplicitCore

/// The reference-case families this module provides, for the core's registry.
public enum FixedPointFamilies {
  /// Registers this module's families with `registry`: none.
  ///
  /// Why none: every reference family whose condition is a fixed point names a *specific* map
  /// (proximal gradient, projected gradient, mirror descent, block coordinate descent), and is
  /// registered by the module that owns that map. This module is the generic `T(x, θ) − x`
  /// tooling (solvers and ``ImplicitFunction/init(fixedPointOf:solver:initialGuess:options:)``)
  /// that any map can use; no reference case exercises a generic map on its own.
  public static func register(in registry: FamilyRegistry = .shared) throws {}
}
