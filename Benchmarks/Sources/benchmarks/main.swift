import Foundation
import ImplicitCore

/// `benchmarks` — the workloads of `../shared/benchmarks.md`, written with the library's public API.
let usage = """
  USAGE: benchmarks [--quick] [--runs N] [--only ID[,ID...]] [--json FILE] [--export-data DIR] [--no-unrolled] [--no-reference] [--products] [--peak-memory ID]

    --quick            the quick sizes and iteration counts of benchmarks.md (no batch workloads)
    --runs N           timed rounds after one warm-up (default 5); medians are reported
    --only IDS         comma-separated workload ids (unknown id: exit 2 with the list)
    --json FILE        write the results as JSON (the schema of benchmarks.md plus extra fields)
    --export-data DIR  write each selected workload's arrays as .npy (float64) into DIR/<id>/ and exit
    --no-unrolled      skip the unrolled hypergradient (it dominates the run time)
    --no-reference     skip the untimed tight-tolerance reference hypergradient (e.g. for profiling)
    --products         time one call of each objective's gradient / gradientJVP / gradientPullback and exit
    --peak-memory ID   run one sparse workload once (setup, forward, implicit) and print its peak RSS as JSON
                       (a full run does this in a child process for each sparse workload)
  """

/// Writes a line to standard output unbuffered, so that progress shows when the output is piped.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func fail(_ message: String, code: Int32 = 2) -> Never {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var quick = false, noUnrolled = false, noReference = false, products = false
var runs = 5
var only: [String]?
var jsonPath: String?
var exportDirectory: String?
var peakMemoryID: String?
while let argument = arguments.first {
  arguments.removeFirst()
  func value() -> String {
    guard let v = arguments.first else { fail("\(argument) needs a value\n\n\(usage)") }
    arguments.removeFirst()
    return v
  }
  switch argument {
  case "--quick": quick = true
  case "--no-unrolled": noUnrolled = true
  case "--no-reference": noReference = true
  case "--products": products = true
  case "--runs":
    guard let n = Int(value()), n > 0 else { fail("--runs needs a positive integer") }
    runs = n
  case "--only": only = value().split(separator: ",").map(String.init)
  case "--json": jsonPath = value()
  case "--export-data": exportDirectory = value()
  case "--peak-memory": peakMemoryID = value()
  case "--help", "-h":
    say(usage)
    exit(0)
  default: fail("unknown argument \(argument)\n\n\(usage)")
  }
}

if products {
  say("one call of each derivative product (median µs):")
  let rows = runProductTimings()
  if let jsonPath {
    do {
      try JSONSerialization.data(withJSONObject: ["products": rows], options: [.prettyPrinted, .sortedKeys])
        .write(to: URL(fileURLWithPath: jsonPath))
    } catch {
      fail("cannot write \(jsonPath): \(error)", code: 1)
    }
  }
  exit(0)
}

let workloads = allWorkloads()
if let peakMemoryID {
  guard let w = workloads.first(where: { $0.id == peakMemoryID }) else { fail("unknown workload \"\(peakMemoryID)\"") }
  let report = peakMemoryReport(w)
  guard let line = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) else {
    fail("peak memory: no JSON", code: 1)
  }
  say(String(decoding: line, as: UTF8.self))
  exit(0)
}
if let only {
  let known = Set(workloads.map(\.id) + batchWorkloadIDs)
  for id in only where !known.contains(id) {
    fail("unknown workload \"\(id)\"; available: \((workloads.map(\.id) + batchWorkloadIDs).joined(separator: ", "))")
  }
}
let selected = workloads.filter { w in
  if let only { return only.contains(w.id) }
  return quick ? w.inQuickRun : !w.quickOnly
}

if let exportDirectory {
  let root = URL(fileURLWithPath: exportDirectory)
  for w in selected {
    let folder = root.appendingPathComponent(w.id)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for array in w.arrays() {
        try writeNPY(array.values, shape: array.shape, to: folder.appendingPathComponent(array.name + ".npy"))
      }
      let meta: [String: Any] = ["workload": w.id, "iterations": w.iterations, "quick_iterations": w.quickIterations]
      try JSONSerialization.data(withJSONObject: meta, options: [.prettyPrinted, .sortedKeys])
        .write(to: folder.appendingPathComponent("workload.json"))
      say("wrote \(folder.path)")
    } catch {
      fail("export of \(w.id) failed: \(error)", code: 1)
    }
  }
  for id in batchWorkloadIDs where only?.contains(id) ?? false {
    let folder = root.appendingPathComponent(id)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      for array in try batchWorkloadArrays(id) {
        try writeNPY(array.values, shape: array.shape, to: folder.appendingPathComponent(array.name + ".npy"))
      }
      say("wrote \(folder.path)")
    } catch {
      fail("export of \(id) failed: \(error)", code: 1)
    }
  }
  exit(0)
}

let bandwidth = BandwidthProbe.measure()
// Data that fits in the last-level cache streams from there, not from memory.
let cacheBandwidth = BandwidthProbe.measure(megabytes: 4, trials: 25)
let cacheLimit = 24.0 * 1024 * 1024
say(
  String(
    format: "cache bandwidth (4 MB, for working sets up to %.0f MiB): %.1f GB/s on one thread, %.1f GB/s on %d threads",
    cacheLimit / 1024 / 1024, cacheBandwidth.oneThread, cacheBandwidth.allCores, cacheBandwidth.threads))
say(
  String(
    format: "memory bandwidth (streaming sum over %d MB): %.1f GB/s on one thread, %.1f GB/s on %d threads",
    bandwidth.bytes >> 20, bandwidth.oneThread, bandwidth.allCores, bandwidth.threads))
let memoryBandwidth = max(bandwidth.oneThread, bandwidth.allCores) * 1e9

func format(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
func formatShort(_ x: Double?) -> String { x.map { String(format: "%.1e", $0) } ?? "n/a" }
/// What a derivative's diagnostics say beside its solve: a failed solve, or a flag from the bound.
func status(_ h: Hypergradient) -> String {
  if !h.converged { return " (linear solve NOT converged)" }
  return h.reliable ? "" : " (flagged: relative error bound \(formatShort(h.relativeErrorEstimate)))"
}

var results = [[String: Any]]()
var failures = 0
say("runs: \(runs) timed rounds after a warm-up, alternating the columns; median [min–max] seconds\n")
for w in selected {
  let iterations = quick ? w.quickIterations : w.iterations
  let run = w.make(iterations)
  do {
    var solution: (solution: Vector<Double>, error: Double)?
    var tight: Hypergradient?
    var library: Hypergradient?
    var unrolled: [Double]?
    // JAXopt's solve tolerance with the library's automatic solver: CG on the symmetric
    // reformulation for the gradient-step conditions, CG for ridge and logistic, GMRES otherwise.
    let jaxoptOptions = ImplicitOptions(
      linearSolver: AutomaticLinearSolver(relativeTolerance: jaxoptTolerance),
      // Like JAXopt, return what the budget reached when the solve stops short (flagged in the JSON),
      // with the certificate the docs teach for hypergradient loops (no extra solves).
      policy: DerivativePolicy(linearSolveFailure: .flag, certificate: .estimated))
    var bodies: [() throws -> Void] = [
      { solution = try run.forward() },
      { tight = try run.implicit(jaxoptOptions) },
      { library = try run.implicit(ImplicitOptions(policy: DerivativePolicy(linearSolveFailure: .flag))) },
    ]
    let unrolledRun = noUnrolled ? nil : run.unrolled
    if let unrolledRun { bodies.append { unrolled = try unrolledRun() } }
    let times = try alternatingTimes(runs: runs, bodies)
    guard let solution, let tight, let library else { continue }
    let reference = noReference ? tight : try run.reference()
    func scalar(_ g: [Double]) -> Double {
      run.reportedEntry.map { g[$0] } ?? g.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }
    let floorBandwidth =
      w.workingSetBytes <= cacheLimit ? max(cacheBandwidth.oneThread, cacheBandwidth.allCores) * 1e9 : memoryBandwidth
    let forwardFloor = Double(iterations) * w.bytesPerIteration / floorBandwidth
    let implicitFloor =
      forwardFloor + (Double(tight.linearIterations) * w.bytesPerLinearIteration + w.bytesOuter) / floorBandwidth
    let medians = times.map(median)
    var result: [String: Any] = [
      "workload": w.id, "iterations": iterations,
      "forward_s": medians[0], "implicit_s": medians[1], "implicit_default_tolerance_s": medians[2],
      "forward_samples_s": times[0], "implicit_samples_s": times[1], "implicit_default_tolerance_samples_s": times[2],
      "final_error": solution.error,
      "hypergradient_implicit": scalar(tight.value),
      "hypergradient_implicit_default_tolerance": scalar(library.value),
      "hypergradient_reference": scalar(reference.value),
      "implicit_vs_reference_rel_diff": relativeDifference(tight.value, reference.value),
      "implicit_default_vs_reference_rel_diff": relativeDifference(library.value, reference.value),
      "reference_linear_solve": noReference ? "skipped (--no-reference)" : reference.linearMethod,
      "linear_solve": tight.linearMethod, "linear_iterations": tight.linearIterations,
      "linear_solve_converged": tight.converged, "default_linear_solve_converged": library.converged,
      "reliable": tight.reliable, "default_reliable": library.reliable,
      "relative_error_estimate": tight.relativeErrorEstimate,
      "default_relative_error_estimate": library.relativeErrorEstimate,
      "default_linear_solve": library.linearMethod, "default_linear_iterations": library.linearIterations,
      "bytes_per_iteration": w.bytesPerIteration, "bytes_per_linear_iteration": w.bytesPerLinearIteration,
      "bytes_note": w.bytesNote, "working_set_bytes": w.workingSetBytes, "floor_bandwidth_GBps": floorBandwidth / 1e9,
      "forward_floor_s": forwardFloor, "implicit_floor_s": implicitFloor,
    ]
    result.merge(run.extra) { old, _ in old }
    if w.id.hasPrefix("sparse-") {
      let memory = peakMemoryInChild(w.id)
      result["peak_memory"] = memory
      func mebibytes(_ key: String) -> String { String(format: "%.0f", Double(memory[key] as? Int ?? 0) / 1_048_576) }
      say(
        "  peak RSS \(mebibytes("peak_rss_bytes")) MiB (baseline \(mebibytes("baseline_rss_bytes")) MiB, COO "
          + "\(mebibytes("coo_bytes")) MiB): the rest is "
          + String(format: "%.2f", memory["peak_above_baseline_and_coo_per_csr"] as? Double ?? .nan)
          + "× the CSR bytes (\(mebibytes("csr_bytes")) MiB) \(memory["status"] as? String ?? "?")")
    }
    if let setup = run.extra["setup_s"] as? Double {
      say(String(format: "  setup      %.4f (once, not in the timed calls)", setup))
    }
    if let unrolled {
      result["unrolled_s"] = medians[3]
      result["unrolled_samples_s"] = times[3]
      result["hypergradient_unrolled"] = scalar(unrolled)
      result["implicit_vs_unrolled_rel_diff"] = relativeDifference(tight.value, unrolled)
    } else {
      result["unrolled_s"] = NSNull()
      result["hypergradient_unrolled"] = NSNull()
      result["unrolled_note"] = noUnrolled ? "skipped (--no-unrolled)" : (run.unrolledUnavailable ?? "n/a")
    }
    results.append(result)
    let spread = { (i: Int) in
      String(format: "%.4f [%.4f–%.4f]", medians[i], times[i].min()!, times[i].max()!)
    }
    say("\(w.id)  T=\(iterations)")
    say("  forward    \(spread(0))   floor \(format(forwardFloor)) (\(formatShort(w.bytesPerIteration)) B/iter)")
    say(
      "  implicit   \(spread(1))   floor \(format(implicitFloor))   \(tight.linearMethod) 1e-5, \(tight.linearIterations) it\(status(tight))"
    )
    say(
      "  implicit*  \(spread(2))   library default \(library.linearMethod), \(library.linearIterations) it\(status(library))"
    )
    if unrolled != nil {
      say("  unrolled   \(spread(3))")
    } else {
      say("  unrolled   n/a: \(result["unrolled_note"]!)")
    }
    say(
      "  hypergradient \(scalar(tight.value)), vs reference (\(reference.linearMethod)) "
        + "\(formatShort(relativeDifference(tight.value, reference.value))) (default tol: "
        + "\(formatShort(relativeDifference(library.value, reference.value)))), vs unrolled "
        + "\(formatShort(unrolled.map { relativeDifference(tight.value, $0) })); final error \(formatShort(solution.error))"
    )
  } catch {
    failures += 1
    say("\(w.id): FAILED: \(error)")
    results.append(["workload": w.id, "iterations": iterations, "error": "\(error)"])
  }
}

// Batches of problems (issue 11): timed on one thread and on every core.
for id in batchWorkloadIDs where only.map({ $0.contains(id) }) ?? !quick {
  do {
    results.append(try runBatchWorkload(id, runs: runs))
  } catch {
    failures += 1
    say("\(id): FAILED: \(error)")
    results.append(["workload": id, "error": "\(error)"])
  }
}

if let jsonPath {
  var machine: [String: Any] = [
    "cores": ProcessInfo.processInfo.activeProcessorCount,
    "memory_bytes": ProcessInfo.processInfo.physicalMemory,
    "os": ProcessInfo.processInfo.operatingSystemVersionString,
    "bandwidth_one_thread_GBps": bandwidth.oneThread, "bandwidth_all_cores_GBps": bandwidth.allCores,
    "bandwidth_probe_bytes": bandwidth.bytes,
    "cache_bandwidth_one_thread_GBps": cacheBandwidth.oneThread,
    "cache_bandwidth_all_cores_GBps": cacheBandwidth.allCores,
  ]
  if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
    let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") })
  {
    machine["cpu"] = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
  }
  let document: [String: Any] = [
    "machine": machine, "runs": runs, "quick": quick,
    "date": ISO8601DateFormatter().string(from: Date()), "results": results,
  ]
  do {
    try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
      .write(to: URL(fileURLWithPath: jsonPath))
  } catch {
    fail("cannot write \(jsonPath): \(error)", code: 1)
  }
}
exit(failures == 0 ? 0 : 1)
