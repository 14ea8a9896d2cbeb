import ImplicitCore

/// Which complementarity rows `λᵢ·gᵢ` of a KKT residual are kept as they are and which are
/// *linearised as inactive*, i.e. replaced by `λᵢ`.
///
/// Why: at a weakly active constraint (`λᵢ = 0` and `gᵢ = 0`) the row `λᵢ·gᵢ` has a zero
/// derivative in every variable, so `A = ∂F/∂z` is singular and `z*(θ)` is not differentiable
/// there (only one-sided derivatives exist). Replacing the row by `λᵢ` (still zero at the
/// solution) fixes `dλᵢ = 0` and differentiates the problem with constraint `i` removed: the
/// one-sided derivative for perturbations that make the constraint inactive. It is also the limit,
/// as `ε → 0`, of the ridge-regularised solve `(A + εI)⁻¹`, computed exactly instead.
public struct ComplementarityMask: Sendable, Hashable {
  /// Indices of the inequality constraints whose row is replaced by `λᵢ`.
  public var inactive: Set<Int>

  /// Keeps every row `λᵢ·gᵢ` (the default: strict complementarity assumed).
  public init(inactive: Set<Int> = []) { self.inactive = inactive }

  /// `(keep, drop)`: `keepᵢ = 1, dropᵢ = 0` for a kept row, the reverse for a replaced one.
  func weights(count: Int) -> (keep: Vector<Double>, drop: Vector<Double>) {
    let keep = (0..<count).map { inactive.contains($0) ? 0.0 : 1.0 }
    return (Vector(keep), Vector(keep.map { 1 - $0 }))
  }
}
