import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How one command ended on one mutant.
enum Outcome: String, CaseIterable, Sendable {
  /// Exit 1 or 2 with an `error:` or `FAIL` line naming the file (path, file name or case id).
  case cleanError = "clean error"
  /// Exit 0 on a mutant where passing is legitimate.
  case pass = "pass"
  /// Exit 0 on a mutant whose expected numbers are wrong or whose content is malformed.
  case wrongPass = "wrong pass"
  /// Killed by a signal, exit status ≥ 128, or a `Fatal error` message.
  case trap = "trap"
  /// Still running at the time limit (killed).
  case hang = "hang"
  /// A failure that does not say what or where (no `error:`/`FAIL`, or the file is not named),
  /// or an exit status other than 0, 1, 2.
  case unnamedError = "unnamed error"
  /// A failure on a mutant that is a valid case with right numbers (a reordered or respelled seed).
  case falseFailure = "false failure"

  /// Whether this outcome counts as passed in the closing line.
  var isGood: Bool { self == .cleanError || self == .pass }
}

/// One command run on one mutant.
struct RunResult: Sendable {
  var mutant: Int
  var command: String
  var outcome: Outcome
  var status: String
  var seconds: Double
  /// The first lines of the output, for the failure list.
  var excerpt: String
}

/// Runs `implicit` as a child process with a time limit and an address-space cap.
struct CommandRunner: Sendable {
  var binary: String
  var timeout: Double
  /// Address-space limit in MiB for the child (Linux, via `ulimit -v`; 0 for none). A file
  /// that makes the CLI allocate tens of GB must not take the CI machine down with it.
  var memoryLimitMiB: Int
  var scratch: URL

  /// The arguments to spawn (through `/bin/sh` when a memory cap applies).
  func argv(_ arguments: [String]) -> (executable: String, arguments: [String]) {
    #if os(Linux)
      if memoryLimitMiB > 0 {
        return (
          "/bin/sh",
          ["-c", "ulimit -v \(memoryLimitMiB * 1024) 2>/dev/null; exec \"$0\" \"$@\"", binary] + arguments
        )
      }
    #endif
    return (binary, arguments)
  }

  /// A shell line that reproduces the run.
  func reproduction(_ arguments: [String]) -> String {
    let line = ([binary] + arguments).map(shellQuote).joined(separator: " ")
    #if os(Linux)
      if memoryLimitMiB > 0 { return "(ulimit -v \(memoryLimitMiB * 1024); \(line))" }
    #endif
    return line
  }

  func run(_ arguments: [String], logName: String) -> (
    status: String, signal: Bool, code: Int32, timedOut: Bool, output: String, seconds: Double
  ) {
    let log = scratch.appendingPathComponent(logName)
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    guard let handle = try? FileHandle(forWritingTo: log) else {
      return ("cannot open log", false, -1, false, "", 0)
    }
    let process = Process()
    let (exe, args) = argv(arguments)
    process.executableURL = URL(fileURLWithPath: exe)
    process.arguments = args
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    var environment = ProcessInfo.processInfo.environment
    // A crash report takes seconds and pages of output; the exit signal is all we need.
    environment["SWIFT_BACKTRACE"] = "enable=no"
    process.environment = environment
    let finished = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in finished.signal() }
    let start = Date()
    do {
      try process.run()
    } catch {
      try? handle.close()
      return ("spawn failed: \(error)", false, -1, false, "", 0)
    }
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
      timedOut = true
      kill(process.processIdentifier, SIGKILL)
      finished.wait()
    }
    let seconds = Date().timeIntervalSince(start)
    try? handle.close()
    let bytes = (try? Data(contentsOf: log)) ?? Data()
    try? FileManager.default.removeItem(at: log)
    let output = String(decoding: bytes.prefix(200_000), as: UTF8.self)
    let signal = process.terminationReason == .uncaughtSignal
    let code = process.terminationStatus
    let status = timedOut ? "timeout" : signal ? "signal \(code)" : "exit \(code)"
    return (status, signal, code, timedOut, output, seconds)
  }
}

func shellQuote(_ s: String) -> String {
  if s.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+=:,".contains($0) }) { return s }
  return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Sorts a finished run into an ``Outcome``.
func classify(
  mutant: Mutant, expectation: Expectation, signal: Bool, code: Int32, timedOut: Bool, output: String
) -> Outcome {
  if timedOut { return .hang }
  // Through `/bin/sh -c … exec`, a signal shows as the shell's 128 + n status.
  if signal || code >= 128 || output.contains("Fatal error") { return .trap }
  if code == 0 { return expectation == .fail ? .wrongPass : .pass }
  if expectation == .pass { return .falseFailure }
  guard code == 1 || code == 2 else { return .unnamedError }
  guard output.contains("error:") || output.contains("FAIL") else { return .unnamedError }
  return names(mutant, in: output) ? .cleanError : .unnamedError
}

/// Whether the output names the input: its path, its file name, or (for a file) the case id
/// it declares.
func names(_ mutant: Mutant, in output: String) -> Bool {
  let path = mutant.path
  if output.contains(path) || output.contains((path as NSString).lastPathComponent) { return true }
  if let id = mutant.caseID { return output.contains(id) }
  if case .file(let bytes) = mutant.target, let root = try? JSON(parsing: bytes), case .string(let id)? = root["id"],
    !id.isEmpty, output.contains(id)
  {
    return true
  }
  return false
}
