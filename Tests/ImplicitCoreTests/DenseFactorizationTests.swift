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

  @Test(
    "DenseFactorization dispatches solve / solveTransposed for each method",
    arguments: [LinearSolverMethod.denseLU, .denseQR, .denseCholesky])
  func enumDispatch(method: LinearSolverMethod) throws {
    let a = method == .denseCholesky ? Reference.spd(n, seed: 106) : general
    guard case .success(let f) = DenseFactorization.factorize(Reference.matrix(a), method: method) else {
      Issue.record("\(method) failed to factorise")
      return
    }
    for b in rightHandSides {
      #expect(Reference.relativeError(f.solve(b), Reference.solve(a, b)!) < 1e-12)
      #expect(Reference.relativeError(f.solveTransposed(b), Reference.solve(Reference.transpose(a), b)!) < 1e-12)
    }
  }

  @Test("non-square, singular and indefinite matrices are refused, not trapped")
  func refusals() {
    let rectangular = Matrix<Double>(rows: 2, columns: 3, scalars: [1, 2, 3, 4, 5, 6])
    #expect(LUFactorization(rectangular) == nil)
    #expect(QRFactorization(rectangular) == nil)
    #expect(CholeskyFactorization(rectangular) == nil)

    let singular = Reference.matrix([[1, 2, 3, 4], [2, 4, 6, 8], [0, 1, 1, 1], [1, 0, 2, 1]])
    #expect(LUFactorization(singular)?.isSingular == true)
    #expect(QRFactorization(singular)?.isRankDeficient == true)
    guard case .failure(let e) = DenseFactorization.factorize(singular, method: .denseLU) else {
      Issue.record("singular LU accepted")
      return
    }
    #expect(e.status == .singular)
    guard case .failure(let q) = DenseFactorization.factorize(singular, method: .denseQR) else {
      Issue.record("singular QR accepted")
      return
    }
    #expect(q.status == .singular)

    let indefinite = Reference.matrix([[1, 2], [2, 1]])
    #expect(CholeskyFactorization(indefinite) == nil)
    guard case .failure(let c) = DenseFactorization.factorize(indefinite, method: .denseCholesky) else {
      Issue.record("indefinite Cholesky accepted")
      return
    }
    #expect(c.status == .notPositiveDefinite)
    let nan = Reference.matrix([[1, .nan], [0, 1]])
    #expect(CholeskyFactorization(Reference.matrix([[.nan, 0], [0, 1]])) == nil)
    if let lu = LUFactorization(nan), !lu.isSingular {
      let solution = lu.solve([1, 1])
      let allFinite = solution.allSatisfy { $0.isFinite }
      #expect(!allFinite, "NaN matrix factorised into finite solutions")
    }
  }

  @Test("an empty (0×0) factorisation solves the empty system")
  func emptyMatrix() {
    let empty = Matrix<Double>(rows: 0, columns: 0, scalars: [])
    #expect(LUFactorization(empty)?.solve([]) == [])
    #expect(CholeskyFactorization(empty)?.solve([]) == [])
    #expect(QRFactorization(empty)?.solve([]) == [])
  }
}
