public import ImplicitCore
import _Differentiation

/// The `qp-layer` family of reference cases: a batch of `B` quadratic programs of one shape,
/// `x*ᵢ = argmin ½xᵀQᵢx + cᵢᵀx s.t. Eᵢx = dᵢ, Gᵢx ≤ hᵢ`, given as stacked inputs `Q` (`B×n×n`),
/// `c` (`B×n`), `E` (`B×p×n`), `d` (`B×p`), `G` (`B×m×n`), `h` (`B×m`), differentiated with
/// respect to whichever are listed under `theta`. Output `x` (`B×n`).
///
/// Solved by ``QuadraticProgramLayer`` (the programs in parallel). The condition is
/// ``QuadraticProgramKKTCondition`` of the block-diagonal program that stacks the batch (its KKT
/// conditions are those of every element), and the Jacobian is block-diagonal across elements:
/// it is computed through the batch paths — the rows of `x` by the layer's ``QuadraticProgramLayer/vjps(_:at:_:)``,
/// the multipliers' rows by ``ImplicitDifferentiator/jacobians(at:_:)`` — and assembled, never
/// by a factorisation of the stacked system. The conformance kit checks it against the stacked
/// condition.
public enum QuadraticProgramLayerFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "qp-layer",
    formula:
      "for each program i of the batch: F(zᵢ, θᵢ) = (½(Qᵢ+Qᵢᵀ)xᵢ + cᵢ + Eᵢᵀνᵢ + Gᵢᵀλᵢ, Eᵢxᵢ − dᵢ, λᵢ∘(Gᵢxᵢ − hᵢ))",
    assumptions: [
      "every program of the batch has the same shape (n, p, m)",
      "each program: ½(Q + Qᵀ) positive definite (Goldfarb–Idnani), LICQ on E and the active rows of G",
      "strict complementarity in every program (a weakly active constraint → typed error)",
    ],
    module: "ImplicitKKT", makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  static let names = ["Q", "c", "E", "d", "G", "h"]

  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    try c.requireParameters(names)
    let programs = try batch(c)
    try QuadraticProgramLayer.validateShapes(programs)
    for program in programs { try program.validate() }
    let layout = try ParameterLayout(c)
    let inputs = try StackedQuadraticProgramInputs(c, layout: layout, programs: programs)
    let condition = Reparametrized(QuadraticProgramKKTCondition(), map: inputs)
    let layer = QuadraticProgramLayer()
    let (count, n, p, m) = (programs.count, inputs.n, inputs.p, inputs.m)

    /// The stacked primal–dual point of the batch's solutions.
    func stacked(_ solutions: [QuadraticProgramSolution]) -> KKTSolution {
      KKTSolution(
        primal: Vector(solutions.flatMap(\.x.scalars)),
        equality: Vector(solutions.flatMap(\.equalityMultipliers.scalars)),
        inequality: Vector(solutions.flatMap(\.inequalityMultipliers.scalars)))
    }
    func solve(_ programs: [QuadraticProgram]) throws -> [QuadraticProgramSolution] {
      try layer.solve(Batch(programs)).map { try $0.get() }
    }
    return Instance(
      condition: condition, parameter: layout.packed,
      reference: {
        let solutions = try solve(programs)
        for s in solutions { try QuadraticProgramCase.requireStrictComplementarity(s) }
        let active = solutions.map(\.activeSet.count)
        return (
          stacked(solutions),
          ["\(count) programs (n = \(n), p = \(p), m = \(m)) solved by the layer; active constraints \(active)"]
        )
      },
      jacobian: { z in
        let solutions = try solve(programs)
        return (
          try inputs.jacobian(layer: layer, solutions: solutions, programs),
          [
            "block-diagonal: x rows by QuadraticProgramLayer.vjps, multiplier rows by ImplicitDifferentiator.jacobians"
          ]
        )
      },
      outputs: { z in
        [
          InstanceOutput(name: "x", value: Array(z.primal.scalars), shape: [count, n]) { ẋ, _ in
            ẋ.materialized(like: z).primal.scalars
          }
        ]
      }
    ) { θ, _ in stacked(try solve(inputs.programs(θ))) }
  }

  /// The `B` programs of the case's stacked inputs.
  static func batch(_ c: any CaseData) throws -> [QuadraticProgram] {
    let Q = try c.array("Q")
    guard Q.shape.count == 3, Q.shape[1] == Q.shape[2], Q.shape[0] > 0, Q.shape[1] > 0 else {
      throw c.formatError(field: "Q", message: "expected B×n×n (a batch of square matrices), got shape \(Q.shape)")
    }
    let (count, n) = (Q.shape[0], Q.shape[1])
    func stack(_ name: String, perElement shape: [Int]) throws -> [[Double]] {
      guard let a = c.input(name) else {
        // No constraints of this kind.
        if shape.count == 2, ["E", "G"].contains(name) { return Array(repeating: [], count: count) }
        if ["d", "h"].contains(name) { return Array(repeating: [], count: count) }
        throw c.formatError(field: name, message: "missing")
      }
      let size = shape.reduce(1, *)
      guard a.shape.first == count, Array(a.shape.dropFirst()) == shape || (size == 0 && a.values.isEmpty),
        a.values.count == count * size
      else {
        throw c.formatError(field: name, message: "expected shape \([count] + shape), got \(a.shape)")
      }
      guard a.values.allSatisfy(\.isFinite) else {
        throw c.formatError(field: name, message: "contains NaN or infinity")
      }
      return (0..<count).map { Array(a.values[($0 * size)..<(($0 + 1) * size)]) }
    }
    let p = c.input("E").map { $0.shape.count == 3 ? $0.shape[1] : 0 } ?? 0
    let m = c.input("G").map { $0.shape.count == 3 ? $0.shape[1] : 0 } ?? 0
    let (qs, cs) = (try stack("Q", perElement: [n, n]), try stack("c", perElement: [n]))
    let (es, ds) = (try stack("E", perElement: [p, n]), try stack("d", perElement: [p]))
    let (gs, hs) = (try stack("G", perElement: [m, n]), try stack("h", perElement: [m]))
    return (0..<count).map { i in
      QuadraticProgram(
        Q: Matrix(rows: n, columns: n, scalars: qs[i]), c: Vector(cs[i]),
        E: Matrix(rows: p, columns: n, scalars: es[i]),
        d: Vector(ds[i]), G: Matrix(rows: m, columns: n, scalars: gs[i]), h: Vector(hs[i]))
    }
  }
}

/// The map from a `qp-layer` case's packed parameters to the block-diagonal program stacking the
/// batch: the stacked inputs `[Q; c; E; d; G; h]` (``InputSelection``), each element's blocks
/// placed on the diagonal. Linear.
struct StackedQuadraticProgramInputs: ParameterMap, Sendable {
  let selection: InputSelection
  let layout: ParameterLayout
  let count: Int
  let n: Int
  let p: Int
  let m: Int

  init(_ c: any CaseData, layout: ParameterLayout, programs: [QuadraticProgram]) throws {
    let first = programs[0]
    (count, n, p, m) = (programs.count, first.variableCount, first.equalityCount, first.inequalityCount)
    self.layout = layout
    for entry in layout.entries {
      let perElement = ["Q": n * n, "c": n, "E": p * n, "d": p, "G": m * n, "h": m][entry.name] ?? 0
      guard entry.count == count * perElement else {
        throw c.formatError(
          field: "theta.\(entry.name)", message: "expected the whole stacked input (\(count * perElement) entries)")
      }
    }
    selection = try InputSelection(
      c, layout: layout, concatenating: QuadraticProgramLayerFamily.names,
      defaults: [
        "Q": programs.flatMap(\.Q.scalars), "c": programs.flatMap(\.c.scalars), "E": programs.flatMap(\.E.scalars),
        "d": programs.flatMap(\.d.scalars), "G": programs.flatMap(\.G.scalars), "h": programs.flatMap(\.h.scalars),
      ])
  }

  /// Offsets of the stacked blocks in `v = [Q; c; E; d; G; h]`.
  var blockOffsets: [Int] {
    let sizes = [n * n, n, p * n, p, m * n, m].map { $0 * count }
    return sizes.indices.map { sizes[0..<$0].reduce(0, +) }
  }

  /// The programs of the batch at `θ`.
  func programs(_ θ: Vector<Double>) -> [QuadraticProgram] { split(selection(θ)) }

  /// The programs whose stacked data are `v`.
  func split(_ v: Vector<Double>) -> [QuadraticProgram] {
    let o = blockOffsets, s = v.scalars
    func block(_ k: Int, _ i: Int, _ size: Int) -> [Double] { Array(s[(o[k] + i * size)..<(o[k] + (i + 1) * size)]) }
    return (0..<count).map { i in
      QuadraticProgram(
        Q: Matrix(rows: n, columns: n, scalars: block(0, i, n * n)), c: Vector(block(1, i, n)),
        E: Matrix(rows: p, columns: n, scalars: block(2, i, p * n)), d: Vector(block(3, i, p)),
        G: Matrix(rows: m, columns: n, scalars: block(4, i, m * n)), h: Vector(block(5, i, m)))
    }
  }

  @differentiable(reverse)
  func callAsFunction(_ θ: Vector<Double>) -> QuadraticProgram { blockDiagonal(selection(θ)) }

  /// The block-diagonal program of the stacked data `v`.
  @differentiable(reverse)
  func blockDiagonal(_ v: Vector<Double>) -> QuadraticProgram { Self.stack(split(v), n: n, p: p, m: m) }

  @derivative(of: blockDiagonal)
  func _vjpBlockDiagonal(_ v: Vector<Double>) -> (
    value: QuadraticProgram, pullback: (QuadraticProgram) -> Vector<Double>
  ) {
    let value = blockDiagonal(v)
    return (value, { [self] g in gatherDiagonal(g.materialized(like: value)) })
  }

  /// The stacked data of the diagonal blocks of `g` (the transpose of ``blockDiagonal(_:)``).
  func gatherDiagonal(_ g: QuadraticProgram) -> Vector<Double> {
    let N = count * n
    var q = [Double](), c = [Double](), e = [Double](), d = [Double](), gg = [Double](), h = [Double]()
    for i in 0..<count {
      for r in 0..<n { for j in 0..<n { q.append(g.Q.scalars[(i * n + r) * N + i * n + j]) } }
      c += g.c.scalars[(i * n)..<((i + 1) * n)]
      for r in 0..<p { for j in 0..<n { e.append(g.E.scalars[(i * p + r) * N + i * n + j]) } }
      d += g.d.scalars[(i * p)..<((i + 1) * p)]
      for r in 0..<m { for j in 0..<n { gg.append(g.G.scalars[(i * m + r) * N + i * n + j]) } }
      h += g.h.scalars[(i * m)..<((i + 1) * m)]
    }
    return Vector(q + c + e + d + gg + h)
  }

  /// The block-diagonal program with `programs` on the diagonal.
  static func stack(_ programs: [QuadraticProgram], n: Int, p: Int, m: Int) -> QuadraticProgram {
    let count = programs.count, N = count * n
    var Q = [Double](repeating: 0, count: N * N), E = [Double](repeating: 0, count: count * p * N)
    var G = [Double](repeating: 0, count: count * m * N)
    for (i, program) in programs.enumerated() {
      for r in 0..<n { for j in 0..<n { Q[(i * n + r) * N + i * n + j] = program.Q.scalars[r * n + j] } }
      for r in 0..<p { for j in 0..<n { E[(i * p + r) * N + i * n + j] = program.E.scalars[r * n + j] } }
      for r in 0..<m { for j in 0..<n { G[(i * m + r) * N + i * n + j] = program.G.scalars[r * n + j] } }
    }
    return QuadraticProgram(
      Q: Matrix(rows: N, columns: N, scalars: Q), c: Vector(programs.flatMap(\.c.scalars)),
      E: Matrix(rows: count * p, columns: N, scalars: E), d: Vector(programs.flatMap(\.d.scalars)),
      G: Matrix(rows: count * m, columns: N, scalars: G), h: Vector(programs.flatMap(\.h.scalars)))
  }

  func forwardProduct(_ t: Vector<Double>, at θ: Vector<Double>) -> QuadraticProgram? {
    selection.forwardProduct(t, at: θ).map { Self.stack(split($0), n: n, p: p, m: m) }
  }

  func validate(_ θ: Vector<Double>) throws { try selection.validate(θ) }

  /// `∂z*/∂θ` (rows: the stacked `x`, `ν`, `λ`; columns: the packed parameters), block-diagonal
  /// across elements: the rows of `xᵢ` from the layer's batch VJPs (one batch per coordinate of
  /// `x`), those of `νᵢ`, `λᵢ` from the core's batch Jacobians of ``QuadraticProgramKKTCondition``.
  func jacobian(
    layer: QuadraticProgramLayer, solutions: [QuadraticProgramSolution], _ programs: [QuadraticProgram]
  ) throws -> Matrix<Double> {
    let size = n + p + m
    // perElement[i][r][k]: ∂zᵢ[r]/∂(program i's coordinate k).
    let full = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).jacobians(
      at: solutions.map(\.point), programs)
    var perElement = try full.map { result -> [[Double]] in
      let j = try result.get().matrix
      return (0..<size).map { r in Array(j.scalars[(r * j.columns)..<((r + 1) * j.columns)]) }
    }
    for r in 0..<n {
      var e = [Double](repeating: 0, count: n)
      e[r] = 1
      let rows = try layer.vjps(Array(repeating: Vector(e), count: count), at: solutions, programs)
      for i in 0..<count { perElement[i][r] = try rows[i].get().flattened }
    }
    // Column of θ → (element, coordinate of its program).
    let programOffsets = [0, n * n, n * n + n, n * n + n + p * n, n * n + n + p * n + p, n * n + n + p * n + p + m * n]
    let perElementSizes = [n * n, n, p * n, p, m * n, m]
    let rowCount = count * size
    var J = Matrix<Double>.zeros(rows: rowCount, columns: layout.packed.count)
    for entry in layout.entries {
      guard let k = QuadraticProgramLayerFamily.names.firstIndex(of: entry.name) else { continue }
      for local in 0..<entry.count {
        let i = local / perElementSizes[k], coordinate = programOffsets[k] + local % perElementSizes[k]
        let column = entry.offset + local
        // Element i's rows in the stacked z = (x_all, ν_all, λ_all).
        for r in 0..<n { J[i * n + r, column] = perElement[i][r][coordinate] }
        for r in 0..<p { J[count * n + i * p + r, column] = perElement[i][n + r][coordinate] }
        for r in 0..<m { J[count * (n + p) + i * m + r, column] = perElement[i][n + p + r][coordinate] }
      }
    }
    return J
  }
}
