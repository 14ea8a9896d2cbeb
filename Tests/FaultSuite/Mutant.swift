import Foundation

/// What a correct CLI must do with a mutant, per command.
enum Expectation: String, Sendable {
  /// The mutant is malformed or its expected numbers are wrong: exit 0 is a wrong pass.
  case fail
  /// The mutant is a valid case with right numbers: a failure is a false alarm.
  case pass
  /// Either outcome is defensible (a different but valid problem, a lenient reading); only a
  /// trap, a hang or an error that names nothing counts against the CLI.
  case either
}

/// What the command is run on.
enum Target: Sendable {
  /// A file with these bytes.
  case file(Data)
  /// A folder with these files (name, bytes); empty for an empty folder.
  case folder([Entry])
  /// A path that does not exist.
  case missing
  /// A file built when it is written (large cases: only the sampled ones cost time).
  case generated(@Sendable () -> Data)

  struct Entry: Sendable {
    var name: String
    var bytes: Data
  }
}

/// One generated input for `implicit check` and `implicit conformance`.
struct Mutant: Sendable {
  /// The mutation, e.g. `perturb-jacobian`.
  var kind: String
  /// The seed case it was made from (`-` for seed-independent ones).
  var seed: String
  /// What exactly was changed, for the failure list.
  var detail: String
  var target: Target
  var check: Expectation
  var conformance: Expectation
  /// Where it was written (set by the runner).
  var path = ""
  /// The case id the file declares, when known without parsing it (large cases).
  var caseID: String?

  init(
    _ kind: String, seed: String, _ detail: String, _ target: Target, check: Expectation, conformance: Expectation
  ) {
    self.kind = kind
    self.seed = seed
    self.detail = detail
    self.target = target
    self.check = check
    self.conformance = conformance
  }
}

/// SplitMix64: small, fast, and the same stream on every platform (CI must be reproducible,
/// and Swift's own generators and `Hasher` are seeded per process).
struct SplitMix64 {
  var state: UInt64

  init(seed: UInt64) { state = seed }

  /// A stream for one (seed, case, mutation) triple: independent of how many mutants came before,
  /// so adding a mutation kind does not reshuffle the others.
  init(seed: UInt64, _ parts: String...) {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the parts
    for byte in parts.joined(separator: "\u{1F}").utf8 {
      h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    state = seed ^ h
  }

  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }

  /// Uniform in `0..<n` (n > 0).
  mutating func int(_ n: Int) -> Int { Int(next() % UInt64(n)) }

  /// Uniform in [0, 1).
  mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

  mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
}
