import Foundation
import ImplicitCore
import ImplicitObjectives
import ImplicitReferenceCases
import ImplicitStationarity
import ImplicitTestSupport
import Testing

/// The `logistic-regression-l2` reference family: the catalogue's cases, and a case built here
/// that differentiates with respect to the features and labels, against finite differences of
/// re-solving.
@Suite struct LogisticRegressionFamilyTests {
  @Test func catalogueCasesPass() throws {
    let registry = FamilyRegistry()
    try StationarityFamilies.register(in: registry)
    let checks = try TestSupport.checkFamily("logistic-regression-l2", registry: registry)
    #expect(!checks.isEmpty)
    for check in checks {
      #expect(check.passed, "\(check.id): \(check.failure ?? "")")
      #expect(check.worstRelativeError <= 1e-8, "\(check.id)")
    }
  }

  @Test func anyParameterCanBeDifferentiated() throws {
    let p = try Problems.logistic(seed: 41, n: 16, d: 3)
    func json(_ m: Matrix<Double>) -> String { "[" + m.rowArrays.map { "\($0)" }.joined(separator: ",") + "]" }
    // X and theta differentiated, y and the validation set constant; the outputs' expected
    // values are placeholders the comparison below does not use.
    let text = """
      {"format": "implicit-case/1", "id": "wrt_X", "family": "logistic-regression-l2",
       "data": {"y": \(p.y.scalars), "X_val": \(json(p.validationX)), "y_val": \(p.validationY.scalars)},
       "theta": {"X": \(json(p.X)), "theta": \(p.θ.scalars.prefix(3).map { $0 })},
       "outputs": {"w": {"value": [0, 0, 0]}, "val_loss": {"value": 0}}}
      """
    let c = try ReferenceCase(json: Data(text.utf8), file: "wrt_X.json")
    let registry = FamilyRegistry()
    try StationarityFamilies.register(in: registry)
    let evaluation = try registry.evaluate(c)
    let w = try #require(evaluation.outputs["w"])
    let loss = try #require(evaluation.outputs["val_loss"])
    let θ = Vector(Array(p.θ.scalars.prefix(3)))

    func solve(_ X: Matrix<Double>) throws -> Vector<Double> {
      try Problems.argmin(try BinaryLogisticRegression(features: X, labels: p.y), θ, dimension: 3)
    }
    func validationLoss(_ w: Vector<Double>) -> Double {
      let z = Reference.matvec(Reference.rows(p.validationX), w.scalars)
      let losses = (0..<z.count).map { Reference.log1p(Reference.exp(-p.validationY[$0] * z[$0])) }
      return losses.reduce(0, +) / Double(z.count)
    }
    let flatX = Vector(p.X.scalars)
    let dwdX = try Problems.finiteDifferenceJacobian(at: flatX) { x in
      try solve(Matrix(rows: p.X.rows, columns: 3, scalars: x.scalars))
    }
    let computedX = try #require(w.jacobians["X"])
    #expect(computedX.shape == [3, p.X.rows, 3])
    #expect(Reference.relativeError(computedX.values, dwdX.flatMap { $0 }) < 1e-6)
    let dvaldX = try Problems.finiteDifferenceJacobian(at: flatX) { x in
      Vector([validationLoss(try solve(Matrix(rows: p.X.rows, columns: 3, scalars: x.scalars)))])
    }
    #expect(Reference.relativeError(try #require(loss.jacobians["X"]).values, dvaldX[0]) < 1e-6)
    let dwdθ = try Problems.finiteDifferenceJacobian(at: θ) { θ in
      try Problems.argmin(try BinaryLogisticRegression(features: p.X, labels: p.y), θ, dimension: 3)
    }
    #expect(Reference.relativeError(try #require(w.jacobians["theta"]).values, dwdθ.flatMap { $0 }) < 1e-6)
  }

  @Test func malformedCasesAreTypedErrors() throws {
    let registry = FamilyRegistry()
    try StationarityFamilies.register(in: registry)
    let base = #"""
      {"format": "implicit-case/1", "id": "bad", "family": "logistic-regression-l2",
       "data": {"X": [[1, 2], [3, 4]], "y": [1, LABEL], "X_val": [[1, 2]], "y_val": [1]},
       "theta": {THETA}, "outputs": {"w": {"value": [0, 0]}}}
      """#
    for (label, theta) in [
      ("0.5", #""theta": [1, 1]"#), ("-1", #""theta": [1, 1, 1]"#), ("-1", #""gamma": 1, "theta": 1"#),
    ] {
      let text = base.replacingOccurrences(of: "LABEL", with: label).replacingOccurrences(of: "THETA", with: theta)
      let c = try ReferenceCase(json: Data(text.utf8), file: "bad.json")
      #expect(throws: CaseFormatError.self) { try registry.evaluate(c) }
    }
  }

  @Test func implicitArgminFailsVisiblyWhenTheSolverDoesNot() throws {
    let p = try Problems.logistic()
    let fit = ImplicitFunction(
      minimizing: p.objective, stronglyConvex: true, solver: NewtonCG(tolerance: 1e-15, maxIterations: 1),
      initialGuess: Vector.zeros(p.X.columns))
    let values = fit(p.θ).scalars
    #expect(values.count == p.X.columns && values.allSatisfy { $0.isNaN })
  }
}
