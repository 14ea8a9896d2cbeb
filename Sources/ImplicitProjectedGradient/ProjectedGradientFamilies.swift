public import ImplicitCore

/// The reference-case families this module provides, for the core's registry:
/// `nonnegative-least-squares`, `simplex-least-squares`, `box-qp` (solved by accelerated
/// projected gradient, differentiated through ``ProximalGradientCondition`` with ``ProjectionProximal``),
/// `multiclass-svm-dual` with method `projected-gradient`, and the projections themselves
/// with their closed-form Jacobians: `projection-simplex` (default and `bisection`),
/// `projection-l1-ball`, `projection-l2-ball`, `projection-box`.
public enum ProjectedGradientFamilies {
  /// Every descriptor registered by ``register(in:)``.
  public static var descriptors: [ConditionFamily] {
    [
      ConstrainedProblemFamilies.nonnegativeLeastSquares,
      ConstrainedProblemFamilies.simplexLeastSquares,
      ConstrainedProblemFamilies.boxQP,
      MulticlassSVMProjectedGradientFamily.descriptor,
      ProjectionFamilies.simplex,
      ProjectionFamilies.l1Ball,
      ProjectionFamilies.l2Ball,
      ProjectionFamilies.box,
    ]
  }

  /// Registers this module's families with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws {
    for descriptor in descriptors { try registry.register(descriptor) }
  }
}
