import Testing

@testable import ImplicitConformance

/// `shortFormat` formats any Double: NaN and infinities used to trap converting their
/// exponent to `Int` (a conformance report on a case with θ = 1e300; found by the fault suite).
@Suite("shortFormat never traps")
struct ShortFormatTests {
  @Test(arguments: [Double.nan, .infinity, -.infinity, 1e308, -1e308, .leastNonzeroMagnitude, 0, 1234.5])
  func formats(_ x: Double) {
    #expect(!shortFormat(x).isEmpty)
  }
}
