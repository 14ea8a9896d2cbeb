import Dispatch

/// One benchmark workload of `../shared/benchmarks.md`: a problem, a solver run for a fixed
/// number of iterations (no early stopping), and three timings.
public struct Workload: Sendable {
  /// The workload id, e.g. `svm-md-p100`.
  public var id: String
  /// Iterations of the full run (JAXopt's count).
  public var iterations: Int
  /// Iterations with `--quick`.
  public var quickIterations: Int
  /// Whether `--quick` runs it at all.
  public var inQuickRun: Bool
  /// Runs the workload: `(iterations, runs, linear-solve tolerance) → result`. Timings are medians
  /// of `runs` after one warm-up.
  public var run: @Sendable (_ iterations: Int, _ runs: Int) throws -> WorkloadResult

  public init(
    id: String, iterations: Int, quickIterations: Int, inQuickRun: Bool,
    run: @escaping @Sendable (_ iterations: Int, _ runs: Int) throws -> WorkloadResult
  ) {
    self.id = id
    self.iterations = iterations
    self.quickIterations = quickIterations
    self.inQuickRun = inQuickRun
    self.run = run
  }
}

/// What a workload measured (the JSON fields of `implicit bench --json`).
public struct WorkloadResult: Sendable {
  public var workload: String
  public var iterations: Int
  /// The solver alone.
  public var forwardSeconds: Double
  /// Forward solve + implicit linear solve (at JAXopt's relative tolerance, 1e-5) + outer gradient.
  public var implicitSeconds: Double
  /// The same with the library's default linear-solve tolerance.
  public var implicitDefaultToleranceSeconds: Double?
  /// Reverse-mode differentiation through the iterations (`nil`: not run, with the reason in `notes`).
  public var unrolledSeconds: Double?
  /// The solver's final optimality error (its residual or step size).
  public var finalError: Double
  public var hypergradientImplicit: Double
  public var hypergradientUnrolled: Double?
  /// Free-form details (linear solver, iterations, why something was skipped).
  public var notes: [String]

  public init(
    workload: String, iterations: Int, forwardSeconds: Double, implicitSeconds: Double,
    implicitDefaultToleranceSeconds: Double?, unrolledSeconds: Double?, finalError: Double,
    hypergradientImplicit: Double, hypergradientUnrolled: Double?, notes: [String] = []
  ) {
    self.workload = workload
    self.iterations = iterations
    self.forwardSeconds = forwardSeconds
    self.implicitSeconds = implicitSeconds
    self.implicitDefaultToleranceSeconds = implicitDefaultToleranceSeconds
    self.unrolledSeconds = unrolledSeconds
    self.finalError = finalError
    self.hypergradientImplicit = hypergradientImplicit
    self.hypergradientUnrolled = hypergradientUnrolled
    self.notes = notes
  }

  /// `|implicit − unrolled| / |unrolled|`.
  public var hypergradientRelativeDifference: Double? {
    hypergradientUnrolled.map { abs(hypergradientImplicit - $0) / max(abs($0), 1e-300) }
  }
}

/// JAXopt 0.8.5's figures on this kind of machine (seconds, median), from `benchmarks.md`.
public struct JAXoptFigures: Sendable {
  public var forward: Double
  public var implicit: Double
  public var unrolled: Double?

  public static let table: [String: JAXoptFigures] = [
    "svm-md-p100": .init(forward: 0.0366, implicit: 0.381, unrolled: 0.223),
    "svm-pg-p100": .init(forward: 0.075, implicit: 0.135, unrolled: 0.289),
    "svm-bcd-p100": .init(forward: 0.0759, implicit: 0.126, unrolled: 0.335),
    "svm-md-p1000": .init(forward: 0.254, implicit: 1.04, unrolled: 1.34),
    "svm-pg-p1000": .init(forward: 0.333, implicit: 0.314, unrolled: 1.65),
    "svm-bcd-p1000": .init(forward: 0.287, implicit: 0.306, unrolled: 2.49),
    "svm-md-p5000": .init(forward: 1.88, implicit: 8.61, unrolled: 17.1),
    "svm-pg-p5000": .init(forward: 1.73, implicit: 1.99, unrolled: 13.6),
    "svm-bcd-p5000": .init(forward: 2.57, implicit: 2.83, unrolled: nil),
    "ridge-p1000": .init(forward: 0.031, implicit: 0.0345, unrolled: 0.518),
    "logistic-p1000": .init(forward: 0.0338, implicit: 0.0345, unrolled: 0.496),
    "ridge-p10000": .init(forward: 0.586, implicit: 0.539, unrolled: 9.33),
    "logistic-p10000": .init(forward: 0.844, implicit: 0.65, unrolled: 10.4),
    "lasso-p2000": .init(forward: 0.13, implicit: 0.141, unrolled: 2.04),
  ]
}

/// Median wall time of `body` over `runs` runs after one warm-up run.
public func medianTime(runs: Int, _ body: () throws -> Void) rethrows -> Double {
  try body()
  var times = [Double]()
  for _ in 0..<max(1, runs) {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
  }
  return times.sorted()[times.count / 2]
}

/// Keeps a value alive so the optimiser cannot drop the work that produced it.
@inline(never) public func blackHole<T>(_ x: T) { withExtendedLifetime(x) {} }
