import Dispatch
import Foundation
import ImplicitCore
import ImplicitGradientStep
import ImplicitObjectives
import ImplicitProximal
import ImplicitSparse
import ImplicitStationarity
import _Differentiation

#if canImport(Darwin)
  import Darwin
#elseif canImport(Glibc)
  import Glibc
#endif

// MARK: - Sparse data (issue 11)

/// COO triplets `(row, column, value)`: what a user reads from a file before building a
/// ``SparseMatrix``.
struct COOTriplets {
  var rows: [Int]
  var columns: [Int]
  var values: [Double]

  /// The bytes of the three arrays.
  var bytes: Int { rows.count * MemoryLayout<Int>.stride * 2 + values.count * MemoryLayout<Double>.stride }

  /// The sparse matrix of these triplets (duplicated positions summed).
  func matrix(rows m: Int, columns p: Int) throws -> SparseMatrix {
    try SparseMatrix(rows: m, columns: p, rowIndices: rows, columnIndices: columns, values: values)
  }
}

/// The sparse workloads' data: `n` training and `n` validation rows, `p` features, each matrix
/// with `round(n·p·density)` standard-normal entries at uniformly random positions (duplicates are
/// summed by the COO constructor); `w_true` with 1% standard-normal nonzeros; regression targets
/// `y = X·w_true + 0.5·ε`, labels `sign(y)`; per-feature l2 strengths `θ` log-uniform in
/// `[1e-4, 1e-3]` (the logistic Hessian `XᵀDX/n` has eigenvalues up to about `3·10⁻³` here).
struct SparseRegressionData {
  let samples: Int
  let features: Int
  let train: COOTriplets
  let validation: COOTriplets
  let y: [Double]
  let validationY: [Double]
  let theta: [Double]

  var labels: [Double] { y.map { $0 >= 0 ? 1 : -1 } }
  var validationLabels: [Double] { validationY.map { $0 >= 0 ? 1 : -1 } }

  init(samples n: Int, features p: Int, density: Double) {
    var g = SeededGenerator(seed: 0x5BA2_5E00 &+ UInt64(p))
    let truth = (0..<p).map { _ in Double.random(in: 0..<1, using: &g) < 0.01 ? g.normal() : 0 }
    let count = Int((Double(n) * Double(p) * density).rounded())
    func draw() -> (COOTriplets, [Double]) {
      var rows = [Int](), columns = [Int](), values = [Double]()
      rows.reserveCapacity(count)
      columns.reserveCapacity(count)
      values.reserveCapacity(count)
      var y = [Double](repeating: 0, count: n)
      for _ in 0..<count {
        let (i, j, v) = (Int.random(in: 0..<n, using: &g), Int.random(in: 0..<p, using: &g), g.normal())
        rows.append(i)
        columns.append(j)
        values.append(v)
        y[i] += v * truth[j]
      }
      for i in 0..<n { y[i] += 0.5 * g.normal() }
      return (COOTriplets(rows: rows, columns: columns, values: values), y)
    }
    (train, y) = draw()
    (validation, validationY) = draw()
    let (lo, hi) = (log(1e-4), log(1e-3))
    theta = (0..<p).map { _ in exp(lo + (hi - lo) * Double.random(in: 0..<1, using: &g)) }
    samples = n
    features = p
  }
}

/// The sizes of the sparse workloads: the issue's, and a quick one for `--quick` runs.
struct SparseSize {
  var samples: Int
  var features: Int
  var density: Double
  var suffix: String

  static let full = SparseSize(samples: 20_000, features: 100_000, density: 0.001, suffix: "")
  static let quick = SparseSize(samples: 2_000, features: 10_000, density: 0.001, suffix: "-quick")
}

/// Seconds of one call of `body`.
func seconds<T>(_ body: () throws -> T) rethrows -> (T, Double) {
  let start = DispatchTime.now().uptimeNanoseconds
  let value = try body()
  return (value, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
}

/// The bytes of a CSR matrix `n × p` with `nonzeros` entries (what `SparseMatrix.storageBytes` counts).
func csrBytes(rows n: Int, nonzeros: Int) -> Double {
  Double((n + 1) * MemoryLayout<Int>.stride + nonzeros * (MemoryLayout<Int>.stride + MemoryLayout<Double>.stride))
}

/// `sparse-lasso` and `sparse-logistic` (and their `-quick` sizes).
func sparseWorkloads() -> [Workload] {
  var workloads = [Workload]()
  for size in [SparseSize.full, .quick] {
    let cache = SparseDataCache(size)
    let (n, p) = (size.samples, size.features)
    let nonzeros = Int((Double(n) * Double(p) * size.density).rounded())
    // Duplicated positions (about nonzeros²/(2np) of them) are summed: the CSR is that much smaller.
    let bytes = csrBytes(rows: n, nonzeros: nonzeros)
    let quick = size.suffix == "-quick"
    workloads.append(
      Workload(
        id: "sparse-lasso" + size.suffix, iterations: quick ? 100 : 200, quickIterations: 100, inQuickRun: quick,
        quickOnly: quick, bytesPerIteration: bytes, bytesPerLinearIteration: bytes, bytesOuter: 2 * bytes,
        bytesNote:
          "the CSR arrays of X (row starts, column indices, values) once per FISTA gradient Xᵀ(Xw − y) (one "
          + "fused row pass) and once per CG iteration on the support-restricted symmetric system (XᵀXv, one "
          + "fused pass); the outer gradient reads X_val once and the θ = (y, λ) product X once; n- and "
          + "p-long vectors not counted",
        workingSetBytes: bytes,
        arrays: { sparseArrays(cache.data(), lasso: true) },
        make: { iterations in sparseLasso(cache.data(), iterations: iterations) }))
    workloads.append(
      Workload(
        id: "sparse-logistic" + size.suffix, iterations: 100, quickIterations: 100, inQuickRun: quick,
        quickOnly: quick, bytesPerIteration: bytes, bytesPerLinearIteration: bytes, bytesOuter: bytes,
        bytesNote:
          "the CSR arrays of −diag(y)X once per accelerated gradient step (softplus value and gradient in one "
          + "fused row pass) and once per CG iteration (XᵀDXv/n, one fused pass); the outer gradient reads "
          + "X_val once; n- and p-long vectors not counted",
        workingSetBytes: bytes,
        arrays: { sparseArrays(cache.data(), lasso: false) },
        make: { iterations in sparseLogistic(cache.data(), iterations: iterations) }))
  }
  return workloads
}

/// The data of one size, drawn once and shared by both workloads of that size.
final class SparseDataCache {
  let size: SparseSize
  private var cached: SparseRegressionData?
  init(_ size: SparseSize) { self.size = size }
  func data() -> SparseRegressionData {
    if let d = cached { return d }
    let d = SparseRegressionData(samples: size.samples, features: size.features, density: size.density)
    cached = d
    return d
  }
}

/// The exported arrays: the COO triplets (indices as float64, exact below 2⁵³) of the CSR the
/// suite builds (duplicates already summed, so every framework reads the same matrix), targets or
/// labels, and `λ` or `θ`.
func sparseArrays(_ d: SparseRegressionData, lasso: Bool) -> [(name: String, values: [Double], shape: [Int])] {
  let (n, p) = (d.samples, d.features)
  guard let X = try? d.train.matrix(rows: n, columns: p), let Xv = try? d.validation.matrix(rows: n, columns: p)
  else { fail("sparse data: invalid triplets") }
  func triplets(_ name: String, _ m: SparseMatrix) -> [(name: String, values: [Double], shape: [Int])] {
    var rows = [Double]()
    rows.reserveCapacity(m.nonzeroCount)
    for i in 0..<m.rows { for _ in m.rowStarts[i]..<m.rowStarts[i + 1] { rows.append(Double(i)) } }
    let count = m.nonzeroCount
    return [
      (name + "_rows", rows, [count]), (name + "_cols", m.columnIndices.map(Double.init), [count]),
      (name + "_vals", m.values, [count]),
    ]
  }
  var arrays = triplets("X", X) + triplets("X_val", Xv)
  arrays.append(("shape", [Double(n), Double(p)], [2]))
  // The step 1/L of both sides is the suite's L (Lanczos), so that the iterates agree.
  if lasso {
    let λ = 0.05 * X.transposedProduct(Vector(d.y)).scalars.map(abs).max()!
    let L = (try? LeastSquares(A: X))?.gradientLipschitzConstant(Vector(d.y)) ?? .nan
    arrays += [("y", d.y, [n]), ("y_val", d.validationY, [n]), ("lambda", [λ], [1]), ("lipschitz", [L], [1])]
  } else {
    let f = try? BinaryLogisticRegression(features: X, labels: Vector(d.labels))
    let L = f?.gradientLipschitzConstant(Vector(d.theta)) ?? .nan
    arrays += [
      ("y", d.labels, [n]), ("y_val", d.validationLabels, [n]), ("theta", d.theta, [p]), ("lipschitz", [L], [1]),
    ]
  }
  return arrays
}

/// `sparse-lasso`: `x*(λ) = argmin ½‖Xw − y‖² + λ‖w‖₁` on a `SparseMatrix`, `λ = 0.05·λ_max`
/// (`λ_max = ‖Xᵀy‖_∞`), as `ProximalGradientCondition(LeastSquares(A: X), LassoProximal())` with
/// `θ = (y, λ)`; FISTA with step `1/‖X‖₂²` and fixed iterations; outer loss the validation MSE
/// `½·mean((X_val·w − y_val)²)`; the hypergradient is the λ entry of the VJP.
///
/// Setup (timed once, reported as `setup_s`, not in the timed calls): the two `SparseMatrix`
/// from COO, `λ_max`, and the objective with its Lipschitz constant (Lanczos on `XᵀX`, cached by
/// the objective). The timed calls build the condition and solver from them.
func sparseLasso(_ d: SparseRegressionData, iterations: Int) -> WorkloadRun {
  let (n, p) = (d.samples, d.features)
  let setUp = Result {
    try seconds { () throws -> (SparseMatrix, SparseMatrix, LeastSquares, Double, Double) in
      let X = try d.train.matrix(rows: n, columns: p)
      let Xv = try d.validation.matrix(rows: n, columns: p)
      let λ = 0.05 * X.transposedProduct(Vector(d.y)).scalars.map(abs).max()!
      let f = try LeastSquares(A: X)
      return (X, Xv, f, λ, 1 / f.gradientLipschitzConstant(Vector(d.y)))
    }
  }
  guard case .success(let ((X, Xv, f, λ, η), setupSeconds)) = setUp else {
    return failedRun(setUp.map { _ in () })
  }
  let b = Vector(d.y), yv = Vector(d.validationY)
  let x0 = Vector<Double>.zeros(p)

  /// `∇ ½·mean((X_val·w − y_val)²) = X_valᵀ(X_val·w − y_val)/n`: one fused pass.
  func outerGradient(_ w: Vector<Double>) -> Vector<Double> { Xv.normalProduct(w, minus: yv).product / Double(n) }

  func condition() throws -> (ProximalGradientCondition<LeastSquares, LassoProximal>, Vector<Double>) {
    let lasso = try ProximalGradientCondition(
      objective: f, prox: LassoProximal(), objectiveParameterCount: n, proxParameter: Vector([λ]), stepSize: η)
    return (lasso, lasso.packParameters(objective: b, prox: Vector([λ])))
  }
  let solver = FISTA.fixedIterations(iterations, stepSize: η)
  func forward() throws -> (solution: Vector<Double>, error: Double) {
    let (lasso, θ) = try condition()
    let result = try solver.solve(lasso, θ, from: x0)
    return (try result.converged(), result.residual)
  }
  func implicit(_ options: ImplicitOptions, at w: Vector<Double>? = nil) throws -> Hypergradient {
    let (lasso, θ) = try condition()
    let w = try w ?? solver.solve(lasso, θ, from: x0).converged()
    let derivative = try ImplicitDifferentiator(lasso, options: options).vjp(outerGradient(w), at: w, θ)
    return hypergradient(derivative.value.scalars, derivative.diagnostics)
  }
  return WorkloadRun(
    forward: forward, implicit: { try implicit($0) }, unrolled: nil,
    unrolledUnavailable: "not run at this scale (the JAXopt anchor times implicit differentiation only)",
    reference: {
      try implicit(
        ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12)), at: try forward().solution)
    },
    reportedEntry: n,
    extra: sparseExtra(X, Xv, d, setupSeconds, λ: λ, note: "two SparseMatrix from COO, λ_max, ‖X‖₂² by Lanczos"))
}

/// `sparse-logistic`: `w*(θ) = argmin mean softplus(−yᵢ⟨xᵢ, w⟩) + ½Σⱼθⱼwⱼ²` on a `SparseMatrix`
/// (`BinaryLogisticRegression`, per-feature strengths `θ ∈ ℝᵖ`), accelerated gradient descent with
/// step `1/L` and fixed iterations, the stationarity condition (SPD Hessian: CG); outer loss the
/// validation logistic loss. Setup as `sparse-lasso`'s (both objectives and `L`, outside the timed calls).
func sparseLogistic(_ d: SparseRegressionData, iterations: Int) -> WorkloadRun {
  let (n, p) = (d.samples, d.features)
  let θ = Vector(d.theta)
  let setUp = Result {
    try seconds { () throws -> (SparseMatrix, SparseMatrix, BinaryLogisticRegression, BinaryLogisticRegression) in
      let X = try d.train.matrix(rows: n, columns: p)
      let Xv = try d.validation.matrix(rows: n, columns: p)
      let f = try BinaryLogisticRegression(features: X, labels: Vector(d.labels))
      _ = f.gradientLipschitzConstant(θ)  // cached by the objective
      return (X, Xv, f, try BinaryLogisticRegression(features: Xv, labels: Vector(d.validationLabels)))
    }
  }
  guard case .success(let ((X, Xv, f, validation), setupSeconds)) = setUp else {
    return failedRun(setUp.map { _ in () })
  }
  let x0 = Vector<Double>.zeros(p), zero = Vector([0.0])
  let solver = GradientDescent.accelerated(mode: .fixedIterations(iterations))
  func forward() throws -> (solution: Vector<Double>, error: Double) {
    let result = try solver.solve(f, θ, from: x0)
    return (try result.converged(), result.residual)
  }
  func implicit(_ options: ImplicitOptions, at w: Vector<Double>? = nil) throws -> Hypergradient {
    let w = try w ?? solver.solve(f, θ, from: x0).converged()
    let derivative = try ImplicitDifferentiator(StationarityCondition(f, stronglyConvex: true), options: options)
      .vjp(validation.gradient(at: w, zero), at: w, θ)
    return hypergradient(derivative.value.scalars, derivative.diagnostics)
  }
  return WorkloadRun(
    forward: forward, implicit: { try implicit($0) }, unrolled: nil,
    unrolledUnavailable: "not run at this scale (the JAXopt anchor times implicit differentiation only)",
    reference: {
      try implicit(
        ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12)), at: try forward().solution)
    },
    reportedEntry: nil,
    extra: sparseExtra(
      X, Xv, d, setupSeconds, λ: nil, note: "two SparseMatrix from COO, both objectives, ‖X‖₂² by Lanczos"))
}

/// A run whose set-up threw: every body rethrows the error.
func failedRun(_ error: Result<Void, any Error>) -> WorkloadRun {
  let fail = { () throws -> Never in
    try error.get()
    throw ImplicitError.invalidArgument("set-up failed")
  }
  return WorkloadRun(
    forward: { try fail() }, implicit: { _ in try fail() }, unrolled: nil, unrolledUnavailable: "set-up failed",
    reference: { try fail() }, reportedEntry: nil)
}

/// The JSON fields of a sparse workload beside the timings: shapes, nonzeros, CSR and COO bytes,
/// the setup time.
func sparseExtra(
  _ X: SparseMatrix, _ Xv: SparseMatrix, _ d: SparseRegressionData, _ setup: Double, λ: Double?, note: String
) -> [String: Any] {
  var extra: [String: Any] = [
    "samples": d.samples, "features": d.features, "nonzeros": X.nonzeroCount,
    "validation_nonzeros": Xv.nonzeroCount, "csr_bytes": X.storageBytes + Xv.storageBytes,
    "coo_bytes": d.train.bytes + d.validation.bytes, "setup_s": setup,
    "setup_note": "not in the timed calls: " + note,
  ]
  if let λ { extra["lambda"] = λ }
  return extra
}

// MARK: - Peak memory

/// A field of `/proc/self/status` in bytes (`VmHWM`, `VmRSS`: Linux), `nil` without one.
func procStatusBytes(_ field: String) -> Int? {
  guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
    let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
    let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
  else { return nil }
  return kilobytes * 1024
}

/// The process's peak resident set size in bytes: `VmHWM` on Linux (the high-water mark of this
/// process image: `ru_maxrss` there carries the parent's peak across fork and exec), else
/// `getrusage` (`ru_maxrss` in bytes on Darwin).
func peakResidentBytes() -> Int {
  if let hwm = procStatusBytes("VmHWM") { return hwm }
  var usage = rusage()
  #if canImport(Darwin)
    guard getrusage(RUSAGE_SELF, &usage) == 0 else { return -1 }
    return Int(usage.ru_maxrss)
  #else
    guard getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage) == 0 else { return -1 }
    return Int(usage.ru_maxrss) * 1024
  #endif
}

/// The current resident set size in bytes (`VmRSS` where there is one, else the peak so far).
func currentResidentBytes() -> Int { procStatusBytes("VmRSS") ?? peakResidentBytes() }

/// `benchmarks --peak-memory ID`: in this (fresh) process, draws the data (the user's COO
/// arrays), then runs setup, one forward solve and one implicit hypergradient at tol 1e-5 and one
/// with the library's default options, and prints one JSON object: the peak RSS, the RSS after
/// the setup, and the bytes it compares with.
func peakMemoryReport(_ w: Workload) -> [String: Any] {
  let baseline = currentResidentBytes()
  let iterations = w.iterations
  let run = w.make(iterations)  // draws the data (COO), then the setup (CSR, objectives)
  let afterSetup = currentResidentBytes()
  var status = "ok"
  do {
    _ = try run.forward()
    _ = try run.implicit(
      ImplicitOptions(
        linearSolver: AutomaticLinearSolver(relativeTolerance: jaxoptTolerance),
        policy: DerivativePolicy(linearSolveFailure: .flag, certificate: .estimated)))
    // The library's default options too (tolerance 1e-10, measured certificate).
    _ = try run.implicit(ImplicitOptions(policy: DerivativePolicy(linearSolveFailure: .flag)))
  } catch {
    status = "\(error)"
  }
  let peak = peakResidentBytes()
  let csr = run.extra["csr_bytes"] as? Int ?? 0, coo = run.extra["coo_bytes"] as? Int ?? 0
  let samples = run.extra["samples"] as? Int ?? 0, features = run.extra["features"] as? Int ?? 0
  // What the issue allows above the process's baseline and the user's COO arrays: 3× the CSR
  // bytes plus O(n + p) vectors (counted here as 64 vectors of each length).
  let vectors = 64 * 8 * (2 * samples + features)
  let above = peak - baseline - coo
  return [
    "workload": w.id, "status": status, "peak_rss_bytes": peak, "baseline_rss_bytes": baseline,
    "rss_after_setup_bytes": afterSetup, "csr_bytes": csr, "coo_bytes": coo,
    "peak_above_baseline_and_coo_bytes": above, "peak_above_baseline_and_coo_per_csr": Double(above) / Double(csr),
    "allowed_bytes": 3 * csr + vectors, "allowed_note": "3× CSR bytes + 64 vectors of length n and p (8 B each)",
    "within_bound": above <= 3 * csr + vectors,
  ]
}

/// Runs `benchmarks --peak-memory ID` in a child process and returns its JSON (or an error record).
func peakMemoryInChild(_ id: String) -> [String: Any] {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
  if !FileManager.default.fileExists(atPath: process.executableURL!.path) {
    process.executableURL = Bundle.main.executableURL
  }
  process.arguments = ["--peak-memory", id]
  let pipe = Pipe()
  process.standardOutput = pipe
  do {
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard
      let line = String(data: data, encoding: .utf8)?.split(separator: "\n").last,
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    else { return ["status": "no JSON from the child process"] }
    return object
  } catch {
    return ["status": "child process failed: \(error)"]
  }
}
