import ImplicitCore
import _Differentiation

/// Reading a ``QuadraticProgram`` from case data, and the runnable instance the `qp` and
/// `equality-qp` families share: ``QuadraticProgramKKTCondition`` reparametrised by the case's
/// packed parameters (``QuadraticProgramInputs``), outputs `x` and the multipliers.
enum QuadraticProgramCase {
  /// The program of `c`. `E`/`d` (and `G`/`h` when `inequalities`) may be absent (no
  /// constraints of that kind); `names` are the parameters the family accepts under `theta`.
  static func program(_ c: any CaseData, inequalities: Bool) throws -> QuadraticProgram {
    let names: Set = inequalities ? ["Q", "c", "E", "d", "G", "h"] : ["Q", "c", "E", "d"]
    for name in c.thetaNames where !names.contains(name) {
      throw c.formatError(
        field: "theta.\(name)",
        message: "not a parameter of family \"\(c.family)\" (parameters: \(names.sorted().joined(separator: ", ")))")
    }
    if !inequalities {
      for name in ["G", "h"] where c.input(name) != nil {
        throw c.formatError(
          field: name, message: "family \"\(c.family)\" has equality constraints only (use family \"qp\")")
      }
    }
    let Q = try c.matrix("Q")
    guard Q.rows == Q.columns, Q.rows > 0 else {
      throw c.formatError(field: "Q", message: "expected a non-empty square matrix, got \(Q.rows)×\(Q.columns)")
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
    _ c: any CaseData, matrix: String, vector: String, columns n: Int
  ) throws -> (Matrix<Double>, Vector<Double>) {
    let a = c.input(matrix), b = c.input(vector)
    if (a?.values.count ?? 0) == 0 && (b?.values.count ?? 0) == 0 {
      return (Matrix(rows: 0, columns: n, scalars: []), Vector([]))
    }
    let m = try c.matrix(matrix)
    guard m.columns == n else {
      throw c.formatError(field: matrix, message: "expected \(n) columns (one per variable), got \(m.columns)")
    }
    return (m, try c.vector(vector, count: m.rows))
  }

  /// Throws ``QuadraticProgramError/weaklyActiveConstraints(indices:tolerance:)`` if strict
  /// complementarity fails at `solution` (the reference cases assume it).
  static func requireStrictComplementarity(_ solution: QuadraticProgramSolution, tolerance: Double = 1e-9) throws {
    let weak = solution.weaklyActiveConstraints(tolerance: tolerance)
    if !weak.isEmpty { throw QuadraticProgramError.weaklyActiveConstraints(indices: weak, tolerance: tolerance) }
  }

  /// The instance of `c`: the KKT condition at the packed parameters, solved by `solve`
  /// (`reference` adds the checks and notes of the reference solve); outputs `x`, `dual_eq` and,
  /// when `inequalities`, `dual_ineq`.
  static func instance(
    _ c: any CaseData, inequalities: Bool,
    solve: @escaping (QuadraticProgram) throws -> SolverResult<QuadraticProgramSolution>,
    notes: @escaping (SolverResult<QuadraticProgramSolution>, QuadraticProgramSolution) throws -> [String]
  ) throws -> any RunnableInstance {
    let program = try program(c, inequalities: inequalities)
    try program.validate()
    let layout = try ParameterLayout(c)
    let condition = Reparametrized(
      QuadraticProgramKKTCondition(), map: try QuadraticProgramInputs(c, layout: layout, program: program))
    let n = program.variableCount, p = program.equalityCount, m = program.inequalityCount
    return Instance(
      condition: condition, parameter: layout.packed,
      reference: {
        let run = try solve(program)
        let solution = try run.converged()
        return (solution.point, try notes(run, solution))
      },
      outputs: { z in
        [.solution("x", z, coordinates: 0..<n), .solution("dual_eq", z, coordinates: n..<(n + p))]
          + (inequalities ? [.solution("dual_ineq", z, coordinates: (n + p)..<(n + p + m))] : [])
      }
    ) { θ, _ in try solve(condition.map(θ)).converged().point }
  }
}

/// The map from a case's packed parameters to its ``QuadraticProgram``: the inputs
/// `[Q; c; E; d; G; h]` (``InputSelection``) unpacked into the program's blocks. Linear.
struct QuadraticProgramInputs: ParameterMap {
  let selection: InputSelection
  let n: Int
  let p: Int
  let m: Int

  init(_ c: any CaseData, layout: ParameterLayout, program: QuadraticProgram) throws {
    n = program.variableCount
    p = program.equalityCount
    m = program.inequalityCount
    let data = program
    selection = try InputSelection(
      c, layout: layout, concatenating: ["Q", "c", "E", "d", "G", "h"],
      defaults: [
        "Q": data.Q.scalars, "c": data.c.scalars, "E": data.E.scalars, "d": data.d.scalars, "G": data.G.scalars,
        "h": data.h.scalars,
      ])
  }

  @differentiable(reverse)
  func callAsFunction(_ θ: Vector<Double>) -> QuadraticProgram { unpack(selection(θ)) }

  /// The program whose blocks are `v = [vec Q; c; vec E; d; vec G; h]`.
  @differentiable(reverse)
  func unpack(_ v: Vector<Double>) -> QuadraticProgram {
    var offset = 0
    let Q = v.slice(from: offset, count: n * n).reshaped(rows: n, columns: n)
    offset += n * n
    let c = v.slice(from: offset, count: n)
    offset += n
    let E = v.slice(from: offset, count: p * n).reshaped(rows: p, columns: n)
    offset += p * n
    let d = v.slice(from: offset, count: p)
    offset += p
    let G = v.slice(from: offset, count: m * n).reshaped(rows: m, columns: n)
    offset += m * n
    let h = v.slice(from: offset, count: m)
    return QuadraticProgram(Q: Q, c: c, E: E, d: d, G: G, h: h)
  }

  func forwardProduct(_ t: Vector<Double>, at θ: Vector<Double>) -> QuadraticProgram? {
    selection.forwardProduct(t, at: θ).map(unpack)
  }

  func validate(_ θ: Vector<Double>) throws { try selection.validate(θ) }
}
