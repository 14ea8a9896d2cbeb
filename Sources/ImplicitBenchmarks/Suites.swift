/// The benchmark suites of `implicit bench`.
public enum BenchmarkSuites {
  /// The workloads of `benchmarks.md`, timed like JAXopt's.
  public static var jaxopt: [Workload] { svmWorkloads + smoothWorkloads + lassoWorkloads }
}
