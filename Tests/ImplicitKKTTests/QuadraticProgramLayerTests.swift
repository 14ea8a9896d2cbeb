import ImplicitCore
import ImplicitKKT
import ImplicitTestSupport
import Synchronization
import Testing
import _Differentiation

/// The batched QP layer against finite differences of re-solves, the generic implicit
/// differentiator, its own one-at-a-time path and a one-thread batch; failures per element.
@Suite struct QuadraticProgramLayerTests {
  /// Planted programs of one shape (`n = 6`, `p = 2`, `m = 7`), with their planted solutions.
  static func batch(_ count: Int, seed: UInt64 = 300) -> [PlantedQuadraticProgram] {
    (0..<count).map {
      PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 7, active: 1 + $0 % 3, seed: seed + UInt64($0))
    }
  }

  /// A non-symmetric `Q` (the layer must use only its symmetric part, yet differentiate each entry).
  static func skewed(_ program: QuadraticProgram, seed: UInt64) -> QuadraticProgram {
    var rng = SeededGenerator(seed: seed)
    var p = program
    let n = p.variableCount
    let k = rng.normalMatrix(rows: n, columns: n, scale: 0.3)
    // Q + K − Kᵀ has the same symmetric part as Q.
    p.Q = p.Q + k - k.transposed()
    return p
  }

  @Test func vjpMatchesFiniteDifferencesOfReSolvesForEveryInput() throws {
    let layer = QuadraticProgramLayer()
    var rng = SeededGenerator(seed: 7)
    for (k, planted) in Self.batch(3).enumerated() {
      let program = Self.skewed(planted.program, seed: 40 + UInt64(k))
      let solution = try layer.solve(program)
      #expect(TestSupport.relativeError(solution.x, planted.solution.primal) < 1e-9)
      let v = rng.normalVector(6)
      let g = try layer.vjp(v, at: solution, program)
      let fd = FiniteDifferences.gradient(at: program) { p in
        ((try? layer.solve(p).x) ?? Vector(repeating: .nan, count: 6)).innerProduct(with: v)
      }
      // Every block on its own, Q entry by entry (non-symmetric perturbations).
      let blocks = [(0, 36), (36, 6), (42, 12), (54, 2), (56, 42), (98, 7)]
      for (start, count) in blocks {
        let ours = Array(g.flattened[start..<(start + count)]), theirs = Array(fd[start..<(start + count)])
        #expect(TestSupport.relativeError(ours, theirs) < 1e-7, "block at \(start)")
      }
      #expect(!g.G.scalars.allSatisfy { $0 == 0 } && !g.h.scalars.allSatisfy { $0 == 0 })
    }
  }

  @Test func vjpEqualsTheGenericImplicitDifferentiatorOnTheFullKKTSystem() throws {
    let layer = QuadraticProgramLayer()
    var rng = SeededGenerator(seed: 8)
    for planted in Self.batch(3, seed: 320) {
      let program = Self.skewed(planted.program, seed: 9)
      let solution = try layer.solve(program)
      let v = rng.normalVector(6)
      let ours = try layer.vjp(v, at: solution, program)
      let seed = KKTSolution(primal: v, equality: .zeros(2), inequality: .zeros(7))
      let generic = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).vjp(seed, at: solution.point, program)
      #expect(TestSupport.relativeError(ours.flattened, generic.value.flattened) < 1e-10)
    }
  }

  /// The backward pass reuses the LU factors the solver's polish kept in the solution only for
  /// the matrix they factorise: paired with another program (here `Q` changed), it must use that
  /// program's matrix, as the generic differentiator does.
  @Test func storedFactorsAreNotReusedForAnotherProgram() throws {
    let layer = QuadraticProgramLayer()
    let planted = PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 7, active: 3, seed: 380)
    let solution = try layer.solve(planted.program)
    var other = planted.program
    for i in 0..<6 { other.Q[i, i] += 0.25 }
    let v = Vector<Double>((0..<6).map { Double($0) - 2.5 })
    let ours = try layer.vjp(v, at: solution, other)
    let seed = KKTSolution(primal: v, equality: .zeros(2), inequality: .zeros(7))
    let generic = try ImplicitDifferentiator(QuadraticProgramKKTCondition()).vjp(seed, at: solution.point, other)
    #expect(TestSupport.relativeError(ours.flattened, generic.value.flattened) < 1e-10)
    let own = try layer.vjp(v, at: solution, planted.program)
    #expect(TestSupport.relativeError(ours.flattened, own.flattened) > 1e-3)
  }

  /// The default layer solves with the Goldfarb–Idnani factors, a polished solve with the
  /// polish's LU, ADMM with its own polish: the same gradients.
  @Test func everySolverPathGivesTheSameGradients() throws {
    var rng = SeededGenerator(seed: 12)
    let layers = [
      QuadraticProgramLayer(), QuadraticProgramLayer(solver: ActiveSetQPSolver()),
      QuadraticProgramLayer(solver: ADMMQPSolver()),
    ]
    for planted in Self.batch(3, seed: 390) {
      let program = Self.skewed(planted.program, seed: 13)
      let v = rng.normalVector(6)
      let gradients = try layers.map { layer in try layer.vjp(v, at: layer.solve(program), program).flattened }
      #expect(TestSupport.relativeError(gradients[1], gradients[0]) < 1e-12)
      #expect(TestSupport.relativeError(gradients[2], gradients[0]) < 1e-9)
    }
  }

  @Test func batchEqualsOneAtATimeAndTheOneThreadBatchExactly() throws {
    let layer = QuadraticProgramLayer()
    let programs = Self.batch(9).map(\.program)
    var rng = SeededGenerator(seed: 10)
    let vs = programs.map { _ in rng.normalVector(6) }
    func run() throws -> (xs: [Vector<Double>], gradients: [QuadraticProgram]) {
      let solutions = try layer.solve(Batch(programs)).map { try $0.get() }
      let gradients = try layer.vjps(vs, at: solutions, programs).map { try $0.get() }
      return (solutions.map(\.x), gradients)
    }
    let parallel = try run()
    let serial = try Kernels.withThreadLimit(1) { try run() }
    #expect(parallel.xs == serial.xs)
    #expect(parallel.gradients.map(\.flattened) == serial.gradients.map(\.flattened))
    for i in programs.indices {
      let solution = try layer.solve(programs[i])
      #expect(solution.x == parallel.xs[i])
      #expect(try layer.vjp(vs[i], at: solution, programs[i]).flattened == parallel.gradients[i].flattened)
    }
  }

  /// Element 1 infeasible, element 2 with NaN in `h`, element 3 weakly active: each fails alone,
  /// with its typed error; the others equal their one-at-a-time results.
  @Test func anElementThatFailsFailsAlone() throws {
    let layer = QuadraticProgramLayer()
    var programs = Self.batch(5, seed: 340).map(\.program)
    var infeasible = programs[1]
    for j in 0..<6 {
      infeasible.G[0, j] = j == 0 ? 1 : 0
      infeasible.G[1, j] = j == 0 ? -1 : 0
    }
    (infeasible.h[0], infeasible.h[1]) = (-1, -1)  // x₀ ≤ −1 and x₀ ≥ 1
    programs[1] = infeasible
    programs[2].h[3] = .nan
    // A constraint through the optimum with no multiplier: weakly active.
    let planted = PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 7, active: 1, seed: 343)
    var weak = planted.program
    let inactive = (0..<7).first { !planted.active.contains($0) }!
    weak.h[inactive] = (weak.G * planted.solution.primal)[inactive]
    programs[3] = weak

    let solutions = try layer.solve(Batch(programs))
    #expect(throws: QuadraticProgramError.self) { try solutions[1].get() }
    #expect { try solutions[1].get() } throws: {
      if case QuadraticProgramError.infeasible = $0 { return true } else { return false }
    }
    #expect(throws: ImplicitError.nonFinite(what: "h")) { try solutions[2].get() }
    let weakSolution = try solutions[3].get()
    let v = Vector<Double>(repeating: 1, count: 6)
    #expect { try layer.vjp(v, at: weakSolution, programs[3]) } throws: {
      if case QuadraticProgramError.weaklyActiveConstraints(let indices, _) = $0 { return indices == [inactive] }
      return false
    }
    let good = [0, 4]
    let vjps = try layer.vjps(
      good.map { _ in v }, at: try good.map { try solutions[$0].get() }, good.map { programs[$0] })
    for (k, i) in good.enumerated() {
      let alone = try layer.solve(programs[i])
      #expect(try solutions[i].get().x == alone.x)
      #expect(try vjps[k].get().flattened == layer.vjp(v, at: alone, programs[i]).flattened)
    }
  }

  @Test func programsOfDifferentShapesAreAShapeMismatchNamingTheElement() throws {
    let layer = QuadraticProgramLayer()
    var programs = Self.batch(3).map(\.program)
    programs[2] = PlantedQuadraticProgram(variables: 6, equalities: 2, inequalities: 5, active: 1, seed: 1).program
    #expect {
      try layer.solve(Batch(programs))
    } throws: {
      guard case ImplicitError.shapeMismatch(let what, let expected, let actual) = $0 else { return false }
      return what.hasPrefix("G of element 2") && expected == "7×6" && actual == "5×6"
    }
    let solutions = try programs.prefix(2).map { try layer.solve($0) }
    #expect(throws: ImplicitError.self) {
      try layer.vjps([.zeros(6), .zeros(6)], at: solutions, Array(programs.prefix(1)))
    }
  }

  /// `gradient(at:)` over a batch of programs: equal to the throwing batch VJP, NaN for the failed
  /// element only, which is reported to `onFailure`.
  @Test func differentiableLayerComposesWithGradient() throws {
    let failures = Mutex<[Int]>([])
    let layer = QuadraticProgramLayer(onFailure: { i, _ in failures.withLock { $0.append(i) } })
    var programs = Self.batch(4, seed: 360).map { Self.skewed($0.program, seed: 3) }
    programs[2].c[0] = .infinity
    var rng = SeededGenerator(seed: 11)
    let ws = programs.map { _ in rng.normalVector(6) }
    let g = gradient(at: Batch(programs)) { batch in
      let xs = layer(batch)
      var loss = 0.0
      for i in 0..<xs.count where i != 2 { loss = loss + xs[i].dot(ws[i]) }
      return loss
    }
    #expect(failures.withLock { $0 } == [2])
    let allNaN = g[2].flattened.allSatisfy { $0.isNaN }
    #expect(allNaN)
    for i in [0, 1, 3] {
      let solution = try layer.solve(programs[i])
      #expect(g[i].flattened == (try layer.vjp(ws[i], at: solution, programs[i])).flattened)
    }
  }
}
