public import ImplicitCore
import _Differentiation

/// The parameters `(a, b)` of the hyperplane `{x : aᵀx = b}` (and of the halfspace
/// `{x : aᵀx ≤ b}` it bounds). Flattened as `a` followed by `b`.
public struct Hyperplane: InnerProductSpace, Sendable {
  /// The normal `a`.
  public var normal: Vector<Double>
  /// The offset `b`.
  public var offset: Double

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(normal: Vector<Double>, offset: Double) {
    self.normal = normal
    self.offset = offset
  }

  @derivative(of: init(normal:offset:))
  public static func _vjpInit(normal: Vector<Double>, offset: Double) -> (
    value: Hyperplane, pullback: (Hyperplane) -> (Vector<Double>, Double)
  ) {
    (Hyperplane(normal: normal, offset: offset), { ($0.normal, $0.offset) })
  }

  public typealias TangentVector = Hyperplane
  public mutating func move(by step: Hyperplane) { self = self + step }
  public static var zero: Hyperplane { Hyperplane(normal: .zero, offset: 0) }
  public static func + (l: Hyperplane, r: Hyperplane) -> Hyperplane {
    Hyperplane(normal: l.normal + r.normal, offset: l.offset + r.offset)
  }
  public static func - (l: Hyperplane, r: Hyperplane) -> Hyperplane {
    Hyperplane(normal: l.normal - r.normal, offset: l.offset - r.offset)
  }

  public var flattened: [Double] { normal.scalars + [offset] }
  public func unflattened(_ values: [Double]) -> Hyperplane {
    Hyperplane(normal: Vector(Array(values.dropLast())), offset: values.last ?? 0)
  }

  /// A finite normal with `n` entries whose squared norm neither vanishes nor overflows, and a
  /// finite offset.
  func check(dimension n: Int) throws {
    try ProjectionChecks.dimension(n)
    try ProjectionChecks.count("the normal a (one entry per coordinate)", normal, n)
    try ProjectionChecks.finite("the normal a", normal)
    try ProjectionChecks.finite("the offset b", offset)
    let squaredNorm = normal.squaredNorm()
    if !(squaredNorm > 0) {
      throw ImplicitError.invalidArgument("the normal a of a hyperplane must be non-zero (‖a‖² = \(squaredNorm))")
    }
    // ‖a‖² = ∞ would make the step c = (aᵀz − b)/‖a‖² zero: P(z) = z, a plausible wrong vector.
    try ProjectionChecks.finite("‖a‖² (rescale the normal a and the offset b)", squaredNorm)
  }

  /// ``check(dimension:)``, finite `z`, and a finite step `c = (aᵀz − b)/‖a‖²`.
  func check(_ z: Vector<Double>) throws {
    try ProjectionChecks.finite("z", z)
    try check(dimension: z.count)
    try ProjectionChecks.finite("(aᵀz − b)/‖a‖² (the data overflow)", (normal.dot(z) - offset) / normal.squaredNorm())
  }
}
