import Foundation
import ImplicitBenchmarks
import ImplicitCore

/// `implicit bench [core | jaxopt | all] [--json] [--quick] [--runs N] [--only ID]`.
/// Timings are reported, never asserted; each is the median of N runs after one warm-up.
@MainActor func runBench(_ arguments: [String]) -> Int32 {
  let options: Options
  let runs: Int
  do {
    options = try Options(arguments, flags: ["--json", "--quick"], valued: ["--runs", "--only"])
    runs = try options.int("--runs", default: 3)
  } catch {
    printError("\(error)")
    return 2
  }
  let suite = options.positional.first ?? "jaxopt"
  guard ["core", "jaxopt", "all"].contains(suite) else {
    printError("unknown benchmark suite \"\(suite)\" (available: core, jaxopt, all)")
    return 2
  }
  let quick = options.flags.contains("--quick")
  var core = [[String: any Sendable]]()
  if suite != "jaxopt" { core = BenchmarkSuites.core(quick: quick, runs: runs) }
  var results = [WorkloadResult]()
  var failures = [String]()
  if suite != "core" {
    for w in BenchmarkSuites.jaxopt
    where (!quick || w.inQuickRun) && (options.values["--only"].map { w.id.hasPrefix($0) } ?? true) {
      do {
        let r = try w.run(quick ? w.quickIterations : w.iterations, runs)
        results.append(r)
        if !options.flags.contains("--json") { printWorkload(r) }
      } catch {
        failures.append("\(w.id): \(error)")
        printError("\(w.id): \(error)")
      }
    }
  }
  let machine: [String: Any] = [
    "cores": ProcessInfo.processInfo.activeProcessorCount,
    "memory_gib": (Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded(),
    "threads_used": Kernels.threadCount, "runs": runs, "quick": quick,
  ]
  if options.flags.contains("--json") {
    let root: [String: Any] = [
      "machine": machine, "core": core.map { $0.mapValues { $0 as Any } },
      "results": results.map(json), "errors": failures,
    ]
    if let data = try? JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]) {
      print(String(data: data, encoding: .utf8)!)
    }
  } else {
    for r in core {
      let rest = r.filter { $0.key != "benchmark" }.sorted { $0.key < $1.key }
        .map { "\($0.key)=\(($0.value as? Double).map { String(format: "%.4g", $0) } ?? "\($0.value)")" }
      print("\(r["benchmark"]!):  " + rest.joined(separator: "  "))
    }
  }
  return failures.isEmpty ? 0 : 1
}

func printWorkload(_ r: WorkloadResult) {
  let jax = JAXoptFigures.table[r.workload]
  func cell(_ ours: Double?, _ theirs: Double?) -> String {
    guard let ours else { return "—" }
    return String(format: "%.4f", ours) + (theirs.map { String(format: " (JAXopt %.4f, ×%.2f)", $0, ours / $0) } ?? "")
  }
  print(
    "\(r.workload) [\(r.iterations) it]  forward \(cell(r.forwardSeconds, jax?.forward))  "
      + "implicit \(cell(r.implicitSeconds, jax?.implicit))  unrolled \(cell(r.unrolledSeconds, jax?.unrolled))  "
      + "hypergrad rel diff \(r.hypergradientRelativeDifference.map { String(format: "%.1e", $0) } ?? "—")")
}

func json(_ r: WorkloadResult) -> [String: Any] {
  var o: [String: Any] = [
    "workload": r.workload, "iterations": r.iterations, "forward_s": r.forwardSeconds, "implicit_s": r.implicitSeconds,
    "final_error": jsonNumber(r.finalError), "hypergradient_implicit": jsonNumber(r.hypergradientImplicit),
    "notes": r.notes,
  ]
  o["implicit_default_tol_s"] = r.implicitDefaultToleranceSeconds ?? NSNull()
  o["unrolled_s"] = r.unrolledSeconds ?? NSNull()
  o["hypergradient_unrolled"] = r.hypergradientUnrolled.map(jsonNumber) ?? NSNull()
  o["hypergradient_relative_difference"] = r.hypergradientRelativeDifference.map(jsonNumber) ?? NSNull()
  if let jax = JAXoptFigures.table[r.workload] {
    o["jaxopt"] =
      ["forward_s": jax.forward, "implicit_s": jax.implicit, "unrolled_s": jax.unrolled.map { $0 as Any } ?? NSNull()]
      as [String: Any]
  }
  return o
}
