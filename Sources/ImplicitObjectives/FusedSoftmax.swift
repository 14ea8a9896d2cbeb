import ImplicitCore
import _Differentiation

// The softmax cross-entropy of a linear model in ONE pass over the design per gradient: row by
// row, the k scores (dot products with the columns of W), the softmax, and k axpys of the same
// row. On dual numbers the pass runs along 2k directions (value and ε parts of W), so the exact
// Hessian product also reads the design once.

/// `(1/n) Σᵢ [logsumexp(zᵢ) − ⟨θᵢ, zᵢ⟩]` with `zᵢ = x̃ᵢᵀW` for the rows `x̃ᵢ` of `design` and
/// `W` the flattened `design.columns × classes` matrix `x`; differentiable in `x` and `θ`.
@differentiable(reverse,wrt: (x, θ))
func linearSoftmaxCrossEntropy<S: RealScalar>(
  _ x: Vector<S>, _ θ: Vector<S>, design: Matrix<Double>, classes: Int
) -> S {
  // A value alone (no derivative asked) needs only the scores: one skinny product, no axpys.
  meanSoftmaxCrossEntropy(logits: linearScores(x, design: design, classes: classes), targets: θ)
}

@derivative(of: linearSoftmaxCrossEntropy, wrt: (x, θ))
func vjpLinearSoftmaxCrossEntropy<S: RealScalar>(
  _ x: Vector<S>, _ θ: Vector<S>, design: Matrix<Double>, classes: Int
) -> (value: S, pullback: (S.TangentVector) -> (Vector<S>, Vector<S>)) {
  let r = fusedSoftmaxCrossEntropy(x, θ, design: design, classes: classes)
  return (r.value, { t in (S(tangent: t) * r.x, S(tangent: t) * r.θ) })
}

/// Value and both gradients: `X̃ᵀ(P − Θ)/n` (flattened `d × k`) and `−Z/n`.
func fusedSoftmaxCrossEntropy<S: RealScalar>(
  _ x: Vector<S>, _ θ: Vector<S>, design: Matrix<Double>, classes k: Int
) -> (value: S, x: Vector<S>, θ: Vector<S>) {
  precondition(x.count == design.columns * k && θ.count == design.rows * k, "softmax cross-entropy: shapes")
  if S.self == Double.self {
    let r = fusedSoftmaxCrossEntropy(
      values: unsafeBitCast(x.scalars, to: [Double].self), derivatives: nil,
      targets: unsafeBitCast(θ.scalars, to: [Double].self), targetDerivatives: nil, design: design, classes: k)
    return (
      unsafeBitCast(r.value.value, to: S.self), Vector(unsafeBitCast(r.x.map(\.value), to: [S].self)),
      Vector(unsafeBitCast(r.θ.map(\.value), to: [S].self))
    )
  }
  if S.self == Dual.self {
    let xs = unsafeBitCast(x.scalars, to: [Dual].self), ts = unsafeBitCast(θ.scalars, to: [Dual].self)
    let r = fusedSoftmaxCrossEntropy(
      values: xs.map(\.value), derivatives: xs.map(\.derivative), targets: ts.map(\.value),
      targetDerivatives: ts.map(\.derivative), design: design, classes: k)
    return (
      unsafeBitCast(r.value, to: S.self), Vector(unsafeBitCast(r.x, to: [S].self)),
      Vector(unsafeBitCast(r.θ, to: [S].self))
    )
  }
  // Any other scalar: reverse mode through the unfused composite.
  let (value, pullback) = valueWithPullback(at: x, θ) { x, θ in
    meanSoftmaxCrossEntropy(logits: linearScores(x, design: design, classes: k), targets: θ)
  }
  let (gx, gθ) = pullback(S(1).tangent)
  return (value, gx, gθ)
}

/// The pass on `Double`s: `values` (and `derivatives`, the ε part) are `W` flattened `d × k`;
/// returns dual results (ε parts zero without derivatives).
func fusedSoftmaxCrossEntropy(
  values: [Double], derivatives: [Double]?, targets: [Double], targetDerivatives: [Double]?,
  design: Matrix<Double>, classes k: Int
) -> (value: Dual, x: [Dual], θ: [Dual]) {
  let (n, d) = (design.rows, design.columns)
  let dual = derivatives != nil
  let c = dual ? 2 * k : k
  // The directions: columns of W (then of Ẇ), class-major.
  var directions = [Double](repeating: 0, count: c * d)
  for j in 0..<d {
    for l in 0..<k {
      directions[l * d + j] = values[j * k + l]
      if let derivatives { directions[(k + l) * d + j] = derivatives[j * k + l] }
    }
  }
  let scale = 1 / Double(Swift.max(n, 1))
  // Context: the targets, then their ε parts when given.
  let hasTangents = targetDerivatives != nil
  let (dots, out) = design.fusedRowPass(directions: directions, count: c, context: targets + (targetDerivatives ?? []))
  { context, i, z, coefficients in
    // Softmax of the value scores, then its derivative along the ε scores.
    var top = z[0]
    for l in 1..<k where z[l] > top { top = z[l] }
    var total = 0.0
    for l in 0..<k {
      let e = Double.exp(z[l] - top)
      coefficients[l] = e
      total += e
    }
    var mean = 0.0
    for l in 0..<k {
      coefficients[l] /= total
      if c > k { mean += coefficients[l] * z[k + l] }
    }
    if c > k {
      for l in 0..<k {
        let p = coefficients[l]
        let tangent = hasTangents ? context[n * k + i * k + l] : 0
        coefficients[k + l] = (p * (z[k + l] - mean) - tangent) * scale
      }
    }
    for l in 0..<k { coefficients[l] = (coefficients[l] - context[i * k + l]) * scale }
  }
  // Value from the stored scores: Σ logsumexp(zᵢ) − ⟨θᵢ, zᵢ⟩ and its ε part ⟨pᵢ, żᵢ⟩ − ⟨θ̇ᵢ, zᵢ⟩ − ⟨θᵢ, żᵢ⟩.
  var value = 0.0, tangent = 0.0
  var p = [Double](repeating: 0, count: k)
  for i in 0..<n {
    let z = i * c
    var top = dots[z]
    for l in 1..<k where dots[z + l] > top { top = dots[z + l] }
    var total = 0.0
    for l in 0..<k {
      p[l] = Double.exp(dots[z + l] - top)
      total += p[l]
    }
    value += top + Double.log(total)
    for l in 0..<k {
      value -= targets[i * k + l] * dots[z + l]
      if dual {
        let zd = dots[z + k + l]
        tangent += p[l] / total * zd - targets[i * k + l] * zd - (targetDerivatives?[i * k + l] ?? 0) * dots[z + l]
      }
    }
  }
  var gx = [Dual](repeating: .zero, count: d * k)
  for j in 0..<d {
    for l in 0..<k {
      gx[j * k + l] = Dual(out[l * d + j], derivative: dual ? out[(k + l) * d + j] : 0)
    }
  }
  var gθ = [Dual](repeating: .zero, count: n * k)
  for i in 0..<n {
    for l in 0..<k {
      gθ[i * k + l] = Dual(-dots[i * c + l] * scale, derivative: dual ? -dots[i * c + k + l] * scale : 0)
    }
  }
  return (Dual(value * scale, derivative: tangent * scale), gx, gθ)
}
