import ImplicitCore
import _Differentiation

/// The simplex threshold condition (`SimplexThresholdCondition`) with the case's
/// differentiated inputs (`z`, `simplex_value`) packed into one vector:
/// `F(τ, p) = Σ relu(z(p) − τ) − s(p)`.
struct PackedSimplexThresholdCondition: OptimalityCondition {
  let z: Vector<Double>
  let simplexValue: Double
  let reader: PackedReader

  @differentiable(reverse)
  func callAsFunction(_ tau: Double, _ p: Vector<Double>) -> Double {
    let input: Vector<Double> = reader.vector("z", in: p, else: z)
    let s: Vector<Double> = reader.vector("simplex_value", in: p, else: Vector([simplexValue]))
    return (input - tau).relu().sum() - s.sum()
  }

  /// `z` and `s` at packed parameters `p`.
  func inputs(_ p: Vector<Double>) -> (z: Vector<Double>, s: Double) {
    (reader.vector("z", in: p, else: z), reader.vector("simplex_value", in: p, else: Vector([simplexValue])).sum())
  }

  func validate(_ tau: Double, _ p: Vector<Double>) throws {
    try ImplicitError.checkDimension("the packed case parameters", p.count, expected: reader.pack.packed.count)
    let (z, s) = inputs(p)
    try ImplicitError.checkFinite("z", z)
    if z.isEmpty || !(s > 0) { throw ImplicitError.invalidArgument("the simplex threshold needs entries and s > 0") }
  }
}
