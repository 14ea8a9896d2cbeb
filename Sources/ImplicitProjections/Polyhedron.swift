public import ImplicitCore
import _Differentiation

/// The parameters of the polyhedron `{x : Ex = d, Gx ≤ h}` (`E` is `mₑ × n`, `G` is `mᵢ × n`;
/// either may have no rows). Flattened as `E`, `d`, `G`, `h`.
public struct Polyhedron: InnerProductSpace, Sendable {
  public var E: Matrix<Double>
  public var d: Vector<Double>
  public var G: Matrix<Double>
  public var h: Vector<Double>

  /// Differentiable, so that sets can be built inside differentiable code.
  @differentiable(reverse)
  public init(E: Matrix<Double>, d: Vector<Double>, G: Matrix<Double>, h: Vector<Double>) {
    self.E = E
    self.d = d
    self.G = G
    self.h = h
  }

  @derivative(of: init(E:d:G:h:))
  public static func _vjpInit(E: Matrix<Double>, d: Vector<Double>, G: Matrix<Double>, h: Vector<Double>) -> (
    value: Polyhedron, pullback: (Polyhedron) -> (Matrix<Double>, Vector<Double>, Matrix<Double>, Vector<Double>)
  ) {
    (Polyhedron(E: E, d: d, G: G, h: h), { ($0.E, $0.d, $0.G, $0.h) })
  }

  public typealias TangentVector = Polyhedron
  public mutating func move(by step: Polyhedron) { self = self + step }
  public static var zero: Polyhedron { Polyhedron(E: .zero, d: .zero, G: .zero, h: .zero) }
  public static func + (l: Polyhedron, r: Polyhedron) -> Polyhedron {
    Polyhedron(E: l.E + r.E, d: l.d + r.d, G: l.G + r.G, h: l.h + r.h)
  }
  public static func - (l: Polyhedron, r: Polyhedron) -> Polyhedron {
    Polyhedron(E: l.E - r.E, d: l.d - r.d, G: l.G - r.G, h: l.h - r.h)
  }

  public var flattened: [Double] { E.scalars + d.scalars + G.scalars + h.scalars }
  /// Takes the shapes of `E` and `G` from `self`.
  public func unflattened(_ values: [Double]) -> Polyhedron {
    var offset = 0
    func take(_ count: Int) -> [Double] {
      defer { offset += count }
      return Array(values[offset..<(offset + count)])
    }
    let e = Matrix(rows: E.rows, columns: E.columns, scalars: take(E.rows * E.columns))
    let dd = Vector(take(d.count))
    let g = Matrix(rows: G.rows, columns: G.columns, scalars: take(G.rows * G.columns))
    return Polyhedron(E: e, d: dd, G: g, h: Vector(take(h.count)))
  }
}
