public import ImplicitCore
import _Differentiation

/// The multiclass linear SVM (Crammer–Singer) in its dual, on products of simplices:
///
///     β*(θ) = argmin_{βᵢ ∈ Δₖ for every row i}  ½/θ ‖Xᵀ(Y − β)‖²_F + ⟨β, Y − 1⟩
///
/// with `X` the `n × d` features, `Y` the `n × k` one-hot labels and `θ` the l2 regularisation
/// (JAXopt's `multiclass_linear_svm_dual`). The primal weights are `W = Xᵀ(Y − β)/θ`.
/// `β` is flattened row by row; `θ` is a one-entry vector.
///
/// With more features than samples (`P > n`) the initialiser computes the Gram matrix
/// `K = XXᵀ` once (`n²P/2` multiply-adds, less memory than `X`), and every gradient is then one
/// `n × n` product `K(Y − β)` instead of two passes over `X`; otherwise the gradient is the two
/// skinny products `X(Xᵀ(Y − β))`. Exact Hessian products (dual numbers) cost one such product
/// for both parts.
public struct MulticlassSVMDual: ParametricObjective, Sendable {
  /// Features, `n × d`.
  public let X: Matrix<Double>
  /// One-hot labels, `n × k`.
  public let Y: Matrix<Double>
  /// `K = XXᵀ` when there are more features than samples (the Gram form: each gradient is then
  /// one `n × n` product instead of two passes over the `n × P` features), else `nil`.
  let kernel: Matrix<Double>?
  /// `‖X‖₂²`, computed once.
  let spectrum: SquaredSpectralNorm

  public init(X: Matrix<Double>, Y: Matrix<Double>) throws {
    try ImplicitError.checkDimension("Y (one row per row of X)", Y.rows, expected: X.rows)
    guard X.isFinite, Y.isFinite else { throw ImplicitError.nonFinite(what: "X or Y") }
    self.X = X
    self.Y = Y
    kernel = X.columns > X.rows ? X.gram() : nil
    spectrum = SquaredSpectralNorm(X)
  }

  /// Number of samples.
  public var samples: Int { X.rows }
  /// Number of classes.
  public var classes: Int { Y.columns }

  @differentiable(reverse)
  public func callAsFunction<S: RealScalar>(_ beta: Vector<S>, _ θ: Vector<S>) -> S {
    let m = Matrix<S>(converting: Y) - beta.reshaped(rows: X.rows, columns: Y.columns)
    let quadratic: S
    if let kernel {
      quadratic = halfQuadraticForm(kernel, m)
    } else {
      quadratic = S(0.5) * X.transposedTimes(m).squaredNorm()
    }
    return quadratic / θ.sum() + beta.dot(Vector<S>(converting: Y.scalars)) - beta.sum()
  }

  /// `W = Xᵀ(Y − β)/θ` (`d × k`), differentiable, generic over the scalar.
  @differentiable(reverse)
  public func weights<S: RealScalar>(_ beta: Vector<S>, _ θ: S) -> Matrix<S> {
    (1 / θ) * X.transposedTimes(Matrix<S>(converting: Y) - beta.reshaped(rows: X.rows, columns: Y.columns))
  }

  /// The Lipschitz constant of `∇_β f`: `‖X‖₂² / θ`.
  public func lipschitzConstant(_ θ: Double) -> Double { spectrum.value / θ }

  /// The uniform feasible start `βᵢ = 1/k`.
  public var uniformStart: Vector<Double> {
    Vector(repeating: 1 / Double(Y.columns), count: X.rows * Y.columns)
  }
}

/// `½⟨M, K·M⟩` for symmetric data `K`. Its gradient `K·M` is the product the value needs, so
/// the forward pass keeps it and the pullback only scales it: one product with `K` per gradient
/// (on dual numbers, one pass for both parts).
@differentiable(reverse,wrt: m)
func halfQuadraticForm<S: RealScalar>(_ K: Matrix<Double>, _ m: Matrix<S>) -> S {
  halfQuadraticFormAndGradient(K, m).value
}

@derivative(of: halfQuadraticForm, wrt: m)
func vjpHalfQuadraticForm<S: RealScalar>(_ K: Matrix<Double>, _ m: Matrix<S>) -> (
  value: S, pullback: (S.TangentVector) -> Matrix<S>
) {
  let (value, gradient) = halfQuadraticFormAndGradient(K, m)
  return (value, { t in S(tangent: t) * gradient })
}

func halfQuadraticFormAndGradient<S: RealScalar>(_ K: Matrix<Double>, _ m: Matrix<S>) -> (value: S, gradient: Matrix<S>)
{
  let km = K.times(m)
  return (S(0.5) * Vector(m.scalars).dot(Vector(km.scalars)), km)
}

/// Mean cross-entropy `mean_i [logsumexp(xᵢW) − (xᵢW)_{yᵢ}]` of a linear classifier `W` on a
/// labelled set (labels as a one-hot matrix), generic over the scalar.
@differentiable(reverse,wrt: W)
public func crossEntropy<S: RealScalar>(_ W: Matrix<S>, features X: Matrix<Double>, oneHot Y: Matrix<Double>) -> S {
  let logits = X.times(W)
  return (logits.rowLogSumExp().sum() - logits.elementwiseProduct(Matrix<S>(converting: Y)).sum()) / S(Double(X.rows))
}

/// One-hot encoding of integer labels `0..<classes` (given as reals).
public func oneHot(_ labels: Vector<Double>, classes: Int) throws -> Matrix<Double> {
  var m = Matrix<Double>.zeros(rows: labels.count, columns: classes)
  for (i, l) in labels.scalars.enumerated() {
    // Range first: `Int(l)` traps on NaN, infinities and magnitudes beyond Int.
    guard l.isFinite, l >= 0, l < Double(classes), l.rounded() == l else {
      throw ImplicitError.invalidArgument("label \(l) at row \(i) is not an integer in 0..<\(classes)")
    }
    m[i, Int(l)] = 1
  }
  return m
}

/// The `multiclass-svm-dual` reference-case problem: the SVM dual plus a validation set, and the
/// case's three outputs (`beta`, `W`, `val_loss`) with their derivatives in `theta`.
///
/// Shared by the mirror-descent, projected-gradient and block-coordinate-descent families, each
/// of which solves for `β*` and differentiates it through its own condition.
public struct MulticlassSVMDualCase: Sendable {
  public let objective: MulticlassSVMDual
  public let validationFeatures: Matrix<Double>
  public let validationOneHot: Matrix<Double>
  /// The regularisation `θ`.
  public let theta: Double

  /// Reads `X`, `Y`, `X_val`, `y_val` and `theta` from a case; only `theta` may be differentiated.
  public init(_ c: any CaseData) throws {
    let X = try c.matrix("X")
    let Y = try c.matrix("Y")
    guard c.thetaNames == ["theta"] else {
      throw c.formatError(
        field: "theta", message: "this family differentiates only `theta` (got \(c.thetaNames))")
    }
    theta = try c.scalar("theta")
    guard theta > 0 else { throw c.formatError(field: "theta", message: "must be positive") }
    objective = try MulticlassSVMDual(X: X, Y: Y)
    validationFeatures = try c.matrix("X_val")
    guard validationFeatures.columns == X.columns else {
      throw c.formatError(
        field: "X_val", message: "has \(validationFeatures.columns) columns, X has \(X.columns)")
    }
    // `y` (the training labels) is redundant with `Y`; when a case gives it, it must agree.
    if c.input("y") != nil {
      let y = try c.vector("y", count: X.rows)
      guard (try? oneHot(y, classes: Y.columns)) == Y else {
        throw c.formatError(field: "y", message: "does not match the one-hot labels Y")
      }
    }
    let labels = try c.vector("y_val", count: validationFeatures.rows)
    do {
      validationOneHot = try oneHot(labels, classes: Y.columns)
    } catch {
      throw c.formatError(field: "y_val", message: "\(error)")
    }
  }

  /// The outputs at `β*` as maps of `(β, θ)` — `beta`, `W` and `val_loss` — for the
  /// reference-case evaluator; their derivatives along `(β̇, θ̇)` are exact, by one forward pass
  /// on dual numbers.
  public func outputs(beta: Vector<Double>) -> [InstanceOutput<Vector<Double>, Vector<Double>>] {
    let objective = objective, theta = theta
    let features = validationFeatures, labels = validationOneHot
    func forward(_ dBeta: Vector<Double>, _ dTheta: Vector<Double>) -> Matrix<Dual> {
      objective.weights(Vector<Dual>(values: beta, derivatives: dBeta), Dual(theta, derivative: dTheta[0]))
    }
    let zero = Vector<Double>.zeros(beta.count), none = Vector<Double>([0])
    let w = forward(zero, none)
    let loss = crossEntropy(w, features: features, oneHot: labels)
    return [
      .solution("beta", beta, shape: [objective.X.rows, objective.Y.columns]),
      InstanceOutput(name: "W", value: w.scalars.map(\.value), shape: [w.rows, w.columns]) { dBeta, dTheta in
        forward(dBeta, dTheta).scalars.map(\.derivative)
      },
      InstanceOutput(name: "val_loss", value: [loss.value], shape: []) { dBeta, dTheta in
        [crossEntropy(forward(dBeta, dTheta), features: features, oneHot: labels).derivative]
      },
    ]
  }
}
