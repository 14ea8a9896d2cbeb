import ImplicitCore
import ImplicitTestSupport
import Testing

/// Factorise once, solve plain and transposed systems for several right-hand sides.
@Suite("Dense factorisations")
struct DenseFactorizationTests {
  let n = 7
  var general: Reference.Rows { Reference.nonSymmetric(n, seed: 101, shift: 1, scale: 3) }
  var rightHandSides: [[Double]] { (0..<3).map { Reference.randomVector(n, seed: 102 + UInt64($0)) } }

  @Test("LU: solve and solveTransposed for several right-hand sides")
  func luReuse() throws {
    let a = general
    let lu = try #require(LUFactorization(Reference.matrix(a)))
    #expect(!lu.isSingular)
    #expect(lu.reciprocalPivotRatio > 0 && lu.reciprocalPivotRatio <= 1)
    for b in rightHandSides {
      #expect(Reference.relativeError(lu.solve(b), Reference.solve(a, b)!) < 1e-12)
      #expect(Reference.relativeError(lu.solveTransposed(b), Reference.solve(Reference.transpose(a), b)!) < 1e-12)
    }
  }

  @Test("LU needs pivoting when A₀₀ = 0")
  func luPivoting() throws {
    let a: Reference.Rows = [[0, 2, 1], [1, 1, 0], [3, 0, 1]]
    let lu = try #require(LUFactorization(Reference.matrix(a)))
    let b = [1.0, 2, 3]
    #expect(Reference.relativeError(lu.solve(b), Reference.solve(a, b)!) < 1e-14)
    #expect(Reference.relativeError(lu.solveTransposed(b), Reference.solve(Reference.transpose(a), b)!) < 1e-14)
  }

  @Test("QR: solve and solveTransposed for several right-hand sides")
  func qrReuse() throws {
    let a = general
    let qr = try #require(QRFactorization(Reference.matrix(a)))
    #expect(!qr.isRankDeficient && qr.dimension == n)
    for b in rightHandSides {
      #expect(Reference.relativeError(qr.solve(b), Reference.solve(a, b)!) < 1e-12)
      #expect(Reference.relativeError(qr.solveTransposed(b), Reference.solve(Reference.transpose(a), b)!) < 1e-12)
    }
  }

  @Test("Cholesky: solve for several right-hand sides; L Lᵀ = A")
  func choleskyReuse() throws {
    let a = Reference.spd(n, seed: 105)
    let c = try #require(CholeskyFactorization(Reference.matrix(a)))
    let l = Reference.rows(c.lower)
    for i in 0..<n { for j in (i + 1)..<n { #expect(l[i][j] == 0) } }
    #expect(Reference.relativeError(Reference.matmul(l, Reference.transpose(l)), a) < 1e-14)
    for b in rightHandSides { #expect(Reference.relativeError(c.solve(b), Reference.solve(a, b)!) < 1e-12) }
  }

  /// `x ↦ a x` with its transpose, for the dense solvers.
  static func op(_ a: Reference.Rows) -> LinearOperator<Vector<Double>> {
    let at = Reference.transpose(a)
    return LinearOperator(
      template: Vector.zeros(a.count), apply: { Vector(Reference.matvec(a, $0.scalars)) },
      applyTransposed: { Vector(Reference.matvec(at, $0.scalars)) })
  }

  @Test(
    "a dense solver prepared once solves and solves transposed for several right-hand sides",
    arguments: [DenseLU(), DenseQR(), DenseCholesky()] as [any LinearSolver])
  func preparedReuse(method: any LinearSolver) throws {
    let a = method is DenseCholesky ? Reference.spd(n, seed: 106) : general
    let prepared = method.prepare(Self.op(a), preconditioner: nil)
    for b in rightHandSides {
      let x = prepared.solve(Vector(b)), y = prepared.solveTransposed(Vector(b))
      #expect(x.status == .converged && y.status == .converged, "\(method): \(x.summary); \(y.summary)")
      #expect(Reference.relativeError(x.solution.scalars, Reference.solve(a, b)!) < 1e-12)
      #expect(Reference.relativeError(y.solution.scalars, Reference.solve(Reference.transpose(a), b)!) < 1e-12)
    }
  }

  @Test("non-square, singular and indefinite matrices are refused, not trapped")
  func refusals() {
    let rectangular = Matrix<Double>(rows: 2, columns: 3, scalars: [1, 2, 3, 4, 5, 6])
    #expect(LUFactorization(rectangular) == nil)
    #expect(QRFactorization(rectangular) == nil)
    #expect(CholeskyFactorization(rectangular) == nil)

    let singularRows: Reference.Rows = [[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 1, 1], [1, 0, 2, 1]]
    let singular = Reference.matrix(singularRows)
    #expect(LUFactorization(singular)?.isSingular == true)
    #expect(QRFactorization(singular)?.isRankDeficient == true)
    #expect(QRFactorization(singular)?.rank == 3)
    let outsideRange = Vector([1.0, 0, 0, 0])  // would need b₁ = 2b₀
    let lu = DenseLU().solve(Self.op(singularRows), outsideRange)
    #expect(lu.status == .singular, "\(lu.summary)")
    #expect(!lu.solution.isFinite, "a failed factorisation must not return a plausible vector")
    let qr = DenseQR().solve(Self.op(singularRows), outsideRange)
    #expect(qr.status == .singular, "\(qr.summary)")

    let indefinite: Reference.Rows = [[1, 2], [2, 1]]
    #expect(CholeskyFactorization(Reference.matrix(indefinite)) == nil)
    let c = DenseCholesky().solve(Self.op(indefinite), Vector([1.0, 1]))
    #expect(c.status == .notPositiveDefinite, "\(c.summary)")
    let nan = Reference.matrix([[1, .nan], [0, 1]])
    #expect(CholeskyFactorization(Reference.matrix([[.nan, 0], [0, 1]])) == nil)
    if let lu = LUFactorization(nan), !lu.isSingular {
      let solution = lu.solve([1, 1])
      let allFinite = solution.allSatisfy { $0.isFinite }
      #expect(!allFinite, "NaN matrix factorised into finite solutions")
    }
  }

  /// `count` orthonormal vectors of length `n` (Gram–Schmidt, twice, on random vectors).
  static func orthonormal(_ n: Int, _ count: Int, seed: UInt64) -> [[Double]] {
    var basis = [[Double]]()
    for k in 0..<count {
      var v = Reference.randomVector(n, seed: seed + UInt64(k))
      for _ in 0..<2 {
        for u in basis {
          let d = Reference.dot(u, v)
          for i in 0..<n { v[i] -= d * u[i] }
        }
      }
      let norm = Reference.norm(v)
      basis.append(v.map { $0 / norm })
    }
    return basis
  }

  @Test("QR on a rank-deficient consistent system returns the pseudo-inverse (minimum-norm) solution")
  func qrMinimumNorm() throws {
    // A = U Σ Vᵀ with Σ = diag(3, 1.5, 0.5, 0, 0): rank 3, A⁺ = V Σ⁺ Uᵀ in closed form.
    let n = 5
    let u = Self.orthonormal(n, n, seed: 300), v = Self.orthonormal(n, n, seed: 400)
    let sigma = [3.0, 1.5, 0.5, 0, 0]
    var a = Reference.Rows(repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i][j] += u[k][i] * sigma[k] * v[k][j] } } }
    func pseudoInverseTimes(_ left: [[Double]], _ right: [[Double]], _ b: [Double]) -> [Double] {
      // Σₖ left[k] (right[k]·b)/σₖ over the non-zero σₖ.
      var x = [Double](repeating: 0, count: n)
      for k in 0..<3 {
        let coefficient = Reference.dot(right[k], b) / sigma[k]
        for i in 0..<n { x[i] += coefficient * left[k][i] }
      }
      return x
    }
    let z = Reference.randomVector(n, seed: 500)
    let b = Reference.matvec(a, z)  // in the range of A
    let c = Reference.matvec(Reference.transpose(a), z)  // in the range of Aᵀ
    let qr = try #require(QRFactorization(Reference.matrix(a)))
    #expect(qr.rank == 3)
    let x = qr.solve(b), y = qr.solveTransposed(c)
    #expect(Reference.relativeError(x, pseudoInverseTimes(v, u, b)) < 1e-12, "\(x)")
    #expect(Reference.relativeError(y, pseudoInverseTimes(u, v, c)) < 1e-12, "\(y)")
    // Through the solver: converged (the system is consistent), same answer, true residual small.
    let prepared = DenseQR(relativeTolerance: 1e-12).prepare(Self.op(a), preconditioner: nil)
    let r = prepared.solve(Vector(b)), rt = prepared.solveTransposed(Vector(c))
    #expect(r.status == .converged && rt.status == .converged, "\(r.summary); \(rt.summary)")
    #expect(Reference.relativeError(r.solution.scalars, pseudoInverseTimes(v, u, b)) < 1e-12)
    #expect(Reference.relativeError(rt.solution.scalars, pseudoInverseTimes(u, v, c)) < 1e-12)
  }

  @Test("an empty (0×0) factorisation solves the empty system")
  func emptyMatrix() {
    let empty = Matrix<Double>(rows: 0, columns: 0, scalars: [])
    #expect(LUFactorization(empty)?.solve([]) == [])
    #expect(CholeskyFactorization(empty)?.solve([]) == [])
    #expect(QRFactorization(empty)?.solve([]) == [])
  }
}
