import ImplicitCore
import _Differentiation

/// The task loss of task-driven dictionary learning: l2-regularised binary logistic regression
/// on the sparse codes, as a function of the classifier `p = [w; b]` (`k` weights and an
/// intercept) and of the codes `θ = vec(X)` (`n × k`, row by row):
///
///     L(p, X) = (1/n) Σᵢ [ softplus(zᵢ) − yᵢzᵢ ] + ½ν‖w‖²,   zᵢ = xᵢᵀw + b,  yᵢ ∈ {0, 1}
///
/// The same function fits the classifier on fixed codes (minimise over `p`) and, through its
/// gradient in `θ`, tells how each code should move to lower the loss — the cotangents that
/// implicit differentiation carries back to the dictionary.
struct LogisticTaskLoss: ParametricObjective {
  /// The labels `yᵢ ∈ {0, 1}`.
  let labels: [Double]
  /// Number of atoms `k` (coefficients per code).
  let atoms: Int
  /// `ν`, the l2 strength on the weights (not on the intercept).
  let l2Strength: Double

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S {
    let codes = Matrix<S>(reshaping: θ, rows: labels.count, columns: atoms)
    let weights = p.slice(from: 0, count: atoms)
    let scores = codes * weights + p.slice(from: atoms, count: 1).sum()
    return (scores.softplus() - Vector<S>(converting: labels) * scores).mean()
      + S(0.5 * l2Strength) * weights.squaredNorm()
  }

  /// The scores `zᵢ = xᵢᵀw + b` of the codes `X` (`n × k`) under the classifier `p`.
  func scores(_ codes: Matrix<Double>, _ p: Vector<Double>) -> [Double] {
    (codes * p.slice(from: 0, count: atoms) + p[atoms]).scalars
  }
}
