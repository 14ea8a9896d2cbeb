public import ImplicitCore
import ImplicitProximal

/// The `sparse-lasso` family of reference cases: the lasso
/// `x* = argmin_x ½‖Ax − b‖² + lam·‖x‖₁` on a **sparse** design, differentiated with respect to
/// `b` and `lam` (a scalar, or one strength per column of `A`) through the proximal-gradient fixed
/// point with soft thresholding, as ``LassoFamily`` (same condition, solver and polishing; see
/// its notes on the zero-width margin and non-unique solutions).
///
/// The case gives `A` as COO triplets, `{"shape": [n, p], "rows": […], "columns": […],
/// "values": […]}` (any order, duplicated positions summed); the family builds a
/// ``SparseMatrix`` from them (an out-of-range index, a NaN or mismatched lengths are a format
/// error naming the entry) and poses the condition on ``LeastSquares`` over it: every product
/// with `A` or `Aᵀ` is a pass over the CSR arrays, never a dense copy. `A` itself is data, not a
/// parameter.
public enum SparseLassoFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "sparse-lasso",
    formula:
      "F(x, θ) = prox_{η·lam‖·‖₁}(x − ηAᵀ(Ax − b)) − x   (x* = argmin ½‖Ax − b‖² + lam‖x‖₁, A sparse, COO triplets)",
    assumptions: [
      "A_S (the columns on the support) has full column rank: the minimiser is unique",
      "strict complementarity |A_iᵀ(Ax* − b)| < lam off the support; at a zero-width margin the "
        + "one-sided Jacobian (coordinate held at 0) is returned and noted",
      "lam ≥ 0, a scalar or one entry per column of A; A is data (θ over b and lam)",
    ],
    module: "ImplicitProximalGradient",
    makeInstance: { c in
      try PenalizedLeastSquaresCase.makeSparseInstance(c, prox: LassoProximal(), proxName: "soft thresholding")
    })

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }
}
