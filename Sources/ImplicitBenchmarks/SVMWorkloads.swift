extension BenchmarkSuites {
  /// `svm-md-pP`, `svm-pg-pP`, `svm-bcd-pP` (not yet implemented in this build).
  static var svmWorkloads: [Workload] { [] }
}
