import ImplicitCore
import _Differentiation

/// Gradient descent on the log of the hyper-parameters, `s = log θ`:
///
///     s ← s − lr · ∇ₛ L_val(s)
///
/// with each coordinate's move capped at `maxMove` (a trust region in log space: early
/// hypergradients can be large, and a strength should change by at most a factor e^maxMove per
/// step). Working on `log θ` keeps every strength positive and makes steps scale-free.
struct HyperparameterDescent {
  var learningRate: Double
  var steps: Int
  var maxMove: Double = 1

  /// One outer step's record.
  struct Step {
    var index: Int
    var logθ: Vector<Double>
    var loss: Double
    var gradient: Vector<Double>
  }

  /// Runs from `start` and calls `report` after every hypergradient (step 0 is the start);
  /// returns the final `log θ` and the loss history.
  func run(
    from start: Vector<Double>, loss: @differentiable(reverse) (Vector<Double>) -> Double, report: (Step) -> Void
  ) throws -> (logθ: Vector<Double>, history: [Double]) {
    var s = start
    var history = [Double]()
    for k in 0...steps {
      let (value, g) = valueWithGradient(at: s, of: loss)
      guard value.isFinite, g.isFinite else {
        throw ImplicitError.nonFinite(what: "the validation loss or its hypergradient at outer step \(k)")
      }
      history.append(value)
      report(Step(index: k, logθ: s, loss: value, gradient: g))
      if k == steps { break }
      s = s - g.mapScalars { Swift.max(-maxMove, Swift.min(maxMove, learningRate * $0)) }
    }
    return (s, history)
  }
}
