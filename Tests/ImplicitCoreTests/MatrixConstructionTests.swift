import ImplicitCore
import Testing

/// Issue 10: matrices built from data throw a typed error instead of trapping.
/// `Matrix(rows: 2, columns: 2, scalars: [1, 2, 3])` and `Matrix([[1, 2], [3]])` stop the
/// process with a precondition failure (by design: they are for shapes the code guarantees), so
/// they cannot run here; before the throwing initialisers, nothing else built a matrix from data.
@Suite("Matrix construction from data")
struct MatrixConstructionTests {
  @Test func wrongEntryCountIsATypedError() throws {
    #expect(throws: ImplicitError.self) { try Matrix<Double>(rows: 2, columns: 2, validating: [1, 2, 3]) }
    #expect(throws: ImplicitError.self) { try Matrix<Double>(rows: -1, columns: 0, validating: []) }
    #expect(throws: ImplicitError.self) { try Matrix<Double>(rows: Int.max, columns: 2, validating: []) }
    let m = try Matrix<Double>(rows: 2, columns: 3, validating: [1, 2, 3, 4, 5, 6])
    #expect(m == Matrix([[1, 2, 3], [4, 5, 6]]))
    #expect(try Matrix<Double>(rows: 0, columns: 4, validating: []).rows == 0)
  }

  @Test func raggedRowsAreATypedError() throws {
    #expect(throws: ImplicitError.self) { try Matrix<Double>(validating: [[1, 2], [3]]) }
    #expect(throws: ImplicitError.self) { try Matrix<Double>(validating: [[1], [2], [3, 4]]) }
    let m = try Matrix<Double>(validating: [[1, 2], [3, 4]])
    #expect(m.rows == 2 && m.columns == 2 && m[1, 0] == 3)
    #expect(try Matrix<Double>(validating: []) == Matrix<Double>.zero)
  }

  @Test func theErrorNamesTheRow() {
    do {
      _ = try Matrix<Double>(validating: [[1, 2], [3, 4], [5]])
      Issue.record("ragged rows accepted")
    } catch let error as ImplicitError {
      #expect("\(error)".contains("row 2"))
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }
}
