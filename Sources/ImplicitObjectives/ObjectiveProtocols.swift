public import ImplicitCore

/// A ``ParametricObjective`` that can check the shapes of `x` and `θ` before it is evaluated.
///
/// The vector algebra traps on mismatched shapes (they are programming errors there); user input
/// is checked here instead, so that conditions built on the objective (for example the
/// stationarity condition) can throw a typed error rather than trap.
public protocol ShapeCheckedObjective: ParametricObjective {
  /// Throws ``ImplicitError/shapeMismatch(what:expected:actual:)`` (or another typed error)
  /// unless `x` and `θ` have the shapes this objective expects.
  func validate(_ x: Vector<Double>, _ θ: Vector<Double>) throws
}

/// A ``ParametricObjective`` whose gradient `∇ₓf(·, θ)` is Lipschitz with a known constant:
/// what step sizes `1/L` of gradient methods need.
public protocol SmoothObjective: ParametricObjective {
  /// An upper bound `L` on the Lipschitz constant of `x ↦ ∇ₓf(x, θ)` (valid for every `x`).
  func gradientLipschitzConstant(_ θ: Vector<Double>) -> Double
}

/// A ``ParametricObjective`` whose `gradient`, `gradientJVP` and `gradientPullback` are closed
/// forms on doubles (one pass over the data each, no dual numbers, no tape), so cheaper than any
/// reverse pass: conditions built on the objective call them for every derivative they need,
/// including the one-argument products (`∇ₓf`, `∇²ₓₓf·v`, `(∂∇ₓf/∂θ)·t`) that would otherwise be
/// reverse passes over dual numbers.
public protocol ClosedFormDerivatives: ParametricObjective {}
