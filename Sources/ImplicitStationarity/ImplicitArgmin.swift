public import ImplicitCore

extension ImplicitFunction {
  /// `θ ↦ argminₓ f(x, θ)` as a differentiable function: solved by `solver` from `initialGuess`,
  /// differentiated through the stationarity condition `∇ₓf = 0` (never through the solver).
  ///
  /// A pullback cannot throw and the solver closure cannot either: when `solver` rejects the
  /// input or does not converge, the returned solution is filled with NaN (so the forward value
  /// and every derivative are visibly NaN, never a plausible number). Call
  /// `solver.solve(f, θ, from: x0).converged()` yourself for a typed error. To differentiate
  /// through the iterations instead, see ``GradientDescent/unrolled(_:_:from:iterations:)``.
  ///
  /// ```swift
  /// let f = try BinaryLogisticRegression(features: X, labels: y)
  /// let fit = ImplicitFunction(minimizing: f, stronglyConvex: true, solver: NewtonCG(),
  ///                            initialGuess: .zeros(X.columns))
  /// let g = gradient(at: θ) { θ in validationLoss(fit(θ)) }
  /// ```
  public init<Objective: ParametricObjective & Sendable, Solver: Minimizer & Sendable>(
    minimizing objective: Objective, stronglyConvex: Bool = false, solver: Solver, initialGuess: Vector<Double>,
    options: ImplicitOptions = ImplicitOptions()
  ) where Condition == StationarityCondition<Objective> {
    self.init(condition: StationarityCondition(objective, stronglyConvex: stronglyConvex), options: options) { θ in
      if let x = try? solver.solve(objective, θ, from: initialGuess).converged() { return x }
      return Vector(repeating: .nan, count: initialGuess.count)
    }
  }
}
