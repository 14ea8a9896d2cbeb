import ImplicitCore
import ImplicitObjectives
import ImplicitProjections
import _Differentiation

/// The same three solvers written with differentiable operations, so that Swift's reverse-mode
/// AD can differentiate straight through their iterations ("unrolling") — the baseline that
/// implicit differentiation is compared with. Each mirrors the library solver iteration for
/// iteration (same start, same steps, step sizes included: `η = θ/‖X‖²` depends on θ, and the
/// unrolled derivative is the exact derivative of the iterates, so it follows that dependence).
///
/// The cost of unrolling: the backward pass replays every iteration, and the tape keeps every
/// iterate alive until it does.
struct SVMUnrolledSolvers {
  let X: Matrix<Double>
  let XT: Matrix<Double>
  let Y: Matrix<Double>
  let labelsMinusOne: Matrix<Double>
  let squaredNorm: Double
  let problem: SVMHyperparameterProblem
  /// `K = XXᵀ` row by row, `KY = K·Y` row by row and `Kᵢᵢ` (block coordinate descent).
  let gramRows: [Vector<Double>]
  let gramTimesLabels: [Vector<Double>]
  let labelRowsMinusOne: [Vector<Double>]

  init(_ problem: SVMHyperparameterProblem) {
    self.problem = problem
    X = problem.objective.X
    XT = problem.transposedFeatures
    Y = problem.objective.Y
    let labelsMinusOne = problem.labelsMinusOne
    self.labelsMinusOne = labelsMinusOne
    squaredNorm = problem.squaredNorm
    let gram = problem.objective.X * problem.transposedFeatures
    gramRows = (0..<gram.rows).map { gram.row($0) }
    let ky = gram * problem.objective.Y
    gramTimesLabels = (0..<ky.rows).map { ky.row($0) }
    labelRowsMinusOne = (0..<labelsMinusOne.rows).map { labelsMinusOne.row($0) }
  }

  var uniform: Matrix<Double> {
    Matrix(repeating: 1 / Double(Y.columns), rows: Y.rows, columns: Y.columns)
  }

  /// `∇_β f = (1/θ) X(Xᵀ(B − Y)) + Y − 1` as a matrix; `X`, `Xᵀ` are constants, so AD registers
  /// only the products' derivatives in `B`.
  @differentiable(reverse,wrt: (B, θ))
  func gradient(_ B: Matrix<Double>, _ θ: Double) -> Matrix<Double> {
    (1 / θ) * (X * (XT * (B - Y))) + labelsMinusOne
  }

  /// The validation cross-entropy at the last iterate.
  @differentiable(reverse,wrt: (B, θ))
  func validationLoss(_ B: Matrix<Double>, _ θ: Double) -> Double {
    problem.validationLoss(B.flattenedVector(), θ)
  }

  /// Mirror descent in logits: `Z ← Z − η∇f(softmax_rows(Z))`, `β = softmax_rows(Z)` — the same
  /// iterates as `β ← softmax_rows(log β − η∇f(β))` from the uniform start, with no logarithm to
  /// differentiate.
  @differentiable(reverse,wrt: logθ)
  func mirrorDescentLoss(_ logθ: Double, iterations: Int) -> Double {
    let θ = Double.exp(logθ)
    let η = θ / squaredNorm
    var Z = Matrix<Double>.zeros(rows: Y.rows, columns: Y.columns)
    var B = SVMUnrolledOps.rowSoftmax(Z)
    for _ in 0..<iterations {
      Z = Z - η * gradient(B, θ)
      B = SVMUnrolledOps.rowSoftmax(Z)
    }
    return validationLoss(B, θ)
  }

  /// Accelerated projected gradient (FISTA), as `FISTA.fixedIterations`.
  @differentiable(reverse,wrt: logθ)
  func projectedGradientLoss(_ logθ: Double, iterations: Int) -> Double {
    let θ = Double.exp(logθ)
    let η = θ / squaredNorm
    var x = uniform
    var y = x
    var t = 1.0
    for _ in 0..<iterations {
      let next = project(y - η * gradient(y, θ))
      let tNext = 0.5 * (1 + (1 + 4 * t * t).squareRoot())
      y = next + ((t - 1) / tNext) * (next - x)
      x = next
      t = tNext
    }
    return validationLoss(x, θ)
  }

  /// Cyclic block coordinate descent, as `BlockCoordinateDescent`: for each row `i`,
  /// `βᵢ ← P_Δ(βᵢ − (θ/Kᵢᵢ) ∇ᵢf)` with `∇ᵢf = (1/θ)(Kᵢ·B − (KY)ᵢ) + Yᵢ − 1`.
  @differentiable(reverse,wrt: logθ)
  func blockCoordinateDescentLoss(_ logθ: Double, sweeps: Int) -> Double {
    let θ = Double.exp(logθ)
    var B = uniform
    for _ in 0..<sweeps {
      for i in 0..<Y.rows {
        let g = (1 / θ) * (SVMUnrolledOps.transposedTimes(B, gramRows[i]) - gramTimesLabels[i]) + labelRowsMinusOne[i]
        let z = SVMUnrolledOps.row(B, i) - (θ / gramRows[i][i]) * g
        B = SVMUnrolledOps.replacingRow(B, i, with: SimplexProjection()(z, 1))
      }
    }
    return validationLoss(B, θ)
  }

  /// Every row projected on the simplex (the projection's hand-written derivative).
  @differentiable(reverse)
  func project(_ B: Matrix<Double>) -> Matrix<Double> {
    RowSimplexProjection(columns: Y.columns)(B.flattenedVector(), Vector([])).reshaped(rows: Y.rows, columns: Y.columns)
  }

  /// The unrolled validation loss of `solver` and its derivative in `log θ` (reverse mode
  /// through every iteration).
  func hypergradient(_ solver: SVMDualSolver, at logθ: Double, iterations: Int) -> (loss: Double, derivative: Double) {
    let result =
      switch solver {
      case .mirrorDescent: valueWithGradient(at: logθ) { mirrorDescentLoss($0, iterations: iterations) }
      case .projectedGradient: valueWithGradient(at: logθ) { projectedGradientLoss($0, iterations: iterations) }
      case .blockCoordinateDescent: valueWithGradient(at: logθ) { blockCoordinateDescentLoss($0, sweeps: iterations) }
      }
    return (result.value, result.gradient)
  }
}

/// Small differentiable matrix operations the unrolled solvers need, with hand-written pullbacks.
enum SVMUnrolledOps {
  /// `softmax` of every row.
  @differentiable(reverse)
  static func rowSoftmax(_ z: Matrix<Double>) -> Matrix<Double> {
    var out = z
    for i in 0..<z.rows {
      let base = i * z.columns
      var m = -Double.infinity
      for j in 0..<z.columns { m = max(m, z.scalars[base + j]) }
      var s = 0.0
      for j in 0..<z.columns {
        let e = Double.exp(z.scalars[base + j] - m)
        out.scalars[base + j] = e
        s += e
      }
      for j in 0..<z.columns { out.scalars[base + j] /= s }
    }
    return out
  }

  @derivative(of: rowSoftmax)
  static func _vjpRowSoftmax(_ z: Matrix<Double>) -> (
    value: Matrix<Double>, pullback: (Matrix<Double>) -> Matrix<Double>
  ) {
    let p = rowSoftmax(z)
    return (
      p,
      { v in
        if v.isEmpty { return Matrix.zeros(rows: z.rows, columns: z.columns) }
        // (diag(p) − ppᵀ) v, row by row.
        var out = p
        for i in 0..<p.rows {
          let base = i * p.columns
          var mean = 0.0
          for j in 0..<p.columns { mean += p.scalars[base + j] * v.scalars[base + j] }
          for j in 0..<p.columns { out.scalars[base + j] = p.scalars[base + j] * (v.scalars[base + j] - mean) }
        }
        return out
      }
    )
  }

  /// `mᵀw` for a constant `w`; the pullback keeps `w` only (the matrix's own derivative would keep
  /// `m` alive for every block of every sweep).
  @differentiable(reverse,wrt: m)
  static func transposedTimes(_ m: Matrix<Double>, _ w: Vector<Double>) -> Vector<Double> { m.transposedTimes(w) }

  @derivative(of: transposedTimes, wrt: m)
  static func _vjpTransposedTimes(_ m: Matrix<Double>, _ w: Vector<Double>) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Matrix<Double>
  ) {
    let (rows, columns) = (m.rows, m.columns)
    return (
      m.transposedTimes(w),
      { v in
        var out = Matrix<Double>.zeros(rows: rows, columns: columns)
        if v.isEmpty { return out }
        for i in 0..<rows where w.scalars[i] != 0 {
          for j in 0..<columns { out.scalars[i * columns + j] = w.scalars[i] * v.scalars[j] }
        }
        return out
      }
    )
  }

  /// Row `i` of `m`.
  @differentiable(reverse,wrt: m)
  static func row(_ m: Matrix<Double>, _ i: Int) -> Vector<Double> { m.row(i) }

  @derivative(of: row, wrt: m)
  static func _vjpRow(_ m: Matrix<Double>, _ i: Int) -> (
    value: Vector<Double>, pullback: (Vector<Double>) -> Matrix<Double>
  ) {
    let (rows, columns) = (m.rows, m.columns)
    return (
      m.row(i),
      { v in
        var out = Matrix<Double>.zeros(rows: rows, columns: columns)
        if !v.isEmpty { for j in 0..<columns { out.scalars[i * columns + j] = v.scalars[j] } }
        return out
      }
    )
  }

  /// `m` with row `i` replaced by `row`.
  @differentiable(reverse,wrt: (m, row))
  static func replacingRow(_ m: Matrix<Double>, _ i: Int, with row: Vector<Double>) -> Matrix<Double> {
    var out = m
    for j in 0..<m.columns { out.scalars[i * m.columns + j] = row.scalars[j] }
    return out
  }

  @derivative(of: replacingRow, wrt: (m, row))
  static func _vjpReplacingRow(_ m: Matrix<Double>, _ i: Int, with row: Vector<Double>) -> (
    value: Matrix<Double>, pullback: (Matrix<Double>) -> (Matrix<Double>, Vector<Double>)
  ) {
    let (rows, columns) = (m.rows, m.columns)
    return (
      replacingRow(m, i, with: row),
      { v in
        if v.isEmpty { return (Matrix.zeros(rows: rows, columns: columns), Vector.zeros(columns)) }
        var dm = v
        var dRow = [Double](repeating: 0, count: columns)
        for j in 0..<columns {
          dRow[j] = v.scalars[i * columns + j]
          dm.scalars[i * columns + j] = 0
        }
        return (dm, Vector(dRow))
      }
    )
  }
}
