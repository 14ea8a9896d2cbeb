import ImplicitCore
import ImplicitObjectives

/// One objective at one point `(x, θ)`, for the derivative checks that every objective must pass.
struct ObjectiveInstance {
  let objective: any ParametricObjective
  let x: Vector<Double>
  let θ: Vector<Double>

  /// The names of every instance (test arguments).
  static let names = [
    "least-squares", "ridge-shared", "ridge-per-feature", "logistic", "logistic-intercept",
    "softmax-cross-entropy", "softmax-cross-entropy-intercept", "l2-multiclass-logistic",
    "l2-multiclass-logistic-intercept", "huber", "hinge", "squared-hinge", "sparsemax-loss",
    "sparsemax-loss-intercept", "fenchel-young-shannon", "multiclass-svm-dual",
  ]

  static func named(_ name: String) throws -> ObjectiveInstance {
    var rng = SeededGenerator(seed: UInt64(names.firstIndex(of: name)! + 11))
    let n = 12, d = 4, k = 3
    let X = rng.normalMatrix(rows: n, columns: d)
    let signs = Vector((0..<n).map { _ in rng.normal() > 0 ? 1.0 : -1.0 })
    let classes = Vector((0..<n).map { i in Double(i % k) })
    let perFeature = Vector((0..<d).map { _ in 0.2 + 0.5 * Swift.abs(rng.normal()) })
    let scalar = Vector([0.37])
    switch name {
    case "least-squares":
      return ObjectiveInstance(objective: try LeastSquares(A: X), x: rng.normalVector(d), θ: rng.normalVector(n))
    case "ridge-shared":
      return ObjectiveInstance(
        objective: try RidgeRegression(A: X, b: rng.normalVector(n)), x: rng.normalVector(d), θ: scalar)
    case "ridge-per-feature":
      return ObjectiveInstance(
        objective: try RidgeRegression(A: X, b: rng.normalVector(n)), x: rng.normalVector(d), θ: perFeature)
    case "logistic":
      return ObjectiveInstance(
        objective: try BinaryLogisticRegression(features: X, labels: signs), x: rng.normalVector(d), θ: perFeature)
    case "logistic-intercept":
      return ObjectiveInstance(
        objective: try BinaryLogisticRegression(features: X, labels: signs, fitIntercept: true),
        x: rng.normalVector(d + 1), θ: scalar)
    case "softmax-cross-entropy", "softmax-cross-entropy-intercept":
      let intercept = name.hasSuffix("intercept")
      let f = try SoftmaxCrossEntropy(features: X, classes: k, fitIntercept: intercept)
      // Soft targets: rows of a softmax of random scores.
      let soft = Matrix(rows: n, columns: k, scalars: rng.normalVector(n * k).scalars).rowArrays.flatMap {
        Vector($0).softmax().scalars
      }
      return ObjectiveInstance(objective: f, x: rng.normalVector(f.solutionDimension, scale: 0.5), θ: Vector(soft))
    case "l2-multiclass-logistic", "l2-multiclass-logistic-intercept":
      let f = try L2MulticlassLogisticRegression(
        features: X, labels: classes, classes: k, fitIntercept: name.hasSuffix("intercept"))
      return ObjectiveInstance(objective: f, x: rng.normalVector(f.solutionDimension, scale: 0.5), θ: scalar)
    case "huber":
      return ObjectiveInstance(
        objective: try HuberRegression(A: X, b: rng.normalVector(n, scale: 2), delta: 0.8), x: rng.normalVector(d),
        θ: perFeature)
    case "hinge":
      return ObjectiveInstance(
        objective: try HingeLoss(features: X, labels: signs), x: rng.normalVector(d), θ: perFeature)
    case "squared-hinge":
      return ObjectiveInstance(
        objective: try SquaredHingeLoss(features: X, labels: signs), x: rng.normalVector(d), θ: scalar)
    case "sparsemax-loss", "sparsemax-loss-intercept":
      let f = try SparsemaxLoss(features: X, labels: classes, classes: k, fitIntercept: name.hasSuffix("intercept"))
      return ObjectiveInstance(objective: f, x: rng.normalVector(f.loss.solutionDimension), θ: scalar)
    case "fenchel-young-shannon":
      let f = try FenchelYoungLoss(features: X, labels: classes, classes: k, regularizer: .shannonNegentropy)
      return ObjectiveInstance(objective: f, x: rng.normalVector(f.solutionDimension), θ: scalar)
    case "multiclass-svm-dual":
      let Y = try oneHot(classes, classes: k)
      let f = try MulticlassSVMDual(X: X, Y: Y)
      return ObjectiveInstance(objective: f, x: rng.normalVector(n * k, scale: 0.3), θ: Vector([0.8]))
    default:
      throw ImplicitError.invalidArgument("no instance \(name)")
    }
  }
}
