import Foundation

/// Writes `values` as a NumPy `.npy` file (format 1.0, `<f8`, C order) of the given shape, so
/// that another framework can time the exact arrays this suite uses.
func writeNPY(_ values: [Double], shape: [Int], to url: URL) throws {
  precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
  let dims = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
  var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(dims), }"
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  let unpadded = 10 + header.utf8.count + 1
  header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
  var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
  let length = UInt16(header.utf8.count)
  data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
  data.append(contentsOf: Array(header.utf8))
  data.reserveCapacity(data.count + 8 * values.count)
  for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
  try data.write(to: url)
}
