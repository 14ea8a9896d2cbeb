import Dispatch
import Foundation
import Synchronization

/// A fixed team of threads (the caller plus persistent workers) that share the chunks of one
/// job: ``run(chunks:reversed:_:)`` returns when every chunk is done.
///
/// Why not `DispatchQueue.concurrentPerform`: the smooth workloads run 300 fused passes of
/// ~50 µs each at `p = 1000`, and a dispatch round trip is a sizeable fraction of that. Here a job
/// is published with one atomic store to workers that spin (then yield, then sleep) between jobs.
///
/// Why chunks are *claimed* rather than assigned: the machine is shared. A worker that is not
/// scheduled when a job starts simply finds the chunks already taken — the caller does them —
/// instead of stalling the caller at a barrier for a scheduler time slice. Each thread first
/// takes the chunks of its own share (so rows stay in the same core's cache from one pass to the
/// next), then helps with the rest. Chunk results are written to per-chunk buffers and combined
/// in a fixed order, so results do not depend on which thread ran which chunk.
final class SmoothThreadTeam: @unchecked Sendable {
  /// The team used by the benchmarks: one thread per core (at most 8).
  static let shared = SmoothThreadTeam(size: max(1, min(8, ProcessInfo.processInfo.activeProcessorCount)))
  /// The most chunks one job may have.
  static let maxChunks = 64

  /// Number of threads (the caller included).
  let size: Int
  /// The job being run: `epoch << 17 | reversed << 16 | chunk count`.
  private let state = Atomic<Int>(0)
  private let completed = Atomic<Int>(0)
  private let sleepers = Atomic<Int>(0)
  /// Per chunk: the epoch of the job that last claimed it.
  private let claims: [Claim]
  private let wakeUp = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  /// Read by a worker only after it has claimed a chunk of the current job, while the caller
  /// waits for that chunk: never concurrently with a write.
  nonisolated(unsafe) private var job: (@Sendable (Int) -> Void)?
  nonisolated(unsafe) private var epoch = 0

  private final class Claim: Sendable {
    let epoch = Atomic<Int>(0)
  }

  init(size: Int) {
    self.size = size
    claims = (0..<Self.maxChunks).map { _ in Claim() }
    for index in 1..<max(size, 1) {
      let thread = Thread { [unowned self] in self.workerLoop(index) }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  /// Runs `body(chunk)` for every `chunk` in `0..<chunks` (at most ``maxChunks``) on the team and
  /// returns when all are done. Thread `t`'s own share is chunks `[t·chunks/size, (t+1)·chunks/size)`,
  /// taken in descending order when `reversed`. Bodies share memory through ``SmoothBuffer``s and
  /// must write disjoint parts of it. Not reentrant; concurrent callers are serialised.
  func run(chunks: Int, reversed: Bool = false, _ body: @escaping @Sendable (Int) -> Void) {
    let chunks = min(chunks, Self.maxChunks)
    if size == 1 || chunks <= 1 {
      for c in 0..<chunks { body(reversed ? chunks - 1 - c : c) }
      return
    }
    lock.lock()
    defer { lock.unlock() }
    epoch += 1
    job = body
    completed.store(0, ordering: .relaxed)
    state.store(epoch << 17 | (reversed ? 1 << 16 : 0) | chunks, ordering: .releasing)
    var sleeping = sleepers.exchange(0, ordering: .sequentiallyConsistent)
    while sleeping > 0 {
      wakeUp.signal()
      sleeping -= 1
    }
    work(epoch: epoch, chunks: chunks, reversed: reversed, thread: 0)
    var spins = 0
    while completed.load(ordering: .acquiring) < chunks { Self.pause(&spins) }
    job = nil
  }

  /// Claims and runs chunks of job `epoch`, own share first.
  private func work(epoch: Int, chunks: Int, reversed: Bool, thread t: Int) {
    let lo = t * chunks / size, hi = (t + 1) * chunks / size
    let own = hi - lo
    for offset in 0..<chunks {
      let c = offset < own ? (reversed ? hi - 1 - offset : lo + offset) : (hi + offset - own) % chunks
      let claim = claims[c]
      let previous = claim.epoch.load(ordering: .relaxed)
      guard previous < epoch,
        claim.epoch.compareExchange(expected: previous, desired: epoch, ordering: .acquiringAndReleasing).exchanged
      else { continue }
      job?(c)
      completed.add(1, ordering: .releasing)
    }
  }

  private func workerLoop(_ index: Int) {
    var seen = 0
    var spins = 0
    while true {
      let s = state.load(ordering: .acquiring)
      let e = s >> 17
      if e != seen {
        seen = e
        work(epoch: e, chunks: s & 0xFFFF, reversed: s & (1 << 16) != 0, thread: index)
        spins = 0
      } else if spins > 20_000 {
        // Idle for some milliseconds: sleep until the next job is published.
        sleepers.add(1, ordering: .sequentiallyConsistent)
        if state.load(ordering: .sequentiallyConsistent) == s { wakeUp.wait() }
        spins = 0
      } else {
        Self.pause(&spins)
      }
    }
  }

  /// One step of a polite busy wait: spin a little, then give the core away.
  @inline(__always) static func pause(_ spins: inout Int) {
    spins &+= 1
    if spins > 64 { sched_yield() }
  }
}

/// A buffer of doubles shared by the team's threads, which write disjoint parts of it within a
/// job (the pattern of `Kernels`' row blocks).
struct SmoothBuffer: @unchecked Sendable {
  let p: UnsafeMutablePointer<Double>
  init(_ p: UnsafeMutablePointer<Double>) { self.p = p }
  /// A new zeroed buffer (owned by the caller: ``free()`` it).
  static func zeros(_ count: Int) -> SmoothBuffer {
    let p = UnsafeMutablePointer<Double>.allocate(capacity: max(count, 1))
    p.initialize(repeating: 0, count: max(count, 1))
    return SmoothBuffer(p)
  }
  /// A new buffer holding `values`.
  static func copy(_ values: [Double]) -> SmoothBuffer {
    let b = zeros(values.count)
    for (i, v) in values.enumerated() { b.p[i] = v }
    return b
  }
  func array(_ count: Int) -> [Double] { Array(UnsafeBufferPointer(start: p, count: count)) }
  func free() { p.deallocate() }
}

/// Half-open index range of part `t` of `count` items split into `parts` near-equal pieces;
/// `align` keeps the boundaries on multiples (for SIMD-friendly blocks).
@inline(__always) func smoothPartition(_ count: Int, parts: Int, _ t: Int, align: Int = 1) -> Range<Int> {
  let units = (count + align - 1) / align
  let lo = min(count, units * t / parts * align)
  let hi = t == parts - 1 ? count : min(count, units * (t + 1) / parts * align)
  return lo..<hi
}

#if canImport(Glibc)
  import Glibc
#endif
