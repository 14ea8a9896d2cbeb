/// Structural facts about a square linear map, used to pick a solver.
public struct LinearStructure: OptionSet, Sendable, Hashable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// `A = Aᵀ`.
  public static let symmetric = LinearStructure(rawValue: 1)
  /// `⟨v, A v⟩ > 0` for every `v ≠ 0` (together with `.symmetric`: SPD, so CG applies).
  public static let positiveDefinite = LinearStructure(rawValue: 2)
  /// Symmetric positive definite.
  public static let symmetricPositiveDefinite: LinearStructure = [.symmetric, .positiveDefinite]
  /// No structure known.
  public static let general: LinearStructure = []
}

/// A square linear map on `V`, given matrix-free by closures.
///
/// `applyTransposed` is optional: GMRES, BiCGSTAB and CG need only `apply`; normal-equation
/// CG needs both. ``template`` fixes the shape of the domain (a symbolic `.zero` has none).
public struct LinearOperator<V: InnerProductSpace> {
  /// `v ↦ A v`.
  public var apply: (V) -> V
  /// `v ↦ Aᵀ v`, if known.
  public var applyTransposed: ((V) -> V)?
  /// A value of the domain's shape.
  public var template: V
  /// What is known about `A`.
  public var structure: LinearStructure
  /// The dense matrix of `A` in `V.flattened` coordinates, when already known: dense solvers
  /// use it instead of building it from `dim` applications of ``apply``.
  public var matrix: Matrix<Double>?

  /// A linear operator from its action (and optionally that of its transpose and its matrix).
  public init(
    template: V, structure: LinearStructure = .general, matrix: Matrix<Double>? = nil,
    apply: @escaping (V) -> V, applyTransposed: ((V) -> V)? = nil
  ) {
    self.apply = apply
    self.applyTransposed = applyTransposed
    self.template = template
    self.structure = structure
    self.matrix = matrix
  }

  /// The dimension of the domain.
  public var dimension: Int { template.dimension }

  /// `Aᵀ`, if the transpose's action is known (or `A` is symmetric).
  public var transposed: LinearOperator? {
    if structure.contains(.symmetric) { return self }
    guard let t = applyTransposed else { return nil }
    return LinearOperator(
      template: template, structure: structure, matrix: matrix?._transposed(), apply: t, applyTransposed: apply)
  }

  /// `A + shift·I`.
  public func shifted(by shift: Double) -> LinearOperator {
    guard shift != 0 else { return self }
    let a = apply, at = applyTransposed
    return LinearOperator(
      template: template, structure: shift > 0 ? structure : structure.subtracting(.positiveDefinite),
      matrix: matrix.map { $0 + shift * Matrix<Double>.identity($0.rows) },
      apply: { v in
        var y = a(v)
        y.addScaled(shift, v)
        return y
      },
      applyTransposed: at.map { at in
        { v in
          var y = at(v)
          y.addScaled(shift, v)
          return y
        }
      })
  }

  /// The dense matrix of `A` in the coordinates of `V.flattened`, built column by column
  /// (one application per coordinate).
  public func materialized() -> Matrix<Double> {
    if let matrix { return matrix }
    let n = dimension
    var columns = [[Double]]()
    columns.reserveCapacity(n)
    var e = [Double](repeating: 0, count: n)
    for j in 0..<n {
      e[j] = 1
      columns.append(apply(template.unflattened(e)).flattened)
      e[j] = 0
    }
    var m = Matrix<Double>.zeros(rows: columns.first?.count ?? 0, columns: n)
    for j in 0..<n { for i in 0..<m.rows { m.scalars[i * n + j] = columns[j][i] } }
    return m
  }
}

/// An approximate inverse `M⁻¹ ≈ A⁻¹` used to speed up iterative solves.
///
/// The transposed action is part of the type so that a transposed solve (the VJP's
/// `Aᵀu = v`) is preconditioned by `M⁻ᵀ`, not silently left unpreconditioned.
public struct Preconditioner<V: InnerProductSpace>: Sendable {
  /// `r ↦ M⁻¹ r`.
  public var apply: @Sendable (V) -> V
  /// `r ↦ M⁻ᵀ r`.
  public var applyTransposed: @Sendable (V) -> V

  /// A preconditioner with a symmetric `M` (the transpose is the same map).
  public init(symmetric apply: @escaping @Sendable (V) -> V) {
    self.apply = apply
    self.applyTransposed = apply
  }
  /// A preconditioner given with its transpose.
  public init(apply: @escaping @Sendable (V) -> V, applyTransposed: @escaping @Sendable (V) -> V) {
    self.apply = apply
    self.applyTransposed = applyTransposed
  }
  /// The preconditioner for the transposed system.
  public var transposed: Preconditioner { Preconditioner(apply: applyTransposed, applyTransposed: apply) }
}

extension Preconditioner where V == Vector<Double> {
  /// Jacobi (diagonal) preconditioning: `M = diag(d)`. Zero entries are left unscaled.
  public static func jacobi(diagonal d: Vector<Double>) -> Preconditioner {
    let inverse = Vector(d.scalars.map { $0 != 0 && $0.isFinite ? 1 / $0 : 1 })
    return Preconditioner(symmetric: { $0 * inverse })
  }
}

extension LinearOperator {
  /// The largest eigenvalue of a symmetric positive-semidefinite operator, by power iteration
  /// from a fixed start (deterministic): what step sizes `1/L` need. Stops when successive
  /// estimates agree to `relativeTolerance`.
  public func largestEigenvalue(maxIterations: Int = 500, relativeTolerance: Double = 1e-10) -> Double {
    let n = dimension
    guard n > 0 else { return 0 }
    var v = template.unflattened((0..<n).map { 1 + 0.01 * Double($0 % 7) })
    v = v.scaled(by: 1 / v.norm)
    var estimate = 0.0
    for _ in 0..<maxIterations {
      let w = apply(v)
      let next = w.innerProduct(with: v)
      let norm = w.norm
      guard norm > 0, norm.isFinite else { return max(estimate, 0) }
      v = w.scaled(by: 1 / norm)
      if abs(next - estimate) <= relativeTolerance * abs(next) { return next }
      estimate = next
    }
    return estimate
  }
}

extension Matrix where Scalar == Double {
  /// `‖A‖₂²`, the largest eigenvalue of `AᵀA` (power iteration): the Lipschitz constant of the
  /// gradient of `½‖Ax − b‖²`.
  public func squaredSpectralNorm() -> Double {
    LinearOperator(template: Vector<Double>.zeros(columns), structure: .symmetric) { self.normalTimes($0) }
      .largestEigenvalue()
  }
}
