public import ImplicitCore
public import ImplicitObjectives

/// Closed-form block gradients of the multiclass SVM dual
/// `f(β, θ) = ½/θ ‖Xᵀ(Y − β)‖²_F + ⟨β, Y − 1⟩`, one block per row `βᵢ` (the dual variables of
/// sample `i`):
///
///     ∇ᵢ f = (1/θ) Σⱼ (xᵢ·xⱼ)(βⱼ − Yⱼ) + Yᵢ − 1,     Lᵢ = ‖xᵢ‖² / θ
///
/// (the block of the Hessian is `‖xᵢ‖²/θ · I`). The Gram matrix `XXᵀ` is computed once, so a
/// block gradient costs `O(n·k)` instead of a full gradient. `θ` is the one-entry parameter
/// vector of ``MulticlassSVMDual``.
public struct MulticlassSVMDualBlockGradients: BlockGradientOracle, Sendable {
  let gram: [Double]
  let labels: [Double]
  let samples: Int
  let classes: Int

  public init(_ objective: MulticlassSVMDual) {
    let x = objective.X
    samples = x.rows
    classes = objective.classes
    labels = objective.Y.scalars
    var gram = [Double](repeating: 0, count: samples * samples)
    for i in 0..<samples {
      for j in i..<samples {
        var s = 0.0
        for f in 0..<x.columns { s += x[i, f] * x[j, f] }
        gram[i * samples + j] = s
        gram[j * samples + i] = s
      }
    }
    self.gram = gram
  }

  public func blockGradient(at beta: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Vector<Double> {
    let i = block.lowerBound / classes
    let inverse = 1 / θ.sum()
    var g = [Double](repeating: 0, count: classes)
    for j in 0..<samples {
      let kij = gram[i * samples + j] * inverse
      if kij == 0 { continue }
      for c in 0..<classes { g[c] += kij * (beta[j * classes + c] - labels[j * classes + c]) }
    }
    for c in 0..<classes { g[c] += labels[i * classes + c] - 1 }
    return Vector(g)
  }

  public func blockLipschitzConstant(at beta: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>) -> Double {
    let i = block.lowerBound / classes
    return gram[i * samples + i] / θ.sum()
  }

  /// `∂∇ᵢf/∂βⱼ = (xᵢ·xⱼ)/θ · I` and `∂∇ᵢf/∂θ = −(∇ᵢf − Yᵢ + 1)/θ`, in `O(n·k)`.
  public func blockGradientPullback(
    at beta: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>, _ w: Vector<Double>
  ) -> (x: Vector<Double>, θ: Vector<Double>)? {
    let i = block.lowerBound / classes
    let inverse = 1 / θ.sum()
    var dx = [Double](repeating: 0, count: samples * classes)
    for j in 0..<samples {
      let kij = gram[i * samples + j] * inverse
      if kij == 0 { continue }
      for c in 0..<classes { dx[j * classes + c] = kij * w[c] }
    }
    let g = blockGradient(at: beta, θ, block: block)
    var dθ = 0.0
    for c in 0..<classes { dθ -= (g[c] - labels[i * classes + c] + 1) * w[c] }
    return (Vector(dx), Vector([dθ * inverse]))
  }

  /// `∂Lᵢ/∂θ = −‖xᵢ‖²/θ²`.
  public func blockLipschitzConstantGradient(
    at beta: Vector<Double>, _ θ: Vector<Double>, block: Range<Int>
  ) -> Vector<Double>? {
    let i = block.lowerBound / classes, t = θ.sum()
    return Vector([-gram[i * samples + i] / (t * t)])
  }

  /// Requires one block per row of `β` (`k` entries each) and `θ` one positive entry.
  public func validate(_ blocks: BlockPartition, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("β (n·k entries)", blocks.dimension, expected: samples * classes)
    for block in blocks.ranges where block.count != classes || block.lowerBound % classes != 0 {
      throw ImplicitError.invalidArgument(
        "SVM dual blocks must be the rows of β (\(classes) entries each), got \(block)")
    }
    try ImplicitError.checkDimension("θ (one regularisation strength)", θ.count, expected: 1)
    guard θ[0] > 0, θ[0].isFinite else {
      throw ImplicitError.invalidArgument("θ must be positive and finite, got \(θ[0])")
    }
  }
}
