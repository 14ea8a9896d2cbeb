public import ImplicitCore
import _Differentiation

/// An l2 penalty with one shared strength or one strength per coordinate, read from `θ`:
///
///     ½θ‖x‖²          when θ has one entry
///     ½Σⱼ θⱼ xⱼ²      when θ has one entry per coordinate of x
///
/// Differentiable in both, generic over the scalar (exact second derivatives on dual numbers).
@differentiable(reverse)
public func l2Penalty<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
  if θ.count == 1 { return S(0.5) * θ.sum() * x.squaredNorm() }
  return S(0.5) * (θ * x).dot(x)
}
