import ImplicitTestSupport
import Synchronization
import Testing
import _Differentiation

@testable import ImplicitCore

/// Per-feature ridge, `F(x, θ) = Xᵀ(Xx − y) + θ ∘ x`, solved in closed form by the reference
/// algebra (independent of the library's solvers).
struct PerFeatureRidge: OptimalityCondition {
  let X: Matrix<Double>
  let y: Vector<Double>

  @differentiable(reverse)
  func callAsFunction(_ x: Vector<Double>, _ θ: Vector<Double>) -> Vector<Double> {
    X.transposedTimes(X * x - y) + θ * x
  }

  var structure: LinearStructure { .symmetricPositiveDefinite }

  /// `(XᵀX + diag θ)⁻¹ Xᵀy` by Gaussian elimination on plain arrays (NaN where it fails).
  func solve(_ θ: [Double]) -> [Double] {
    let rows = Reference.rows(X)
    var gram = Reference.matmul(Reference.transpose(rows), rows)
    for j in 0..<θ.count { gram[j][j] += θ[j] }
    return Reference.solve(gram, Reference.transposedMatvec(rows, y.scalars))
      ?? [Double](repeating: .nan, count: θ.count)
  }

  static func example() -> PerFeatureRidge {
    PerFeatureRidge(
      X: Reference.matrix(Reference.randomRows(9, 4, seed: 71)), y: Vector(Reference.randomVector(9, seed: 72)))
  }
}

/// Collects every outcome a backward pass reports, in order.
final class OutcomeLog: Sendable {
  private let outcomes = Mutex<[Result<DerivativeDiagnostics, any Error>]>([])
  var handler: @Sendable (Result<DerivativeDiagnostics, any Error>) -> Void {
    { outcome in self.outcomes.withLock { $0.append(outcome) } }
  }
  var all: [Result<DerivativeDiagnostics, any Error>] { outcomes.withLock { $0 } }
}

@Suite("Batches: parallel derivatives of many problems")
struct BatchTests {
  let condition = CoupledCubicCondition.example()
  /// Distinct parameters, so that a permuted result cannot pass.
  var θs: [Vector<Double>] { (0..<9).map { Vector(Reference.randomVector(3, seed: 200 + UInt64($0))) } }

  @Test("vjps / jvps / jacobians equal the one-at-a-time calls exactly, in order, and the closed form")
  func batchEqualsSingle() throws {
    let differentiator = ImplicitDifferentiator(condition)
    let θs = self.θs
    let xs = θs.map { Vector(condition.newtonSolve($0.scalars)) }
    let vs = (0..<θs.count).map { Vector(Reference.randomVector(5, seed: 300 + UInt64($0))) }
    let ts = (0..<θs.count).map { Vector(Reference.randomVector(3, seed: 400 + UInt64($0))) }
    let vjps = try differentiator.vjps(vs, at: xs, θs)
    let jvps = try differentiator.jvps(ts, at: xs, θs)
    let jacobians = try differentiator.jacobians(at: xs, θs)
    #expect(vjps.count == θs.count && jvps.count == θs.count && jacobians.count == θs.count)
    for i in θs.indices {
      let vjp = try vjps[i].get(), single = try differentiator.vjp(vs[i], at: xs[i], θs[i])
      #expect(vjp.value == single.value)
      #expect(vjp.diagnostics == single.diagnostics)
      let jvp = try jvps[i].get(), singleJVP = try differentiator.jvp(ts[i], at: xs[i], θs[i])
      #expect(jvp.value == singleJVP.value)
      #expect(jvp.diagnostics == singleJVP.diagnostics)
      let jacobian = try jacobians[i].get()
      #expect(jacobian.matrix == (try differentiator.jacobian(at: xs[i], θs[i])).matrix)
      // Independent: the hand-derived −A⁻¹B at this element's own point.
      let reference = condition.referenceJacobian(xs[i].scalars, θs[i].scalars)
      #expect(Reference.relativeError(Reference.rows(jacobian.matrix), reference) < 1e-11)
      let referenceVJP = Reference.transposedMatvec(reference, vs[i].scalars)
      #expect(Reference.relativeError(vjp.value.scalars, referenceVJP) < 1e-10)
      #expect(Reference.relativeError(jvp.value.scalars, Reference.matvec(reference, ts[i].scalars)) < 1e-10)
    }
  }

  @Test("One bad element gets its own error, the same as alone; the others are unaffected")
  func errorIsolation() throws {
    let differentiator = ImplicitDifferentiator(condition)
    var θs = self.θs
    var xs = θs.map { Vector(condition.newtonSolve($0.scalars)) }
    var vs = (0..<θs.count).map { Vector(Reference.randomVector(5, seed: 500 + UInt64($0))) }
    θs[2] = Vector([1, .nan, 0])
    vs[5] = Vector([1, 2])  // wrong dimension
    xs[7] = Vector([Double](repeating: .infinity, count: 5))
    let results = try differentiator.vjps(vs, at: xs, θs)
    for i in θs.indices {
      let single = Result { try differentiator.vjp(vs[i], at: xs[i], θs[i]) }
      switch (results[i], single) {
      case (.success(let batch), .success(let alone)):
        #expect(![2, 5, 7].contains(i))
        #expect(batch.value == alone.value)
      case (.failure(let batch), .failure(let alone)):
        #expect([2, 5, 7].contains(i))
        #expect(batch as? ImplicitError == alone as? ImplicitError)
        #expect(batch as? ImplicitError != nil)
      default:
        Issue.record("element \(i): batch \(results[i]) vs alone \(single)")
      }
    }
    if case .failure(let e) = results[5] {
      guard case .shapeMismatch = e as? ImplicitError else {
        Issue.record("element 5: \(e)")
        return
      }
    }
  }

  @Test("Arrays of different lengths throw a typed error")
  func lengthMismatch() {
    let differentiator = ImplicitDifferentiator(condition)
    let θs = self.θs
    let xs = θs.map { Vector(condition.newtonSolve($0.scalars)) }
    #expect(throws: ImplicitError.self) { try differentiator.vjps(Array(xs.dropLast()), at: xs, θs) }
    #expect(throws: ImplicitError.self) { try differentiator.jvps(θs, at: xs, Array(θs.dropFirst())) }
    #expect(throws: ImplicitError.self) { try differentiator.jacobians(at: xs, Array(θs.dropFirst())) }
  }

  @Test("Batch.map keeps the order and each element's own error")
  func mapOrderAndErrors() {
    struct Odd: Error, Equatable { var value: Int }
    let results = Batch(Array(0..<101)).map { i -> Int in
      if i % 7 == 3 { throw Odd(value: i) }
      return i * i
    }
    #expect(results.count == 101)
    for (i, result) in results.enumerated() {
      switch result {
      case .success(let v): #expect(i % 7 != 3 && v == i * i)
      case .failure(let e): #expect(e as? Odd == Odd(value: i))
      }
    }
    #expect(Batch([Int]()).map { $0 }.isEmpty)
  }

  @Test("Inside a batch, kernels run on one thread; withThreadLimit caps and nests")
  func threading() {
    let inside = Batch(Array(0..<8)).map { _ in Kernels.availableThreads }
    #expect(inside.allSatisfy { (try? $0.get()) == 1 })
    #expect(Kernels.availableThreads == Kernels.threadCount)
    Kernels.withThreadLimit(1) {
      #expect(Kernels.availableThreads == 1)
      // A limit inside a limit never raises it.
      Kernels.withThreadLimit(4) { #expect(Kernels.availableThreads == 1) }
    }
    Kernels.withThreadLimit(0) { #expect(Kernels.availableThreads == 1) }
    // The serial batch computes the same values as the parallel one.
    let parallel = Batch(Array(0..<20)).map { Double($0).squareRoot() }
    let serial = Kernels.withThreadLimit(1) { Batch(Array(0..<20)).map { Double($0).squareRoot() } }
    #expect(zip(parallel, serial).allSatisfy { (try? $0.get()) == (try? $1.get()) })
  }

  @Test("IMPLICIT_THREADS: a positive integer sets the threads, anything else means the cores")
  func threadSetting() {
    let cores = _threadCountSetting(environment: nil)
    #expect(cores >= 1 && cores <= 8)
    #expect(_threadCountSetting(environment: "1") == 1)
    #expect(_threadCountSetting(environment: "3") == 3)
    for bad in ["0", "-2", "two", ""] { #expect(_threadCountSetting(environment: bad) == cores) }
  }

  @Test("Differentiable batch: gradient(at:) of a loss over the batch vs finite differences of re-solves")
  func differentiableBatch() throws {
    let ridge = PerFeatureRidge.example()
    let log = OutcomeLog()
    let f = ImplicitFunction(condition: ridge, options: ImplicitOptions(onDiagnostics: log.handler)) { θ in
      Vector(ridge.solve(θ.scalars))
    }
    let θs: [Vector<Double>] = (0..<6).map { (i: Int) -> Vector<Double> in
      let base = 0.2 + 0.3 * Double(i)
      return Vector((0..<4).map { (j: Int) -> Double in base + 0.05 * Double(j) })
    }
    let target = Vector(Reference.randomVector(4, seed: 73))
    // Element i weighted by i + 1: a permuted pullback cannot pass.
    let g = gradient(at: Batch(θs)) { batch in
      let xs = f(batch: batch)
      var total = 0.0
      for i in 0..<xs.count { total = total + Double(i + 1) * 0.5 * (xs[i] - target).squaredNorm() }
      return total
    }
    #expect(g.count == θs.count)
    for i in θs.indices {
      func resolved(_ θ: [Double]) -> Double {
        let x = ridge.solve(θ)
        return Double(i + 1) * 0.5
          * Reference.dot(Reference.subtract(x, target.scalars), Reference.subtract(x, target.scalars))
      }
      let fd = FiniteDifferences.gradient(at: θs[i].scalars, step: 1e-6, resolved)
      #expect(Reference.relativeError(g[i].scalars, fd) < 1e-7, "element \(i): \(g[i].scalars) vs \(fd)")
      // The one-at-a-time differentiable call.
      let alone = gradient(at: θs[i]) { θ in Double(i + 1) * 0.5 * (f(θ) - target).squaredNorm() }
      #expect(Reference.relativeError(g[i].scalars, alone.scalars) < 1e-13)
    }
    // One outcome per element (plus one per single call above), all certificates.
    #expect(log.all.count == 2 * θs.count)
    #expect(log.all.allSatisfy { (try? $0.get())?.isReliable == true })
  }

  @Test("Differentiable batch: a failing element's gradient is NaN, the others exact, outcomes in order")
  func differentiableBatchIsolation() {
    let ridge = PerFeatureRidge.example()
    let log = OutcomeLog()
    let f = ImplicitFunction(condition: ridge, options: ImplicitOptions(onDiagnostics: log.handler)) { θ in
      Vector(ridge.solve(θ.scalars))
    }
    var θs: [Vector<Double>] = (0..<5).map { (i: Int) -> Vector<Double> in
      Vector((0..<4).map { (j: Int) -> Double in 0.5 + 0.1 * Double(i + j) })
    }
    θs[3] = Vector([0.5, .infinity, 0.5, 0.5])  // the linearisation rejects a non-finite θ
    let g = gradient(at: Batch(θs)) { batch in
      let xs = f(batch: batch)
      var total = 0.0
      for i in 0..<θs.count where i != 3 { total = total + xs[i].sum() }
      return total
    }
    for i in θs.indices {
      if i == 3 {
        let nan = g[i].scalars.allSatisfy { $0.isNaN }
        #expect(nan)
      } else {
        let alone = gradient(at: θs[i]) { θ in f(θ).sum() }
        #expect(Reference.relativeError(g[i].scalars, alone.scalars) < 1e-13)
      }
    }
    let outcomes = log.all.prefix(θs.count)
    #expect(outcomes.count == θs.count)
    for (i, outcome) in outcomes.enumerated() {
      switch outcome {
      case .success: #expect(i != 3)
      case .failure(let e): #expect(i == 3 && e as? ImplicitError == .nonFinite(what: "the parameter θ"))
      }
    }
  }

  @Test("A batch is an inner-product space: flatten, unflatten, symbolic zero")
  func vectorSpace() {
    let a = Batch([Vector([1.0, 2]), Vector([3.0])]), b = Batch([Vector([0.5, -1]), Vector([2.0])])
    #expect(a.flattened == [1, 2, 3])
    #expect(a.unflattened([4, 5, 6]) == Batch([Vector([4.0, 5]), Vector([6.0])]))
    #expect(a.innerProduct(with: b) == 0.5 - 2 + 6)
    #expect(a + .zero == a && Batch.zero + a == a)
    #expect((a - b).flattened == [0.5, 3, 1])
    #expect(Batch<Vector<Double>>.zero.materialized(like: a).flattened == [0, 0, 0])
    #expect(a.dimension == 3 && !a.isSymbolicZero && Batch<Vector<Double>>.zero.isSymbolicZero)
  }
}
