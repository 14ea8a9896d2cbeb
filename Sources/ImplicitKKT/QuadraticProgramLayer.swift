public import ImplicitCore
import _Differentiation

/// A batched quadratic-program layer (OptNet-style): `x*ᵢ = argmin ½xᵀQᵢx + cᵢᵀx s.t. Eᵢx = dᵢ,
/// Gᵢx ≤ hᵢ` for a batch of programs of one shape, solved in parallel, with the vector–Jacobian
/// product of a cotangent on every `x*ᵢ` with respect to all the data of its program (`Q`, `c`,
/// `E`, `d`, `G`, `h`), also in parallel (see ``Batch`` for the threading).
///
/// - Throwing API: ``solve(_:)-(Batch<QuadraticProgram>)`` and ``vjps(_:at:_:)`` return one
///   `Result` per element (an infeasible, non-convex, non-finite or degenerate element fails
///   alone, with its typed error) and throw only when the batch itself is malformed: programs of
///   different shapes (``ImplicitError/shapeMismatch(what:expected:actual:)`` naming the first
///   element that differs from element 0) or arrays of different lengths.
/// - Differentiable API: ``callAsFunction(_:)`` maps a `Batch<QuadraticProgram>` to the batch of
///   `x*`, composing with `gradient(at:)`; an element whose forward solve or derivative fails gets
///   NaN (value or gradient) and ``onFailure`` is told, in the batch's order, on the calling thread.
///
/// The derivative is the implicit one of ``QuadraticProgramKKTCondition`` (`−Bᵀu` with `Aᵀu = v`),
/// computed on the reduced system: under strict complementarity an inactive constraint
/// (`λᵢ = 0`) contributes nothing to `Bᵀu`, and an active one (`Gᵢx = hᵢ`) enters through
/// `wᵢ = λᵢuᵢ`, so `Aᵀu = (v, 0, 0)` becomes the symmetric equality-QP KKT system of the active
/// set, `[Q_s Cᵀ; C 0](u_x, (u_ν, w)) = (v, 0)` with `C = [E; G_active]` (size `n + p + |active|`).
/// The solver has factors of that very matrix, kept in the solution and used when `Q_s` and `C`
/// match exactly: by default (``ActiveSetQPSolver`` without the polish) the Goldfarb–Idnani factors
/// `J`, `R`, an `O(n²)` solve; after a polish, its LU with iterative refinement. Otherwise one LU.
/// No Krylov solve on the full KKT system. A weakly active constraint (`λᵢ` and
/// `(Gx − h)ᵢ` both within ``complementarityTolerance``) has no derivative:
/// ``QuadraticProgramError/weaklyActiveConstraints(indices:tolerance:)``; a singular reduced
/// system (LICQ or the second-order condition fails):
/// ``QuadraticProgramError/singularKKTSystem(activeInequalities:)``.
public struct QuadraticProgramLayer: Sendable {
  /// The solver of every element (default ``ActiveSetQPSolver`` without the polish: its
  /// Goldfarb–Idnani factors then serve the backward pass; the result must converge).
  public var solver: any QuadraticProgramSolver & Sendable
  /// The relative tolerance under which a constraint with `λᵢ ≈ 0` and `(Gx − h)ᵢ ≈ 0` counts as
  /// weakly active (see ``QuadraticProgramSolution/weaklyActiveConstraints(tolerance:)``).
  public var complementarityTolerance: Double
  /// Called by the differentiable API for each element that failed (forward or backward), with
  /// the element's index and error, in the batch's order, on the calling thread.
  public var onFailure: (@Sendable (_ element: Int, _ error: any Error) -> Void)?

  /// A layer solving with `solver`.
  public init(
    solver: any QuadraticProgramSolver & Sendable = ActiveSetQPSolver(polish: false),
    complementarityTolerance: Double = 1e-9,
    onFailure: (@Sendable (_ element: Int, _ error: any Error) -> Void)? = nil
  ) {
    self.solver = solver
    self.complementarityTolerance = complementarityTolerance
    self.onFailure = onFailure
  }

  // MARK: One element

  /// The converged solution of one program (throws the solver's typed errors, or
  /// ``ImplicitError/solverDidNotConverge(solver:iterations:residual:)``).
  public func solve(_ program: QuadraticProgram) throws -> QuadraticProgramSolution {
    try solver.solve(program).converged()
  }

  /// `vᵀ ∂x*/∂(Q, c, E, d, G, h)` at `solution` of `program`: a ``QuadraticProgram`` holding the
  /// gradient with respect to each input (each entry of `Q` on its own, not symmetrised).
  public func vjp(
    _ v: Vector<Double>, at solution: QuadraticProgramSolution, _ program: QuadraticProgram
  ) throws -> QuadraticProgram {
    try QuadraticProgramKKTCondition().validate(solution.point, program)
    let n = program.variableCount, p = program.equalityCount, m = program.inequalityCount
    try ImplicitError.checkDimension("the cotangent on x (one entry per variable)", v.count, expected: n)
    try ImplicitError.checkFinite("the cotangent on x", v)
    let weak = solution.weaklyActiveConstraints(tolerance: complementarityTolerance)
    if !weak.isEmpty {
      throw QuadraticProgramError.weaklyActiveConstraints(indices: weak, tolerance: complementarityTolerance)
    }
    // Strict complementarity holds: each constraint is active (λᵢ dominates) or inactive.
    let λ = solution.inequalityMultipliers, slack = solution.slack
    let λScale = max(1, λ.maxAbs)
    let active = (0..<m).filter { λ[$0] / λScale > -slack[$0] / solution.slackScale }
    let gRows = DenseQP.rows(of: program.G)
    let system = EqualityKKTSystem(
      q: program.symmetrizedQ, n: n, rows: DenseQP.rows(of: program.E) + active.map { gRows[$0] })
    // The solver factorised this very matrix (same Q and rows, compared exactly): reuse its factors.
    let rhs = v.scalars.map { -$0 }, zeros = [Double](repeating: 0, count: p + active.count)
    let solved: (x: [Double], y: [Double])?
    switch solution.activeSetFactors {
    case .goldfarbIdnani(let f) where f.symmetrizedQ == system.q && f.rows == system.rows:
      solved = f.solve(v.scalars)
    case .lu(let f) where f.system.q == system.q && f.system.rows == system.rows:
      solved = f.solve(c: rhs, b: zeros)
    default:
      solved = system.factorized()?.solve(c: rhs, b: zeros)
    }
    guard let (ux, y) = solved else { throw QuadraticProgramError.singularKKTSystem(activeInequalities: active) }
    // −Bᵀu, block by block (see QuadraticProgramKKTCondition.parameterJacobianProduct).
    let x = solution.x.scalars, ν = solution.equalityMultipliers.scalars
    var Q = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { Q[i * n + j] = -0.5 * (ux[i] * x[j] + x[i] * ux[j]) } }
    var E = [Double](repeating: 0, count: p * n)
    for i in 0..<p { for j in 0..<n { E[i * n + j] = -(y[i] * x[j] + ν[i] * ux[j]) } }
    var G = [Double](repeating: 0, count: m * n), h = [Double](repeating: 0, count: m)
    for (k, i) in active.enumerated() {
      let w = y[p + k]
      for j in 0..<n { G[i * n + j] = -(λ[i] * ux[j] + w * x[j]) }
      h[i] = w
    }
    return QuadraticProgram(
      Q: Matrix(rows: n, columns: n, scalars: Q), c: Vector(ux.map { -$0 }),
      E: Matrix(rows: p, columns: n, scalars: E), d: Vector(Array(y[0..<p])),
      G: Matrix(rows: m, columns: n, scalars: G), h: Vector(h))
  }

  // MARK: A batch (throwing API)

  /// Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` naming the first program whose
  /// shape differs from element 0's.
  public static func validateShapes(_ programs: [QuadraticProgram]) throws {
    guard let first = programs.first else { return }
    func shape(_ p: QuadraticProgram) -> [(String, String)] {
      [
        ("Q", "\(p.Q.rows)×\(p.Q.columns)"), ("c", "\(p.c.count)"), ("E", "\(p.E.rows)×\(p.E.columns)"),
        ("d", "\(p.d.count)"), ("G", "\(p.G.rows)×\(p.G.columns)"), ("h", "\(p.h.count)"),
      ]
    }
    let expected = shape(first)
    for (index, program) in programs.enumerated().dropFirst() {
      for (part, reference) in zip(shape(program), expected) where part.1 != reference.1 {
        throw ImplicitError.shapeMismatch(
          what: "\(part.0) of element \(index) of the batch (every program must have element 0's shape)",
          expected: reference.1, actual: part.1)
      }
    }
  }

  /// The solution of every program, in parallel: element `i` is what ``solve(_:)-(QuadraticProgram)``
  /// returns or throws for `programs[i]`. Throws only when the shapes differ.
  public func solve(_ programs: Batch<QuadraticProgram>) throws -> [Result<QuadraticProgramSolution, any Error>] {
    try Self.validateShapes(programs.elements)
    return programs.map { [self] program in try solve(program) }
  }

  /// ``vjp(_:at:_:)`` of every element, in parallel: element `i` is exactly what
  /// `vjp(vs[i], at: solutions[i], programs[i])` returns or throws. Throws only when the arrays
  /// differ in length or the programs in shape.
  public func vjps(
    _ vs: [Vector<Double>], at solutions: [QuadraticProgramSolution], _ programs: [QuadraticProgram]
  ) throws -> [Result<QuadraticProgram, any Error>] {
    try ImplicitError.checkDimension(
      "the batch: cotangents vs (one per program)", vs.count, expected: programs.count)
    try ImplicitError.checkDimension(
      "the batch: solutions (one per program)", solutions.count, expected: programs.count)
    try Self.validateShapes(programs)
    return Batch(Array(programs.indices)).map { [self] i in try vjp(vs[i], at: solutions[i], programs[i]) }
  }

  // MARK: The differentiable API

  /// `x*` of every program of the batch, solved in parallel; differentiable in the programs, with
  /// a pullback that runs the per-element VJPs in parallel. A failed element is NaN (see the type).
  @differentiable(reverse,wrt: programs)
  public func callAsFunction(_ programs: Batch<QuadraticProgram>) -> Batch<Vector<Double>> {
    forward(programs).value
  }

  /// The outputs and, per element, the solution or the error (reported to ``onFailure``).
  func forward(_ programs: Batch<QuadraticProgram>) -> (
    value: Batch<Vector<Double>>, solutions: [Result<QuadraticProgramSolution, any Error>]
  ) {
    let results: [Result<QuadraticProgramSolution, any Error>]
    do {
      results = try solve(programs)
    } catch {
      results = programs.elements.map { _ in .failure(error) }
    }
    let xs = zip(results, programs.elements).enumerated().map { i, pair in
      switch pair.0 {
      case .success(let solution): return solution.x
      case .failure(let error):
        onFailure?(i, error)
        return Vector(repeating: .nan, count: pair.1.variableCount)
      }
    }
    return (Batch(xs), results)
  }

  @derivative(of: callAsFunction, wrt: programs)
  @usableFromInline func _vjpCallAsFunction(_ programs: Batch<QuadraticProgram>) -> (
    value: Batch<Vector<Double>>, pullback: (Batch<Vector<Double>>) -> Batch<QuadraticProgram>
  ) {
    let (value, solutions) = forward(programs)
    let programs = programs.elements
    return (
      value,
      { [self] vs in
        // A symbolic zero cotangent (nothing depended on the batch) is zero for every element.
        let vs = vs.elements.isEmpty ? value.elements.map { Vector.zeros($0.count) } : vs.elements
        let failed: [Result<QuadraticProgram, any Error>] = programs.indices.map { i in
          .failure(ImplicitError.invalidArgument("element \(i) has no solution"))
        }
        // Only the elements whose forward solve succeeded are differentiated (the others already failed).
        let solved = solutions.enumerated().compactMap { i, s in (try? s.get()).map { (i, $0) } }
        var results = failed
        if let batch = try? vjps(
          solved.map { vs[$0.0] }, at: solved.map(\.1), solved.map { programs[$0.0] })
        {
          for (k, (i, _)) in solved.enumerated() {
            results[i] = batch[k]
            if case .failure(let error) = batch[k] { onFailure?(i, error) }
          }
        }
        return Batch(
          zip(results, programs).map { result, program in
            (try? result.get()) ?? program.unflattened([Double](repeating: .nan, count: program.dimension))
          })
      }
    )
  }
}
