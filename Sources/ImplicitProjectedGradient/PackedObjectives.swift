import ImplicitCore
import _Differentiation

/// Reads a reference case's inputs from its packed `θ` (see ``ParameterPack``) generically over
/// the scalar, so that objectives built on it get exact second derivatives by dual numbers.
struct PackedReader: Sendable {
  let pack: ParameterPack

  init(_ pack: ParameterPack) { self.pack = pack }

  func entry(_ name: String) -> ParameterPack.Entry? { pack.entries.first { $0.name == name } }

  /// Input `name` from `p` when it is differentiated, else the constant `fallback`.
  @differentiable(reverse,wrt: p)
  func vector<S: RealScalar>(_ name: String, in p: Vector<S>, else fallback: Vector<Double>) -> Vector<S> {
    guard let e = entry(name) else { return Vector<S>(converting: fallback.scalars) }
    return p.slice(from: e.offset, count: e.count)
  }

  /// A matrix input from `p`, else `fallback`.
  @differentiable(reverse,wrt: p)
  func matrix<S: RealScalar>(_ name: String, in p: Vector<S>, else fallback: Matrix<Double>) -> Matrix<S> {
    guard let e = entry(name) else { return Matrix<S>(converting: fallback) }
    return p.slice(from: e.offset, count: e.count).reshaped(rows: fallback.rows, columns: fallback.columns)
  }
}

/// An objective whose value and gradient are also written directly on `Double`s, for the
/// solver's inner loop (reverse mode stays for the condition's exact second-order products).
protocol DirectGradientObjective {
  func directValue(at x: Vector<Double>, _ p: Vector<Double>) -> Double
  func directGradient(at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double>
}

/// `f(x, p) = ½‖A x − b‖²` with `A` and `b` read from the packed case parameters `p` when they
/// are differentiated.
struct PackedLeastSquares: ParametricObjective, DirectGradientObjective {
  let A: Matrix<Double>
  let b: Vector<Double>
  let reader: PackedReader

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ p: Vector<S>) -> S {
    let residual = reader.matrix("A", in: p, else: A) * x - reader.vector("b", in: p, else: b)
    return S(0.5) * residual.squaredNorm()
  }

  func residual(_ x: Vector<Double>, _ p: Vector<Double>) -> (a: Matrix<Double>, r: Vector<Double>) {
    let a: Matrix<Double> = reader.matrix("A", in: p, else: A)
    return (a, a * x - reader.vector("b", in: p, else: b))
  }
  func directValue(at x: Vector<Double>, _ p: Vector<Double>) -> Double { 0.5 * residual(x, p).r.squaredNorm() }
  /// `Aᵀ(Ax − b)`.
  func directGradient(at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> {
    let (a, r) = residual(x, p)
    return a.transposedTimes(r)
  }
}

/// `f(x, p) = ½xᵀQx + cᵀx` with `Q` and `c` read from the packed case parameters `p` when they
/// are differentiated (`Q` as written: the gradient is `½(Q + Qᵀ)x + c`).
struct PackedQuadratic: ParametricObjective, DirectGradientObjective {
  let Q: Matrix<Double>
  let c: Vector<Double>
  let reader: PackedReader

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ p: Vector<S>) -> S {
    let q = reader.matrix("Q", in: p, else: Q)
    return S(0.5) * x.dot(q * x) + reader.vector("c", in: p, else: c).dot(x)
  }

  func directValue(at x: Vector<Double>, _ p: Vector<Double>) -> Double {
    let q: Matrix<Double> = reader.matrix("Q", in: p, else: Q)
    return 0.5 * x.dot(q * x) + reader.vector("c", in: p, else: c).dot(x)
  }
  /// `½(Q + Qᵀ)x + c`.
  func directGradient(at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> {
    let q: Matrix<Double> = reader.matrix("Q", in: p, else: Q)
    return 0.5 * (q * x + q.transposedTimes(x)) + reader.vector("c", in: p, else: c)
  }
}

/// `f(x, p) = ½‖x − z‖²` with `z` read from the packed case parameters `p` when differentiated:
/// its projected-gradient fixed point with step 1 is `x = P_C(z)`, the projection itself.
struct PackedSquaredDistance: ParametricObjective, DirectGradientObjective {
  let z: Vector<Double>
  let reader: PackedReader

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ p: Vector<S>) -> S {
    S(0.5) * (x - reader.vector("z", in: p, else: z)).squaredNorm()
  }

  func directValue(at x: Vector<Double>, _ p: Vector<Double>) -> Double {
    0.5 * (x - reader.vector("z", in: p, else: z)).squaredNorm()
  }
  func directGradient(at x: Vector<Double>, _ p: Vector<Double>) -> Vector<Double> {
    x - reader.vector("z", in: p, else: z)
  }
}
