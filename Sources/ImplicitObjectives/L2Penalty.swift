public import ImplicitCore
public import _Differentiation

/// An l2 penalty with one shared strength or one strength per coordinate, read from `θ`:
///
///     ½θ‖x‖²          when θ has one entry
///     ½Σⱼ θⱼ xⱼ²      when θ has one entry per coordinate of x
///
/// Differentiable in both, generic over the scalar (exact second derivatives on dual numbers).
/// Value and derivatives are direct loops (with `Double` and `Dual` fast paths), not a chain of
/// generic vector operations: the penalty is evaluated on every gradient and Hessian product.
@differentiable(reverse)
public func l2Penalty<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
  penaltyValue(x.scalars, θ.scalars)
}

/// The derivative of ``l2Penalty(_:_:)``: `θ ⊙ x` (or `θx`) and `½x ⊙ x` (or `½‖x‖²`).
@derivative(of: l2Penalty)
public func vjpL2Penalty<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> (
  value: S, pullback: (S.TangentVector) -> (Vector<S>, Vector<S>)
) {
  let (xs, ts) = (x.scalars, θ.scalars)
  return (
    penaltyValue(xs, ts),
    { t in
      let s = S(tangent: t)
      return (Vector(penaltyGradient(xs, ts, seed: s)), Vector(penaltyParameterGradient(xs, ts, seed: s)))
    }
  )
}

/// `½θ‖x‖²` or `½Σ θⱼxⱼ²`. Called unspecialised from other modules, so `Double` and `Dual` are
/// routed to concrete-type calls of the one body, which the optimiser specialises.
func penaltyValue<S: RealScalar>(_ x: [S], _ θ: [S]) -> S {
  if S.self == Double.self {
    return unsafeBitCast(
      penaltySum(unsafeBitCast(x, to: [Double].self), unsafeBitCast(θ, to: [Double].self)), to: S.self)
  }
  if S.self == Dual.self {
    return unsafeBitCast(penaltySum(unsafeBitCast(x, to: [Dual].self), unsafeBitCast(θ, to: [Dual].self)), to: S.self)
  }
  return penaltySum(x, θ)
}

/// The body of ``penaltyValue(_:_:)``.
func penaltySum<T: RealScalar>(_ x: [T], _ θ: [T]) -> T {
  precondition(θ.count == 1 || θ.count == x.count, "l2Penalty: \(θ.count) strengths for \(x.count) coordinates")
  var s = T.zero
  if θ.count == 1 {
    for v in x { s = s + v * v }
    return T(0.5) * θ[0] * s
  }
  for j in x.indices { s = s + θ[j] * x[j] * x[j] }
  return T(0.5) * s
}

/// `seed·θ ⊙ x`.
func penaltyGradient<S: RealScalar>(_ x: [S], _ θ: [S], seed: S) -> [S] {
  if θ.count == 1 {
    let c = seed * θ[0]
    return x.map { c * $0 }
  }
  return x.indices.map { seed * θ[$0] * x[$0] }
}

/// `seed·½‖x‖²` (one strength) or `seed·½x ⊙ x`.
func penaltyParameterGradient<S: RealScalar>(_ x: [S], _ θ: [S], seed: S) -> [S] {
  let half = S(0.5) * seed
  if θ.count == 1 {
    var s = S.zero
    for v in x { s = s + v * v }
    return [half * s]
  }
  return x.map { half * $0 * $0 }
}
