extension Demos {
  /// `implicit demo hyperparameters`: per-feature l2 strengths of ridge and logistic regression tuned by hypergradient descent.
  public static let hyperparameters = Demo(name: "hyperparameters", summary: "per-feature l2 strengths of ridge and logistic regression tuned by hypergradient descent") {
    throw DemoNotAvailable(name: "hyperparameters")
  }
}
