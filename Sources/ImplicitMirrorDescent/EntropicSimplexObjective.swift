import ImplicitCore
import _Differentiation

/// The entropy-regularised problems on the simplex of the `softmax-entropy` and
/// `entropic-qp-simplex` families, on all their inputs `θ = [theta; gamma; vec Q]` (no `Q` for
/// softmax-entropy):
///
///     f(p, θ) = ½ pᵀQp − ⟨theta, p⟩ + gamma Σᵢ pᵢ log pᵢ
///
/// `Q` enters as written (the gradient is `½(Q + Qᵀ)p`, whether or not `Q` is symmetric). A case
/// differentiates whichever of them it lists through ``Reparametrized`` and ``InputSelection``.
struct EntropicSimplexObjective: ParametricObjective {
  let dimension: Int
  let withQuadratic: Bool
  /// `θ` at the case's values.
  let inputs: Vector<Double>
  /// `gamma` and `‖Q‖₂` at the case's values, for the solver's step.
  let temperature: Double
  let quadraticNorm: Double

  /// The inputs' names, in the order of `θ`.
  var names: [String] { withQuadratic ? ["theta", "gamma", "Q"] : ["theta", "gamma"] }

  /// Reads `theta`, `gamma` and (when `withQuadratic`) `Q` from `c`.
  init(_ c: any CaseData, withQuadratic: Bool) throws {
    let known = withQuadratic ? ["theta", "gamma", "Q"] : ["theta", "gamma"]
    for name in c.thetaNames where !known.contains(name) {
      throw c.formatError(field: "theta.\(name)", message: "not a parameter of family \"\(c.family)\"")
    }
    let linear = try c.vector("theta")
    dimension = linear.count
    guard dimension > 0 else { throw c.formatError(field: "theta", message: "must not be empty") }
    temperature = try c.scalar("gamma")
    guard temperature > 0 else { throw c.formatError(field: "gamma", message: "must be positive") }
    var values = linear.scalars + [temperature]
    if withQuadratic {
      let q = try c.matrix("Q")
      guard q.rows == dimension, q.columns == dimension else {
        throw c.formatError(
          field: "Q", message: "expected \(dimension)×\(dimension), got \(q.rows)×\(q.columns)")
      }
      quadraticNorm = q.squaredSpectralNorm().squareRoot()
      values += q.scalars
    } else {
      quadraticNorm = 0
    }
    self.withQuadratic = withQuadratic
    inputs = Vector(values)
  }

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ θ: Vector<S>) -> S {
    let n = dimension
    let value = θ.slice(from: n, count: 1).sum() * (p * p.log()).sum() - θ.slice(from: 0, count: n).dot(p)
    guard withQuadratic else { return value }
    let q = θ.slice(from: n + 1, count: n * n).reshaped(rows: n, columns: n)
    return value + S(0.5) * p.dot(q * p)
  }

  /// A step that converges for mirror descent in the KL geometry: `1/(γ + ‖Q‖₂)`
  /// (`γΣp log p` is `γ`-smooth relative to the entropy, `½pᵀQp` is `‖Q‖₂`-smooth in ℓ₂ and
  /// hence in ℓ₁, in which the entropy is 1-strongly convex on the simplex).
  var mirrorDescentStep: Double { 1 / (temperature + quadraticNorm) }
}
