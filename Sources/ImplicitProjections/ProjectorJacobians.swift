// Which projections have an orthogonal projector as Jacobian (``Projection/jacobianIsOrthogonalProjector``):
// kept apart from the projections' own files, one declaration each, with the projector their
// `jvp` applies. Not the l2 ball or sphere (a scaled projector), transport or a general polyhedron.

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
