// Which projections have an orthogonal projector as Jacobian (``Projection/jacobianIsOrthogonalProjector``):
// kept apart from the projections' own files, one declaration each, with the projector their
// `jvp` applies. Not the l2 ball or sphere (a scaled projector), transport or a general polyhedron.

public import ImplicitCore

extension SimplexProjection {
  /// `∂P/∂z` is on the support `S`, `I_S − 11ᵀ/|S|`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension RowSimplexProjection {
  /// `∂P/∂z` is the simplex projector of each row: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension SparseSimplexProjection {
  /// `∂P/∂z` is the simplex projector on the kept coordinates: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension BoxProjection {
  /// `∂P/∂z` is `diag(mask of free coordinates)`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension NonNegativeProjection {
  /// `∂P/∂z` is `diag([zᵢ > 0])`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension LInfinityBallProjection {
  /// `∂P/∂z` is `diag(mask of unclipped coordinates)`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension L1SphereProjection {
  /// `∂P/∂z` is on the signed support, `I − ssᵀ/|S|`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension L1BallProjection {
  /// `∂P/∂z` is `I` inside, the l1-sphere projector outside: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension HyperplaneProjection {
  /// `∂P/∂z` is `I − aaᵀ/‖a‖²`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension HalfspaceProjection {
  /// `∂P/∂z` is `I` inside, the hyperplane projector outside: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension AffineSetProjection {
  /// `∂P/∂z` is `I − Aᵀ(AAᵀ)⁻¹A`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension BoxSectionProjection {
  /// `∂P/∂z` is on the free coordinates `F`, `I_F − w_F w_Fᵀ/‖w_F‖²`: an orthogonal projector.
  public var jacobianIsOrthogonalProjector: Bool { true }
}

extension SimplexProjection {
  /// The support found once: `v ↦ 1_S ⊙ (v − mean_S(v))`.
  public func preparedJacobianProduct(at z: Vector<Double>, _ s: Double) -> (Vector<Double>) -> Vector<Double> {
    let (indicator, size) = support(z, s)
    return { v in
      guard size > 0 else { return Vector.zeros(z.count) }
      let v = v.expanded(to: z.count)
      var sum = 0.0
      for i in indicator.indices where indicator[i] > 0 { sum += v[i] }
      let mean = sum / size
      return Vector(indicator.indices.map { indicator[$0] > 0 ? v[$0] - mean : 0 })
    }
  }
}

extension RowSimplexProjection {
  /// Every row's support found once; each product is one pass over `v`.
  public func preparedJacobianProduct(at z: Vector<Double>, _ θ: Vector<Double>) -> (Vector<Double>) -> Vector<Double> {
    let k = columns, m = rows(z)
    var mask = [Bool](repeating: false, count: z.count)
    var sizes = [Double](repeating: 0, count: m)
    for r in 0..<m {
      let (indicator, size) = SimplexProjection().support(row(z, r), 1)
      for c in 0..<k { mask[r * k + c] = indicator[c] > 0 }
      sizes[r] = size
    }
    return { v in
      let v = v.expanded(to: z.count)
      var out = [Double](repeating: 0, count: v.count)
      v.scalars.withUnsafeBufferPointer { v in
        for r in 0..<m where sizes[r] > 0 {
          var sum = 0.0
          for i in (r * k)..<((r + 1) * k) where mask[i] { sum += v[i] }
          let mean = sum / sizes[r]
          for i in (r * k)..<((r + 1) * k) where mask[i] { out[i] = v[i] - mean }
        }
      }
      return Vector(out)
    }
  }
}
