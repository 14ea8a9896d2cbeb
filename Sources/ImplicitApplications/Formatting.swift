import Foundation

/// `x` in scientific notation with four significant digits, for progress output.
public func sci(_ x: Double) -> String { String(format: "%.3e", x) }
