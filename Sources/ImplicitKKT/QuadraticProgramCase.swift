import ImplicitCore

/// Reading a ``QuadraticProgram`` from a reference case and writing its outputs.
enum QuadraticProgramCase {
  /// The program of `c`. `E`/`d` (and `G`/`h` when `inequalities`) may be absent (no
  /// constraints of that kind); `names` are the parameters the family accepts under `theta`.
  static func program(_ c: ReferenceCase, inequalities: Bool) throws -> QuadraticProgram {
    let names: Set = inequalities ? ["Q", "c", "E", "d", "G", "h"] : ["Q", "c", "E", "d"]
    for name in c.thetaNames where !names.contains(name) {
      throw CaseFormatError(
        file: c.file, field: "theta.\(name)",
        message: "not a parameter of family \"\(c.family)\" (parameters: \(names.sorted().joined(separator: ", ")))")
    }
    if !inequalities {
      for name in ["G", "h"] where c.input(name) != nil {
        throw CaseFormatError(
          file: c.file, field: name, message: "family \"\(c.family)\" has equality constraints only (use family \"qp\")"
        )
      }
    }
    let Q = try c.matrix("Q")
    guard Q.rows == Q.columns, Q.rows > 0 else {
      throw CaseFormatError(
        file: c.file, field: "Q", message: "expected a non-empty square matrix, got \(Q.rows)×\(Q.columns)")
    }
    let n = Q.rows
    let linear = try c.vector("c", count: n)
    let (E, d) = try constraints(c, matrix: "E", vector: "d", columns: n)
    let (G, h) =
      inequalities
      ? try constraints(c, matrix: "G", vector: "h", columns: n)
      : (Matrix(rows: 0, columns: n, scalars: []), Vector([]))
    return QuadraticProgram(Q: Q, c: linear, E: E, d: d, G: G, h: h)
  }

  /// A constraint block `(matrix, vector)`; both absent or empty means no constraints.
  static func constraints(
    _ c: ReferenceCase, matrix: String, vector: String, columns n: Int
  ) throws -> (Matrix<Double>, Vector<Double>) {
    let a = c.input(matrix), b = c.input(vector)
    if (a?.count ?? 0) == 0 && (b?.count ?? 0) == 0 { return (Matrix(rows: 0, columns: n, scalars: []), Vector([])) }
    let m = try c.matrix(matrix)
    guard m.columns == n else {
      throw CaseFormatError(
        file: c.file, field: matrix, message: "expected \(n) columns (one per variable), got \(m.columns)")
    }
    return (m, try c.vector(vector, count: m.rows))
  }

  /// `jacobian` rows `start..<start+count` (one output's block, all parameters).
  static func rows(_ jacobian: Matrix<Double>, from start: Int, count: Int) -> Matrix<Double> {
    Matrix(
      rows: count, columns: jacobian.columns,
      scalars: Array(jacobian.scalars[(start * jacobian.columns)..<((start + count) * jacobian.columns)]))
  }

  /// Throws ``QuadraticProgramError/weaklyActiveConstraints(indices:tolerance:)`` if strict
  /// complementarity fails at `solution` (the reference cases assume it).
  static func requireStrictComplementarity(_ solution: QuadraticProgramSolution, tolerance: Double = 1e-9) throws {
    let weak = solution.weaklyActiveConstraints(tolerance: tolerance)
    if !weak.isEmpty { throw QuadraticProgramError.weaklyActiveConstraints(indices: weak, tolerance: tolerance) }
  }
}
