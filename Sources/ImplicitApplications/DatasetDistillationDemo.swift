extension Demos {
  /// `implicit demo dataset-distillation`: one learned image per digit class such that logistic regression trained on them classifies real digits.
  public static let datasetDistillation = Demo(name: "dataset-distillation", summary: "one learned image per digit class such that logistic regression trained on them classifies real digits") {
    throw DemoNotAvailable(name: "dataset-distillation")
  }
}
