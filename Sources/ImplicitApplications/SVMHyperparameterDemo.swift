extension Demos {
  /// `implicit demo svm-hyperparameters`: multiclass SVM regularisation tuned through its dual, three solvers, implicit vs unrolled.
  public static let svmHyperparameters = Demo(name: "svm-hyperparameters", summary: "multiclass SVM regularisation tuned through its dual, three solvers, implicit vs unrolled") {
    throw DemoNotAvailable(name: "svm-hyperparameters")
  }
}
