import Dispatch
import Foundation

/// Wall times of several bodies timed in alternation: one warm-up call of each, then `runs`
/// rounds of all of them, so that a burst of load on the shared machine hits every column alike.
/// Returns every sample (seconds) per body.
func alternatingTimes(runs: Int, _ bodies: [() throws -> Void]) throws -> [[Double]] {
  for body in bodies { try body() }
  var times = [[Double]](repeating: [], count: bodies.count)
  for _ in 0..<max(1, runs) {
    for (index, body) in bodies.enumerated() {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
  }
  return times
}

/// The median of `samples`.
func median(_ samples: [Double]) -> Double {
  let s = samples.sorted()
  return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Memory bandwidth of this machine: a streaming sum over an array much larger than the last-level
/// cache, on one thread and on all cores (measurement code, not used by any workload).
struct BandwidthProbe {
  /// GB/s on one thread (best of the trials: the machine's capability, not its load).
  var oneThread: Double
  /// GB/s with one thread per core.
  var allCores: Double
  var bytes: Int
  var threads: Int

  static func measure(megabytes: Int = 256, trials: Int = 7) -> BandwidthProbe {
    let count = megabytes * (1 << 20) / 8
    let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: count)
    defer { buffer.deallocate() }
    // Touch every page (and vary the values so the sum cannot be folded).
    for i in 0..<count { buffer[i] = Double(i & 1023) }
    let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    // Threads get the addresses as integers: the buffers outlive `concurrentPerform`.
    let base = UInt(bitPattern: buffer.baseAddress!)
    func best(_ body: () -> Double) -> Double {
      var fastest = Double.infinity
      for _ in 0..<trials {
        let start = DispatchTime.now().uptimeNanoseconds
        let s = body()
        fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        if s.isNaN { print("") }  // keeps the sum alive
      }
      return Double(count * 8) / fastest / 1e9
    }
    let one = best { sum(base, 0..<count) }
    let chunk = (count + threads - 1) / threads
    let all = best {
      let partials = UnsafeMutableBufferPointer<Double>.allocate(capacity: threads)
      defer { partials.deallocate() }
      let sums = UInt(bitPattern: partials.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: threads) { t in
        UnsafeMutablePointer<Double>(bitPattern: sums)![t] = sum(base, (t * chunk)..<min(count, (t + 1) * chunk))
      }
      return partials.reduce(0, +)
    }
    return BandwidthProbe(oneThread: one, allCores: all, bytes: count * 8, threads: threads)
  }
}

/// The sum of `range` of the doubles at `address`, in SIMD accumulators (so it streams rather
/// than waiting on the latency of one chain of additions).
private func sum(_ address: UInt, _ range: Range<Int>) -> Double {
  let base = UnsafePointer<Double>(bitPattern: address)!
  let raw = UnsafeRawPointer(base)
  var (a, b, c, d) = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
  var i = range.lowerBound
  while i + 16 <= range.upperBound {
    a += raw.loadUnaligned(fromByteOffset: 8 * i, as: SIMD4<Double>.self)
    b += raw.loadUnaligned(fromByteOffset: 8 * (i + 4), as: SIMD4<Double>.self)
    c += raw.loadUnaligned(fromByteOffset: 8 * (i + 8), as: SIMD4<Double>.self)
    d += raw.loadUnaligned(fromByteOffset: 8 * (i + 12), as: SIMD4<Double>.self)
    i += 16
  }
  var rest = 0.0
  while i < range.upperBound {
    rest += base[i]
    i += 1
  }
  return (a + b + c + d).sum() + rest
}
