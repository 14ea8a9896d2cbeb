import ImplicitCore
import ImplicitTestSupport
import Testing
import _Differentiation

/// Operations written once, generically over the scalar: on `Double` they take the fast
/// kernels, on `Dual` the generic loops. Every result is a vector (scalars are scaled ones).
enum GenericOperation: String, CaseIterable, Sendable, CustomStringConvertible {
  case scaleLeft, scaleRight, divideByScalar, addVector, subtractVector, addScalar, subtractScalar, negate
  case hadamard, elementwiseDivide, dot, sum, mean, squaredNorm, norm, logSumExp, softmax
  case exp, log, sqrt, squared, softplus, sigmoid, relu, abs
  case slice, concatenated, matvec, transposedTimes, normalTimes, matmul, transposed, rowSums, columnSums
  case rowLogSumExp, elementwiseProduct, matrixScale, matrixSquaredNorm, matrixSum
  case dataTimes, dataTransposedTimes

  var description: String { rawValue }

  static let n = 37  // not a multiple of the SIMD block sizes (16 for dot, 8 for sum)
  static let matrix = Matrix(rows: 23, columns: n, scalars: Reference.randomVector(23 * n, seed: 131))
  static let other = Reference.randomVector(n, seed: 132)
  static let right = Matrix(rows: 6, columns: 5, scalars: Reference.randomVector(30, seed: 133))

  @differentiable(reverse,wrt: x)
  func apply<S: RealScalar>(_ x: Vector<S>) -> Vector<S> {
    let y = Vector<S>(converting: Self.other)
    let one = Vector<S>(repeating: 1, count: 1)
    let m = Matrix<S>(converting: Self.matrix)
    let square = Matrix(reshaping: x.slice(from: 1, count: 36), rows: 6, columns: 6)
    switch self {
    case .scaleLeft: return S(1.7) * x
    case .scaleRight: return x * S(-0.3)
    case .divideByScalar: return x / S(2.9)
    case .addVector: return x + y
    case .subtractVector: return y - x
    case .addScalar: return x + S(0.4)
    case .subtractScalar: return x - S(0.4)
    case .negate: return -x
    case .hadamard: return x * y
    case .elementwiseDivide: return x / (y.squared() + S(1))
    case .dot: return x.dot(y) * one
    case .sum: return x.sum() * one
    case .mean: return x.mean() * one
    case .squaredNorm: return x.squaredNorm() * one
    case .norm: return x.norm() * one
    case .logSumExp: return x.logSumExp() * one
    case .softmax: return x.softmax()
    case .exp: return x.exp()
    case .log: return (x.squared() + S(0.5)).log()
    case .sqrt: return (x.squared() + S(0.5)).sqrt()
    case .squared: return x.squared()
    case .softplus: return (S(4) * x).softplus()
    case .sigmoid: return (S(4) * x).sigmoid()
    case .relu: return x.relu()
    case .abs: return x.abs()
    case .slice: return x.slice(from: 3, count: 20)
    case .concatenated: return x.concatenated(with: y.slice(from: 0, count: 5))
    case .matvec: return m * x
    case .transposedTimes: return m.transposedTimes(m * x)
    case .normalTimes: return m.normalTimes(x)
    case .matmul: return (square * Matrix<S>(converting: Self.right)).flattenedVector()
    case .transposed: return square.transposed().flattenedVector()
    case .rowSums: return square.rowSums()
    case .columnSums: return square.columnSums()
    case .rowLogSumExp: return square.rowLogSumExp()
    case .elementwiseProduct: return square.elementwiseProduct(square).flattenedVector()
    case .matrixScale: return (S(0.7) * square).flattenedVector()
    case .matrixSquaredNorm: return square.squaredNorm() * one
    case .matrixSum: return square.sum() * one
    // A constant Double matrix times a vector of any scalar (no conversion of the data).
    case .dataTimes: return Self.matrix.times(x)
    case .dataTransposedTimes: return Self.matrix.transposedTimes(Self.matrix.times(x).softplus())
    }
  }
}

/// The `Double` fast paths (SIMD kernels, reverse mode) against the generic `Dual` paths
/// (plain loops, forward mode): same values, and `⟨r, J v⟩` from dual numbers equals
/// `⟨Jᵀ r, v⟩` from reverse mode.
@Suite("Double fast paths vs Dual generic paths")
struct DualFastPathTests {
  @Test("values and derivatives agree", arguments: GenericOperation.allCases)
  func fastAndGenericPathsAgree(operation: GenericOperation) {
    let n = GenericOperation.n
    let x = Vector(Reference.randomVector(n, seed: 134))
    let v = Vector(Reference.randomVector(n, seed: 135))
    let fast = operation.apply(x)
    let dual = operation.apply(Vector<Dual>(values: x, derivatives: v))
    // The generic path proper: the same operation on a converted matrix / plain loops.
    if operation == .dataTimes {
      let loops = Reference.matvec(Reference.rows(GenericOperation.matrix), x.scalars)
      #expect(Reference.relativeError(fast.scalars, loops) < 1e-14)
      let derivativeLoops = Reference.matvec(Reference.rows(GenericOperation.matrix), v.scalars)
      #expect(Reference.relativeError(dual.derivatives.scalars, derivativeLoops) < 1e-14)
    }
    #expect(fast.count == dual.count)
    guard fast.count == dual.count else { return }
    #expect(Reference.relativeError(dual.values.scalars, fast.scalars) < 1e-14, "\(operation) values")

    let r = Vector(Reference.randomVector(fast.count, seed: 136))
    let forward = Reference.dot(r.scalars, dual.derivatives.scalars)
    let pulled = pullback(at: x) { x in operation.apply(x) }(r)
    let reverse = Reference.dot(pulled.isEmpty ? [Double](repeating: 0, count: n) : pulled.scalars, v.scalars)
    #expect(
      Swift.abs(forward - reverse) <= 1e-12 * Swift.max(1, Swift.abs(forward)),
      "\(operation): ⟨r, Jv⟩ = \(forward) (dual), ⟨Jᵀr, v⟩ = \(reverse) (reverse)")
  }
}
