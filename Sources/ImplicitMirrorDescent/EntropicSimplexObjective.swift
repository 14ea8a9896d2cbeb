import ImplicitCore
import _Differentiation

/// The entropy-regularised problems on the simplex of the `softmax-entropy` and
/// `entropic-qp-simplex` families, with whichever inputs a reference case differentiates taken
/// from the packed parameter vector (see ``ParameterLayout``):
///
///     f(p) = ½ pᵀQp − ⟨θ, p⟩ + γ Σᵢ pᵢ log pᵢ      (no Q for softmax-entropy)
///
/// `Q` enters as written (the gradient is `½(Q + Qᵀ)p`, whether or not `Q` is symmetric).
struct EntropicSimplexObjective: ParametricObjective {
  /// Where one input sits in the packed vector, or `nil` when it is a constant.
  struct Slot {
    let offset: Int
    let count: Int
  }

  let dimension: Int
  let linear: Vector<Double>
  let temperature: Double
  let quadratic: Matrix<Double>?
  let linearSlot: Slot?
  let temperatureSlot: Slot?
  let quadraticSlot: Slot?

  /// Reads `theta`, `gamma` and (when `withQuadratic`) `Q` from `c`; any of them may be under
  /// `theta` in the case.
  init(_ c: any CaseData, withQuadratic: Bool) throws {
    let known = withQuadratic ? ["theta", "gamma", "Q"] : ["theta", "gamma"]
    for name in c.thetaNames where !known.contains(name) {
      throw c.formatError(field: "theta.\(name)", message: "not a parameter of family \"\(c.family)\"")
    }
    linear = try c.vector("theta")
    dimension = linear.count
    guard dimension > 0 else { throw c.formatError(field: "theta", message: "must not be empty") }
    temperature = try c.scalar("gamma")
    guard temperature > 0 else { throw c.formatError(field: "gamma", message: "must be positive") }
    if withQuadratic {
      let q = try c.matrix("Q")
      guard q.rows == dimension, q.columns == dimension else {
        throw c.formatError(
          field: "Q", message: "expected \(dimension)×\(dimension), got \(q.rows)×\(q.columns)")
      }
      quadratic = q
    } else {
      quadratic = nil
    }
    let layout = try ParameterLayout(c)
    func slot(_ name: String) -> Slot? { layout.entry(name).map { Slot(offset: $0.offset, count: $0.count) } }
    linearSlot = slot("theta")
    temperatureSlot = slot("gamma")
    quadraticSlot = slot("Q")
  }

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ p: Vector<S>, _ packed: Vector<S>) -> S {
    let theta = input(linearSlot, packed, linear.scalars)
    let gamma = input(temperatureSlot, packed, [temperature]).sum()
    let value = gamma * (p * p.log()).sum() - theta.dot(p)
    guard let quadratic else { return value }
    let q = input(quadraticSlot, packed, quadratic.scalars).reshaped(rows: dimension, columns: dimension)
    return value + S(0.5) * p.dot(q * p)
  }

  /// An input from the packed vector, or the constant `fallback`.
  @differentiable(reverse,wrt: packed)
  func input<S: RealScalar>(_ slot: Slot?, _ packed: Vector<S>, _ fallback: [Double]) -> Vector<S> {
    guard let slot else { return Vector<S>(converting: fallback) }
    return packed.slice(from: slot.offset, count: slot.count)
  }

  /// A step that converges for mirror descent in the KL geometry: `1/(γ + ‖Q‖₂)`
  /// (`γΣp log p` is `γ`-smooth relative to the entropy, `½pᵀQp` is `‖Q‖₂`-smooth in ℓ₂ and
  /// hence in ℓ₁, in which the entropy is 1-strongly convex on the simplex).
  var mirrorDescentStep: Double {
    guard let quadratic else { return 1 / temperature }
    return 1 / (temperature + quadratic.squaredSpectralNorm().squareRoot())
  }
}
