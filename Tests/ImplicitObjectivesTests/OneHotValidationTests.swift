import ImplicitCore
import ImplicitObjectives
import Testing

/// `oneHot` validates labels before converting them to `Int` (a label of −1e308, NaN or ±∞
/// used to trap in the conversion; found by the fault suite).
@Suite("oneHot label validation")
struct OneHotValidationTests {
  @Test(
    "non-integer, out-of-range and non-finite labels throw", arguments: [-1e308, 1e308, .nan, .infinity, -1, 3, 0.5])
  func badLabel(_ label: Double) {
    #expect(throws: ImplicitError.self) { try oneHot(Vector([0, label]), classes: 3) }
  }

  @Test("valid labels encode")
  func validLabels() throws {
    #expect(try oneHot(Vector([2, 0]), classes: 3) == Matrix([[0, 0, 1], [1, 0, 0]]))
  }
}
