import ImplicitBlockCoordinateDescent
public import ImplicitCore
import ImplicitFixedPoint
import ImplicitKKT
import ImplicitMirrorDescent
import ImplicitProjectedGradient
import ImplicitProximalGradient
import ImplicitRidge
import ImplicitStationarity

/// Every condition family this package ships, for tools that want them all (the `implicit` CLI,
/// the catalogue and conformance tests). Applications pick the modules they need instead.
public enum AllFamilies {
  /// Registers every shipped family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    try RidgeFamily.register(in: registry)
    try StationarityFamilies.register(in: registry)
    try KKTFamilies.register(in: registry)
    try ProximalGradientFamilies.register(in: registry)
    try ProjectedGradientFamilies.register(in: registry)
    try MirrorDescentFamilies.register(in: registry)
    try BlockCoordinateDescentFamilies.register(in: registry)
    try FixedPointFamilies.register(in: registry)
  }
}
