import Dispatch
import Foundation

/// Median wall times of several bodies timed in alternation (one warm-up of each, then `runs`
/// rounds of all of them), as JAXopt's figures were taken: a burst of load on the shared machine
/// then hits every column alike instead of one.
func smoothAlternatingMedianTimes(runs: Int, _ bodies: [() throws -> Void]) throws -> [Double] {
  for body in bodies { try body() }
  var times = [[Double]](repeating: [], count: bodies.count)
  for _ in 0..<max(1, runs) {
    for (index, body) in bodies.enumerated() {
      let start = DispatchTime.now().uptimeNanoseconds
      try body()
      times[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
  }
  return times.map { $0.sorted()[$0.count / 2] }
}

/// `‖a − b‖ / ‖b‖`.
func smoothRelativeDifference(_ a: [Double], _ b: [Double]) -> Double {
  var difference = 0.0, reference = 0.0
  for i in a.indices {
    difference += (a[i] - b[i]) * (a[i] - b[i])
    reference += b[i] * b[i]
  }
  return (difference / max(reference, 1e-300)).squareRoot()
}

/// `‖a‖₂`.
func smoothNorm(_ a: [Double]) -> Double { a.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// Formats a number for the notes.
func smoothFormat(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)g", x) }

/// Throughput of the fused kernel on `data`: one pass on one thread, and one pass on the whole
/// team, in GB/s of `X` read (medians of `repeats` passes).
func smoothKernelThroughput(_ data: SmoothDataSet, repeats: Int = 15) -> (oneThread: Double, team: Double) {
  let (n, p) = (data.rows, data.columns)
  let v = SmoothBuffer.zeros(p), out = SmoothBuffer.zeros(p)
  defer {
    v.free()
    out.free()
  }
  for j in 0..<p { v.p[j] = 1 / Double(p) }
  let single = medianTime(runs: repeats) {
    out.p.update(repeating: 0, count: p)
    SmoothKernels.fusedRowPass(data.x.p, columns: p, rows: 0..<n, reversed: false, v.p, dots: nil, into: out.p) {
      _, d in d
    }
  }
  let team = medianTime(runs: repeats) { data.fusedProduct(v, diagonal: nil, dots: nil, into: out) { _, d in d } }
  return (data.matrixBytes / single / 1e9, data.matrixBytes / team / 1e9)
}
