extension BenchmarkSuites {
  /// `ridge-pP`, `logistic-pP` (not yet implemented in this build).
  static var smoothWorkloads: [Workload] { [] }
}
