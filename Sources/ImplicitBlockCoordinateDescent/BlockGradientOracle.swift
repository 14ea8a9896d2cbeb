public import ImplicitCore

/// What block coordinate descent needs from the smooth part `f(x, θ)`: the gradient with
/// respect to one block at a time, and each block's curvature for the step `1/L_b`.
///
/// Cheap block gradients are the point of coordinate methods, so objectives with structure
/// supply their own (see ``MulticlassSVMDualBlockGradients``); ``AutomaticBlockGradients``
/// works for any ``ParametricObjective`` at the price of a full gradient per block.
public protocol BlockGradientOracle {
  /// `∇_b f(x, θ)`: the entries of `∇ₓf(x, θ)` in `block`.
  func blockGradient(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double>

  /// `L_b`, the Lipschitz constant of `x_b ↦ ∇_b f` with the other blocks fixed (the largest
  /// eigenvalue of the block of `∇²ₓₓf`), at or near `x`.
  func blockLipschitzConstant(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Double

  /// Throws a typed error when the oracle cannot serve these blocks. Default: accepts all.
  func validate(_ blocks: BlockPartition, _ θ: Vector<Double>) throws

  /// The reverse product of the block gradient `(x, θ) ↦ ∇_b f(x, θ)` with `w` (shaped like the
  /// block): `((∂∇_b f/∂x)ᵀ w, (∂∇_b f/∂θ)ᵀ w)`, for ``BlockCoordinateDescent/unrolled(_:_:from:gradients:)``.
  /// Default `nil`: the unrolled switch uses the objective's exact `gradientPullback` on `w`
  /// embedded in the block (a full Hessian product per block).
  func blockGradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>, _ w: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>)?

  /// `∇_θ L_b` at `x`, the curvature's dependence on `θ`, so that the unrolled switch
  /// differentiates the steps `1/L_b(θ)` too. Default `nil`: the steps are held constant
  /// (exact when the curvatures do not depend on `θ`).
  func blockLipschitzConstantGradient(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double>?
}

extension BlockGradientOracle {
  public func validate(_ blocks: BlockPartition, _ θ: Vector<Double>) throws {}

  public func blockGradientPullback(
    at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>, _ w: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>)? { nil }

  public func blockLipschitzConstantGradient(
    at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>
  ) -> Vector<Double>? { nil }
}

/// Block gradients of any ``ParametricObjective`` by automatic differentiation: each block
/// gradient costs a full gradient; each `L_b` is the largest eigenvalue of the block of the
/// Hessian at the point, by power iteration on exact Hessian-vector products (exact for
/// quadratics, local otherwise).
public struct AutomaticBlockGradients<Objective: ParametricObjective>: BlockGradientOracle {
  public let objective: Objective
  public init(_ objective: Objective) { self.objective = objective }

  public func blockGradient(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double> {
    Vector(Array(objective.gradient(at: x, θ).scalars[block]))
  }

  public func blockLipschitzConstant(at x: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Double {
    let n = x.count
    let hessianBlock = LinearOperator(template: Vector<Double>.zeros(block.count), structure: .symmetric) { v in
      var embedded = [Double](repeating: 0, count: n)
      embedded.replaceSubrange(block, with: v.scalars)
      let hv = objective.gradientPullback(at: x, θ, Vector(embedded)).x
      return Vector(Array(hv.scalars[block]))
    }
    return hessianBlock.largestEigenvalue()
  }
}

extension AutomaticBlockGradients: Sendable where Objective: Sendable {}
