extension BenchmarkSuites {
  /// `lasso-pP` (not yet implemented in this build).
  static var lassoWorkloads: [Workload] { [] }
}
