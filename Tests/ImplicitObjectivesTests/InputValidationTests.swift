import ImplicitCore
import ImplicitObjectives
import Testing

/// Bad input is a typed error, never a trap.
@Suite struct InputValidationTests {
  let X = Matrix<Double>([[1, 2], [3, 4], [5, 6]])

  @Test func labelsThatAreNotSignsAreRejected() {
    #expect(throws: ImplicitError.self) { try BinaryLogisticRegression(features: X, labels: Vector([1, 0, -1])) }
    #expect(throws: ImplicitError.self) { try SquaredHingeLoss(features: X, labels: Vector([1, 2, -1])) }
  }

  @Test func mismatchedShapesAreRejected() throws {
    #expect(throws: ImplicitError.self) { try RidgeRegression(A: X, b: Vector([1, 2])) }
    #expect(throws: ImplicitError.self) {
      try L2MulticlassLogisticRegression(features: X, labels: Vector([0, 1]), classes: 2)
    }
    let f = try RidgeRegression(A: X, b: Vector([1, 2, 3]))
    #expect(throws: ImplicitError.self) { try f.validate(Vector([1, 2, 3]), Vector([1])) }
    #expect(throws: ImplicitError.self) { try f.validate(Vector([1, 2]), Vector([1, 2, 3])) }
    try f.validate(Vector([1, 2]), Vector([1, 2]))
    try f.validate(Vector([1, 2]), Vector([1]))
  }

  @Test func invalidSettingsAndDataAreRejected() {
    #expect(throws: ImplicitError.self) { try HuberRegression(A: X, b: Vector([1, 2, 3]), delta: 0) }
    #expect(throws: ImplicitError.self) { try LeastSquares(A: Matrix([[1, .nan]])) }
    #expect(throws: ImplicitError.self) { try SoftmaxCrossEntropy(features: X, classes: 1) }
    #expect(throws: ImplicitError.self) {
      try FenchelYoungLoss(features: X, targets: Matrix([[0.5, 0.6], [1, 0], [0, 1]]), regularizer: .squaredNorm)
    }
    #expect(throws: ImplicitError.self) {
      try SparsemaxLoss(features: X, labels: Vector([0, 1, 2.5]), classes: 3)
    }
  }
}
