extension Demos {
  /// `implicit demo dictionary-learning`: task-driven dictionary learning with elastic-net codes vs plain dictionary learning (held-out AUC).
  public static let dictionaryLearning = Demo(name: "dictionary-learning", summary: "task-driven dictionary learning with elastic-net codes vs plain dictionary learning (held-out AUC)") {
    throw DemoNotAvailable(name: "dictionary-learning")
  }
}
