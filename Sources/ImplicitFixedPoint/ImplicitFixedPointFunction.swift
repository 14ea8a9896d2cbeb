public import ImplicitCore

extension ImplicitFunction {
  /// `θ ↦ x*(θ)` with `x* = T(x*, θ)`, as a differentiable function: solved by `solver` from
  /// `initialGuess`, differentiated through `F(x, θ) = T(x, θ) − x` by the implicit function
  /// theorem (never through the iterations). This is JAXopt's `custom_fixed_point`.
  ///
  /// A solver closure cannot throw: when `solver` does not converge (or rejects the input) the
  /// returned solution is filled with NaN, so the value and every derivative are visibly NaN.
  /// Call `solver.solve(map, θ, from: x0).converged()` yourself for a typed error.
  ///
  /// ```swift
  /// let fixedPoint = ImplicitFunction(fixedPointOf: map, solver: AndersonAcceleration(),
  ///                                   initialGuess: .zeros(n))
  /// let g = gradient(at: θ) { θ in loss(fixedPoint(θ)) }
  /// ```
  public init<Map: FixedPointMap & Sendable, Solver: FixedPointSolver & Sendable>(
    fixedPointOf map: Map, solver: Solver, initialGuess: Map.Solution, options: ImplicitOptions = ImplicitOptions()
  ) where Condition == FixedPointCondition<Map>, Map.Solution: Sendable {
    self.init(condition: FixedPointCondition(map), options: options) { θ in
      if let x = try? solver.solve(map, θ, from: initialGuess).converged() { return x }
      return initialGuess.unflattened([Double](repeating: .nan, count: initialGuess.dimension))
    }
  }
}
