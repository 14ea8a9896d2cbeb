import Foundation

/// The fault suite's case fuzzer (issue 10, item 7b): mutates the reference cases, runs each
/// mutant through `implicit check FILE` and `implicit conformance FILE` as separate processes
/// with a time limit, and counts clean errors, passes, wrong passes, traps and hangs.
let usage = """
  USAGE: fault-suite IMPLICIT_BINARY [options]

  Generates mutated reference cases (seeded, deterministic) from the seed cases, runs each
  through `implicit check FILE` and `implicit conformance FILE`, classifies every run and
  exits 1 if any run trapped, hung, passed wrongly, failed without naming the file, or failed
  on a valid case.

  OPTIONS:
    --cases DIR        Seed cases (repeatable). Default: ../shared/reference-cases if present,
                       and Catalog (duplicates by id and content are dropped).
    --seed S           Random seed (default 1).
    --limit N          Run a deterministic sample of N mutants (all by default).
    --only K1,K2       Only mutation kinds whose name contains one of these.
    --timeout T        Seconds per run before it counts as a hang (default 20).
    --jobs J           Concurrent runs (default 2).
    --memory-mib M     Address-space cap per run on Linux (default 4096; 0 for none).
    --out DIR          Where the mutants are written (default: a fault-suite folder in the
                       temporary directory; emptied first, kept after the run for reproduction).
    --list             Print the mutants and their expectations; run nothing.
    --verbose          One line per run.
  """

struct Arguments {
  var binary = ""
  var caseDirectories: [String] = []
  var seed: UInt64 = 1
  var limit: Int?
  var only: [String] = []
  var timeout = 20.0
  var jobs = 2
  var memoryMiB = 4096
  var out = (NSTemporaryDirectory() as NSString).appendingPathComponent("implicit-fault-suite")
  var list = false
  var verbose = false

  init(_ raw: [String]) throws {
    var i = 0
    func value() throws -> String {
      i += 1
      guard i < raw.count else { throw UsageError("\(raw[i - 1]) needs a value") }
      return raw[i]
    }
    func number<T: LosslessStringConvertible>(_ name: String, _ text: String) throws -> T {
      guard let v = T(text) else { throw UsageError("\(name) expects a number, got \"\(text)\"") }
      return v
    }
    while i < raw.count {
      let a = raw[i]
      switch a {
      case "--cases": caseDirectories.append(try value())
      case "--seed": seed = try number(a, try value())
      case "--limit": limit = try number(a, try value())
      case "--only": only += try value().split(separator: ",").map(String.init)
      case "--timeout": timeout = try number(a, try value())
      case "--jobs": jobs = max(1, try number(a, try value()))
      case "--memory-mib": memoryMiB = try number(a, try value())
      case "--out": out = try value()
      case "--list": list = true
      case "--verbose": verbose = true
      case "--help", "-h": throw UsageError("")
      default:
        guard !a.hasPrefix("-"), binary.isEmpty else { throw UsageError("unknown argument \(a)") }
        binary = a
      }
      i += 1
    }
    guard !binary.isEmpty || list else { throw UsageError("the path of the implicit binary is required") }
  }
}

struct UsageError: Error {
  var message: String
  init(_ m: String) { message = m }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("fault-suite: \(message)\n".utf8))
  exit(2)
}

/// Collects the results of the worker threads.
final class Results: @unchecked Sendable {
  private let lock = NSLock()
  private var next = 0
  private(set) var runs: [RunResult] = []

  func claim(_ total: Int) -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard next < total else { return nil }
    next += 1
    return next - 1
  }

  func record(_ r: RunResult, verbose: Bool, line: String) {
    lock.lock()
    defer { lock.unlock() }
    runs.append(r)
    if verbose { print(line) }
    if !verbose && runs.count % 200 == 0 {
      FileHandle.standardError.write(Data("  \(runs.count) runs done\n".utf8))
    }
  }
}

let arguments: Arguments
do {
  arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
} catch let e as UsageError {
  if !e.message.isEmpty { FileHandle.standardError.write(Data("fault-suite: \(e.message)\n\n".utf8)) }
  print(usage)
  exit(e.message.isEmpty ? 0 : 2)
}
let wallStart = Date()

// Seeds: the shared reference cases when present (CI has them beside the repository), and
// the catalogue's copies; identical files are kept once.
let directories =
  arguments.caseDirectories.isEmpty
  ? ["../shared/reference-cases", "Catalog"].filter { FileManager.default.fileExists(atPath: $0) }
  : arguments.caseDirectories
var seeds = [SeedCase]()
var seen = [String: Data]()
for directory in directories {
  let files = (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? [])
    .filter { $0.hasSuffix(".json") }.sorted()
  for f in files {
    let path = (directory as NSString).appendingPathComponent(f)
    guard let c = try? SeedCase(path: path) else { fail("\(path): not a readable seed case") }
    if let other = seen[c.id], other == c.raw { continue }
    seen[c.id] = c.raw
    seeds.append(c)
  }
}
guard !seeds.isEmpty else { fail("no seed cases under \(directories)") }

let generator = Generator(seed: arguments.seed)
var mutants = generator.globalMutants(seeds: seeds) + seeds.flatMap(generator.mutants(of:))
if !arguments.only.isEmpty {
  mutants = mutants.filter { m in arguments.only.contains { m.kind.contains($0) } }
}
if let limit = arguments.limit, limit < mutants.count {
  var r = SplitMix64(seed: arguments.seed, "sample")
  var order = Array(mutants.indices)
  for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, r.int(i + 1)) }
  mutants = order.prefix(limit).sorted().map { mutants[$0] }
}

// Write the mutants.
let outURL = URL(fileURLWithPath: arguments.out)
try? FileManager.default.removeItem(at: outURL)
do {
  try FileManager.default.createDirectory(at: outURL.appendingPathComponent("logs"), withIntermediateDirectories: true)
  for i in mutants.indices {
    let stem = String(format: "%04d", i) + "-" + (mutants[i].seed == "-" ? "" : mutants[i].seed + "-") + mutants[i].kind
    let path = outURL.appendingPathComponent(stem)
    switch mutants[i].target {
    case .file(let bytes):
      mutants[i].path = path.path + ".json"
      try bytes.write(to: URL(fileURLWithPath: mutants[i].path))
    case .folder(let entries):
      mutants[i].path = path.path
      try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
      for e in entries { try e.bytes.write(to: path.appendingPathComponent(e.name)) }
    case .missing:
      mutants[i].path = path.path + ".json"
    case .generated(let make):
      mutants[i].path = path.path + ".json"
      try make().write(to: URL(fileURLWithPath: mutants[i].path))
    }
  }
} catch {
  fail("cannot write the mutants under \(outURL.path): \(error)")
}

if arguments.list {
  for (i, m) in mutants.enumerated() {
    print(
      "\(String(format: "%04d", i))  \(m.kind)  \(m.seed)  check:\(m.check.rawValue) conformance:\(m.conformance.rawValue)  \(m.detail)"
    )
  }
  print("\(mutants.count) mutants from \(seeds.count) seed cases, written to \(outURL.path)")
  exit(0)
}

let binary =
  arguments.binary.hasPrefix("/")
  ? arguments.binary : FileManager.default.currentDirectoryPath + "/" + arguments.binary
guard FileManager.default.isExecutableFile(atPath: binary) else { fail("\(binary) is not an executable") }
let runner = CommandRunner(
  binary: binary, timeout: arguments.timeout, memoryLimitMiB: arguments.memoryMiB,
  scratch: outURL.appendingPathComponent("logs"))

// Jobs: every mutant through both commands, the large files first so they do not form the tail.
let commands = ["check", "conformance"]
let jobs = mutants.indices.flatMap { i in commands.map { (mutant: i, command: $0) } }
  .sorted { a, b in
    let big = { (i: Int) -> Bool in mutants[i].kind.hasPrefix("large-") }
    return big(a.mutant) && !big(b.mutant)
  }
print(
  "fault suite: \(mutants.count) mutants from \(seeds.count) seed cases (seed \(arguments.seed)), "
    + "\(jobs.count) runs, \(arguments.jobs) at a time, time limit \(secs(arguments.timeout)) s; files in \(outURL.path)"
)

let results = Results()
let group = DispatchGroup()
let frozen = mutants
let verbose = arguments.verbose
for _ in 0..<arguments.jobs {
  group.enter()
  Thread.detachNewThread {
    while let k = results.claim(jobs.count) {
      let job = jobs[k]
      let m = frozen[job.mutant]
      let expectation = job.command == "check" ? m.check : m.conformance
      let r = runner.run([job.command, m.path], logName: "\(k).log")
      let outcome = classify(
        mutant: m, expectation: expectation, signal: r.signal, code: r.code, timedOut: r.timedOut, output: r.output)
      let excerpt = r.output.split(separator: "\n", omittingEmptySubsequences: true).prefix(4)
        .map { String($0.prefix(220)) }.joined(separator: "\n        ")
      let result = RunResult(
        mutant: job.mutant, command: job.command, outcome: outcome, status: r.status, seconds: r.seconds,
        excerpt: excerpt)
      results.record(
        result, verbose: verbose,
        line:
          "\(outcome.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) \(job.command.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%04d", job.mutant)) \(m.kind)  \(r.status)  \(secs(r.seconds)) s"
      )
    }
    group.leave()
  }
}
group.wait()

// Report.
let runs = results.runs.sorted { ($0.mutant, $0.command) < ($1.mutant, $1.command) }
print("\nclass           check  conformance  total")
for o in Outcome.allCases {
  let c = runs.filter { $0.outcome == o && $0.command == "check" }.count
  let f = runs.filter { $0.outcome == o && $0.command == "conformance" }.count
  print(
    o.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%7d  %11d  %5d", c, f, c + f))
}
let failures = runs.filter { !$0.outcome.isGood }
if !failures.isEmpty {
  print("\nfailures (\(failures.count)):")
  for f in failures {
    let m = mutants[f.mutant]
    let expectation = f.command == "check" ? m.check : m.conformance
    print(
      "\(f.outcome.rawValue.uppercased())  \(f.command)  \(String(format: "%04d", f.mutant))  \(m.kind)  [\(m.seed)]  \(m.detail)  (expected \(expectation.rawValue), got \(f.status), \(secs(f.seconds)) s)"
    )
    print("    repro: \(runner.reproduction([f.command, m.path]))")
    if !f.excerpt.isEmpty { print("    output: \(f.excerpt)") }
  }
}
print("\nslowest runs:")
for r in runs.sorted(by: { $0.seconds > $1.seconds }).prefix(5) {
  print("  \(secs(r.seconds)) s  \(r.command)  \(String(format: "%04d", r.mutant))  \(mutants[r.mutant].kind)")
}
print("total time \(secs(Date().timeIntervalSince(wallStart))) s")
let passed = runs.count - failures.count
print("\(passed) passed, \(failures.count) failed")
exit(failures.isEmpty ? 0 : 1)
