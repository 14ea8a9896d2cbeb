public import ImplicitCore
import _Differentiation

/// The `ridge` family of reference cases: `x* = argmin ½‖Ax − b‖² + ½θ‖x‖²`, differentiated
/// with respect to any of `A`, `b`, `theta` (`theta` a scalar or one strength per feature).
public enum RidgeFamily {
  /// The registry descriptor.
  public static let descriptor = ConditionFamily(
    name: "ridge",
    formula: "F(x, θ) = Aᵀ(Ax − b) + θ·x   (x* = argmin ½‖Ax − b‖² + ½θ‖x‖²)",
    assumptions: [
      "AᵀA + θI positive definite (θ > 0, or A of full column rank)",
      "theta is a scalar or has one entry per column of A",
    ],
    module: "ImplicitRidge",
    makeInstance: makeInstance)

  /// Registers the family with `registry`.
  public static func register(in registry: FamilyRegistry = .shared) throws { try registry.register(descriptor) }

  /// The most memory (bytes) a case's evaluation may take: ``estimatedBytes(rows:columns:parameters:)``
  /// above this is refused with a format error before anything is allocated. 1 GiB.
  public static let memoryBudget = 1 << 30

  /// What evaluating a case with an `n × p` matrix `A` and `P` packed parameters holds at once,
  /// in bytes: the data (`n·p`), the Gram matrix of the smaller side (`min(n, p)²`; the solve
  /// never forms `AᵀA` for a wide `A`) and three `p × P` Jacobians (the differentiator's, its
  /// refined certificate's and the evaluator's). The solves themselves are matrix-free
  /// (products by `A` and `Aᵀ`), the Jacobian by the smaller side.
  public static func estimatedBytes(rows n: Int, columns p: Int, parameters: Int) -> Double {
    let (n, p, parameters) = (Double(n), Double(p), Double(parameters))
    return 8 * (n * p + min(n, p) * min(n, p) + 3 * p * parameters)
  }

  /// Ridge on all its inputs, reparametrised by the case's packed parameters.
  @Sendable static func makeInstance(_ c: any CaseData) throws -> any RunnableInstance {
    let A = try c.matrix("A")
    _ = try c.vector("b", count: A.rows)
    let theta = try c.array("theta")
    guard theta.values.count == 1 || theta.values.count == A.columns else {
      throw c.formatError(
        field: "theta", message: "expected a scalar or \(A.columns) entries, got \(theta.values.count)")
    }
    let layout = try ParameterLayout(c)
    let bytes = estimatedBytes(rows: A.rows, columns: A.columns, parameters: layout.packed.count)
    guard bytes <= Double(memoryBudget) else {
      throw c.formatError(
        field: "A",
        message: "A is \(A.rows)×\(A.columns) with \(layout.packed.count) differentiated parameters: its "
          + "evaluation needs about \(Int(bytes / 1_048_576)) MiB (the \(A.columns)×\(layout.packed.count) "
          + "Jacobian), over the ridge family's budget of \(memoryBudget / 1_048_576) MiB")
    }
    // A is part of θ only when differentiated: as data it stays in the condition, so the
    // products never copy it.
    let differentiatesA = layout.entry("A") != nil
    let base = RidgeInputsCondition(
      rows: A.rows, columns: A.columns, strengths: theta.values.count, data: differentiatesA ? nil : A)
    let condition = Reparametrized(
      base,
      map: try InputSelection(
        c, layout: layout, concatenating: differentiatesA ? ["A", "b", "theta"] : ["b", "theta"]))
    return Instance(
      condition: condition, parameter: layout.packed,
      reference: { (try base.solve(condition.map(layout.packed)), [base.solverNote]) }
    ) { p, _ in try base.solve(condition.map(p)) }
  }
}

/// Ridge posed on its inputs, `θ = [vec(A); b; strength]`, or `θ = [b; strength]` with `A` held
/// as data (one strength, or one per feature): `F(x, θ) = Aᵀ(Ax − b) + strength·x`.
///
/// Every product is explicit and matrix-free (products by `A` and `Aᵀ`, read in place from the
/// data or from `θ`), so the implicit Jacobian takes columns by JVPs when `θ` is the smaller
/// side, rows by VJPs otherwise, with one prepared solver.
struct RidgeInputsCondition: OptimalityCondition {
  let rows: Int
  let columns: Int
  let strengths: Int
  /// `A` when it is data (not in `θ`); else an empty matrix.
  let data: Matrix<Double>
  /// Whether `θ` starts with `vec(A)`.
  let aInParameter: Bool

  init(rows: Int, columns: Int, strengths: Int, data: Matrix<Double>?) {
    self.rows = rows
    self.columns = columns
    self.strengths = strengths
    self.data = data ?? Matrix(rows: 0, columns: 0, scalars: [])
    aInParameter = data == nil
  }

  /// Where `b` starts in `θ`.
  var bOffset: Int { aInParameter ? rows * columns : 0 }
  var parameterCount: Int { bOffset + rows + strengths }

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let target = θ.slice(from: bOffset, count: rows)
    let strength = θ.slice(from: bOffset + rows, count: strengths)
    if aInParameter {
      let a = θ.slice(from: 0, count: rows * columns).reshaped(rows: rows, columns: columns)
      return penalized(a.transposedTimes(a * x - target), x, strength)
    }
    return penalized(data.transposedTimes(data * x - target), x, strength)
  }

  @differentiable(reverse)
  func penalized(_ gradient: Vector<Double>, _ x: Vector<Double>, _ strength: Vector<Double>) -> Vector<Double> {
    if strengths == 1 { return gradient + strength.sum() * x }
    return gradient + strength * x
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension(
      aInParameter ? "θ = [A; b; theta]" : "θ = [b; theta]", θ.count, expected: parameterCount)
    try ImplicitError.checkDimension("x (one entry per column of A)", x.count, expected: columns)
  }

  // MARK: Matrix-free products

  /// Calls `body` with `A` (row-major `rows × columns`), read in place.
  func withA<R>(_ θ: Vector<Double>, _ body: (UnsafePointer<Double>) -> R) -> R {
    (aInParameter ? θ.scalars : data.scalars).withUnsafeBufferPointer { body($0.baseAddress!) }
  }

  func times(_ v: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var out = [Double](repeating: 0, count: rows)
    withA(θ) { a in v.scalars.withUnsafeBufferPointer { Kernels.matvec(a, rows, columns, $0.baseAddress!, &out) } }
    return Vector(out)
  }

  func transposedTimes(_ u: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    var out = [Double](repeating: 0, count: columns)
    withA(θ) { a in
      u.scalars.withUnsafeBufferPointer { Kernels.matvecTransposed(a, rows, columns, $0.baseAddress!, &out) }
    }
    return Vector(out)
  }

  /// `strength ⊙ v`.
  func strengthTimes(_ v: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    let s = bOffset + rows
    return strengths == 1 ? θ[s] * v : Vector((0..<columns).map { θ[s + $0] * v[$0] })
  }

  /// `A v = Aᵀ(A v) + strength ⊙ v`.
  func solutionJacobianProduct(_ v: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    transposedTimes(times(v, θ), θ) + strengthTimes(v, θ)
  }

  /// `Aᵀu = A u` (symmetric).
  func solutionJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    solutionJacobianProduct(u, at: x, θ)
  }

  /// `B t = dAᵀ(Ax − b) + Aᵀ(dA x − db) + ds ⊙ x` for `t = [dA; db; ds]` (no `dA` when `A` is data).
  func parameterJacobianProduct(_ t: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double>? {
    guard !t.isSymbolicZero else { return Vector.zeros(columns) }
    let db = Vector(Array(t.scalars[bOffset..<(bOffset + rows)]))
    let ds = Vector(Array(t.scalars[(bOffset + rows)...]))
    var inner = -db
    var out = strengths == 1 ? ds[0] * x : ds * x
    if aInParameter {
      let residual = times(x, θ) - Vector(Array(θ.scalars[bOffset..<(bOffset + rows)]))
      var dAx = [Double](repeating: 0, count: rows)
      var dAr = [Double](repeating: 0, count: columns)
      t.scalars.withUnsafeBufferPointer { dA in
        x.scalars.withUnsafeBufferPointer { Kernels.matvec(dA.baseAddress!, rows, columns, $0.baseAddress!, &dAx) }
        residual.scalars.withUnsafeBufferPointer {
          Kernels.matvecTransposed(dA.baseAddress!, rows, columns, $0.baseAddress!, &dAr)
        }
      }
      inner = inner + Vector(dAx)
      out = out + Vector(dAr)
    }
    return out + transposedTimes(inner, θ)
  }

  /// `Bᵀu = [(Ax − b)uᵀ + (Au)xᵀ; −Au; u ⊙ x (summed for one strength)]`.
  func parameterJacobianTransposedProduct(_ u: Vector<Double>, at x: Vector<Double>, _ θ: Vector<Double>) -> Vector<
    Double
  >? {
    let au = times(u, θ)
    var out = [Double]()
    out.reserveCapacity(parameterCount)
    if aInParameter {
      let residual = times(x, θ) - Vector(Array(θ.scalars[bOffset..<(bOffset + rows)]))
      for i in 0..<rows {
        for j in 0..<columns { out.append(residual[i] * u[j] + au[i] * x[j]) }
      }
    }
    out += (-au).scalars
    let ux = u * x
    out += strengths == 1 ? [ux.sum()] : ux.scalars
    return Vector(out)
  }

  // MARK: Reference solve

  /// The exact solution at `θ` (see `solveRidge`: the smaller Gram system, never `AᵀA` of a wide `A`).
  func solve(_ θ: Vector<Double>) throws -> Vector<Double> {
    let a = aInParameter ? Matrix(rows: rows, columns: columns, scalars: Array(θ.scalars[0..<(rows * columns)])) : data
    let b = Vector(Array(θ.scalars[bOffset..<(bOffset + rows)]))
    let strength = Array(θ.scalars[(bOffset + rows)...])
    let penalty = strengths == 1 ? Vector(repeating: strength[0], count: columns) : Vector(strength)
    return try solveRidge(A: a, b: b, penalty: penalty)
  }

  /// How ``solve(_:)`` solves, for reports.
  var solverNote: String {
    columns <= rows
      ? "solver: dense Cholesky of AᵀA + θI"
      : "solver: dense Cholesky of the dual system A diag(θ)⁻¹Aᵀ + I (of AᵀA + diag(θ) if a θⱼ is 0)"
  }
}
