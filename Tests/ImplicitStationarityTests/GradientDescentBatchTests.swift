import ImplicitCore
import ImplicitObjectives
import ImplicitSparse
import ImplicitStationarity
import ImplicitTestSupport
import Testing
import _Differentiation

/// `GradientDescent.solve(_:_:from:)` on a `Batch`: every element against the one-θ solve (which
/// runs the per-element gradient), on the fused dense path (`BatchedGradientObjective`), the
/// sparse and generic fallbacks, and with failing elements.
@Suite struct GradientDescentBatchTests {
  /// A ridge problem of `rows × columns` and `count` per-feature strengths spread over [0.05, 5].
  static func ridge(
    rows: Int = 40, columns: Int = 23, count: Int = 7, seed: UInt64 = 91
  ) throws -> (f: RidgeRegression, A: Matrix<Double>, θs: [Vector<Double>]) {
    var g = SeededGenerator(seed: seed)
    let A = g.normalMatrix(rows: rows, columns: columns, scale: 1 / Double(rows).squareRoot())
    let b = g.normalVector(rows)
    let θs = (0..<count).map { k -> Vector<Double> in
      // Strengths 0.05·100^(k/(count−1)), varied a little per feature.
      let strength = 0.05 * Reference.exp(Reference.log(100) * Double(k) / Double(max(count - 1, 1)))
      return Vector((0..<columns).map { j -> Double in strength * (1 + 0.1 * Double(j % 3)) })
    }
    return (try RidgeRegression(A: A, b: b), A, θs)
  }

  /// Element by element: same status and iterations as the one-θ solve, solution and residual
  /// within `tolerance` (relative); failures with the same error description.
  static func expectMatchesOneAtATime<Objective: ParametricObjective>(
    _ solver: GradientDescent, _ f: Objective, _ θs: [Vector<Double>], from x0: Vector<Double>,
    tolerance: Double, _ label: String
  ) {
    let batch = solver.solve(f, Batch(θs), from: x0)
    #expect(batch.count == θs.count, "\(label): one result per θ")
    for (i, (θ, result)) in zip(θs, batch).enumerated() {
      let alone = Result { try solver.solve(f, θ, from: x0) }
      switch (result, alone) {
      case (.success(let r), .success(let s)):
        #expect(r.status == s.status, "\(label) element \(i): \(r.status) vs \(s.status)")
        #expect(r.iterations == s.iterations, "\(label) element \(i): \(r.iterations) vs \(s.iterations) iterations")
        if s.solution.isFinite && s.residual.isFinite {
          let error = TestSupport.relativeError(r.solution, s.solution)
          #expect(error <= tolerance, "\(label) element \(i): solution differs by \(error)")
          #expect(Swift.abs(r.residual - s.residual) <= 1e-6 * Swift.max(s.residual, 1e-8), "\(label) element \(i)")
        } else {
          #expect(!(r.solution.isFinite && r.residual.isFinite), "\(label) element \(i): the one-θ solve is non-finite")
        }
      case (.failure(let e), .failure(let d)):
        #expect("\(e)" == "\(d)", "\(label) element \(i): \(e) vs \(d)")
      default:
        Issue.record("\(label) element \(i): batch \(result) vs alone \(alone)")
      }
    }
  }

  @Test("fixed iterations on a dense ridge: every element equals its one-θ solve to 1e-12")
  func fixedIterationsDenseRidge() throws {
    let (f, _, θs) = try Self.ridge()
    let solver = GradientDescent.accelerated(mode: .fixedIterations(300))
    Self.expectMatchesOneAtATime(solver, f, θs, from: .zeros(23), tolerance: 1e-12, "accelerated, fixed")
    let plain = GradientDescent(mode: .fixedIterations(150))
    Self.expectMatchesOneAtATime(plain, f, θs, from: .zeros(23), tolerance: 1e-12, "plain, fixed")
  }

  @Test("until converged: elements stop at their own iteration, restarts per element")
  func untilConvergedPerElement() throws {
    let (f, _, θs) = try Self.ridge(count: 6)
    let solver = GradientDescent.accelerated(tolerance: 1e-9)
    let results = solver.solve(f, Batch(θs), from: .zeros(23)).map { try? $0.get() }
    let iterations = results.compactMap { $0?.iterations }
    #expect(iterations.count == θs.count && Set(iterations).count > 1, "elements converge at different iterations")
    #expect(results.allSatisfy { $0?.status == .converged })
    Self.expectMatchesOneAtATime(solver, f, θs, from: .zeros(23), tolerance: 1e-10, "accelerated, until converged")
    // The solution is the minimiser: (AᵀA + diag θ)x = Aᵀb, checked by the gradient norm.
    for (θ, r) in zip(θs, results) { #expect(f.gradient(at: r!.solution, θ).norm <= 1e-9) }
  }

  @Test("a failing element fails alone: invalid θ, wrong shape, a diverging iterate")
  func failingElements() throws {
    let (f, _, θs) = try Self.ridge(count: 4)
    var bad = θs
    bad[1] = Vector(repeating: .nan, count: 23)  // non-finite input
    bad.insert(Vector([1, 2]), at: 3)  // wrong shape
    var diverging = θs[0]
    diverging.scalars[5] = -50  // AᵀA + diag θ indefinite: x₅ grows geometrically to ±∞
    bad.append(diverging)
    let solver = GradientDescent.accelerated(mode: .fixedIterations(1000))
    let results = solver.solve(f, Batch(bad), from: .zeros(23))
    #expect(results.count == bad.count)
    guard case .failure(let nan) = results[1], case .nonFinite = nan as? ImplicitError else {
      Issue.record("NaN θ: \(results[1])")
      return
    }
    guard case .failure(let shape) = results[3], case .shapeMismatch = shape as? ImplicitError else {
      Issue.record("wrong shape: \(results[3])")
      return
    }
    let last = try results[bad.count - 1].get()
    #expect(last.status == .nonFinite && last.iterations < 1000, "the diverging element stops as non-finite")
    for i in [0, 2, 4] { #expect(try results[i].get().status == .completedFixedIterations) }
    Self.expectMatchesOneAtATime(solver, f, bad, from: .zeros(23), tolerance: 1e-12, "with failing elements")
  }

  @Test("least squares (θ = b) on the fused path; sparse design and a generic objective per element")
  func otherObjectives() throws {
    let (_, A, _) = try Self.ridge()
    var g = SeededGenerator(seed: 92)
    let targets = (0..<5).map { _ in g.normalVector(40) }
    let solver = GradientDescent.accelerated(mode: .fixedIterations(200))
    let ls = try LeastSquares(A: A)
    Self.expectMatchesOneAtATime(solver, ls, targets, from: .zeros(23), tolerance: 1e-12, "least squares")
    // Sparse design: one gradient per element, the very arithmetic of the one-θ solve.
    let sparse = try RidgeRegression(A: SparseMatrix(A), b: targets[0])
    let θs = try Self.ridge().θs
    let batch = solver.solve(sparse, Batch(θs), from: .zeros(23))
    for (θ, r) in zip(θs, batch) { #expect(try r.get().solution == solver.solve(sparse, θ, from: .zeros(23)).solution) }
    // An objective without batched gradients: the same, through `solutionGradient`.
    struct Quadratic: ParametricObjective {  // ½‖x‖² + ¼Σx⁴ − ⟨θ, x⟩
      @differentiable(reverse)
      func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
        S(0.5) * x.squaredNorm() + S(0.25) * (x * x).squaredNorm() - θ.dot(x)
      }
    }
    let quadratic = GradientDescent(stepSize: .fixed(0.1), accelerated: true, tolerance: 1e-10)
    let ts = [Vector([1.0, -2]), Vector([0.5, 0.25]), Vector([3.0, 0])]
    let generic = quadratic.solve(Quadratic(), Batch(ts), from: .zeros(2))
    for (t, r) in zip(ts, generic) {
      #expect(try r.get().solution == quadratic.solve(Quadratic(), t, from: .zeros(2)).solution)
    }
  }

  @Test("shapes: an empty batch, a batch of one, the gradients of a batch")
  func shapes() throws {
    let (f, A, θs) = try Self.ridge(rows: 13, columns: 9, count: 5)
    let solver = GradientDescent.accelerated(mode: .fixedIterations(50))
    #expect(solver.solve(f, Batch([]), from: .zeros(9)).isEmpty)
    let one = try solver.solve(f, Batch([θs[2]]), from: .zeros(9))[0].get()
    #expect(one.solution == (try solver.solve(f, θs[2], from: .zeros(9))).solution, "a batch of one is the one-θ solve")
    // The batched gradients against the naive Aᵀ(Ax − b) + θ ⊙ x.
    var g = SeededGenerator(seed: 93)
    let xs = (0..<5).map { _ in g.normalVector(9) }
    let batched = try f.gradients(at: xs, θs)
    for (i, x) in xs.enumerated() {
      let r = Reference.subtract(Reference.matvec(Reference.rows(A), x.scalars), f.b.scalars)
      let naive = zip(Reference.transposedMatvec(Reference.rows(A), r), zip(θs[i].scalars, x.scalars)).map {
        $0 + $1.0 * $1.1
      }
      #expect(TestSupport.relativeError(batched[i].scalars, naive) <= 1e-13, "gradient \(i)")
    }
    // Bad calls throw, never trap: lengths that differ, a point of the wrong size, a NaN θ.
    #expect(throws: ImplicitError.self) { try f.gradients(at: xs, Array(θs.prefix(3))) }
    #expect(throws: ImplicitError.self) { try f.gradients(at: xs + [Vector([1, 2])], θs + [θs[0]]) }
    #expect(throws: ImplicitError.self) {
      try f.gradients(at: xs, θs.dropLast() + [Vector(repeating: .nan, count: 9)])
    }
  }
}

extension GradientDescentBatchTests {
  @Test("binary logistic regression (with and without intercept) on the fused path", arguments: [false, true])
  func logistic(intercept: Bool) throws {
    let problem = try Problems.logistic(n: 60, d: 9)
    let f = try BinaryLogisticRegression(features: problem.X, labels: problem.y, fitIntercept: intercept)
    let θs = (0..<5).map { k in problem.θ.scaled(by: 0.2 + Double(k)) }
    let dimension = f.solutionDimension
    for solver in [GradientDescent.accelerated(mode: .fixedIterations(200)), .accelerated(tolerance: 1e-9)] {
      Self.expectMatchesOneAtATime(solver, f, θs, from: .zeros(dimension), tolerance: 1e-11, "logistic \(solver.mode)")
    }
    // The batched gradients against the per-element closed form, away from zero.
    var g = SeededGenerator(seed: 94)
    let xs = (0..<5).map { _ in g.normalVector(dimension) }
    for (i, batched) in try f.gradients(at: xs, θs).enumerated() {
      #expect(TestSupport.relativeError(batched, f.gradient(at: xs[i], θs[i])) <= 1e-13, "gradient \(i)")
    }
  }
}
