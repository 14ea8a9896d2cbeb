public import ImplicitCore
public import Testing
import _Differentiation

extension TestSupport {
  /// Checks that the condition reports `expected` at `(x, θ)` and that the degeneracy policy
  /// applies on both APIs: `.throwError` throws ``ImplicitError/degenerate(_:)`` from
  /// ``ImplicitDifferentiator`` and reports it to the differentiable wrapper's handler; `.flag`
  /// records it and marks the derivative unreliable; `.ignore` records it and leaves the
  /// derivative reliable.
  public static func checkDegeneracyPolicies<C: OptimalityCondition & Sendable>(
    _ condition: C, at x: Vector<Double>, _ θ: Vector<Double>, expected: [Degeneracy],
    sourceLocation: SourceLocation = #_sourceLocation
  ) throws where C.Solution == Vector<Double>, C.Parameter == Vector<Double> {
    #expect(condition.degeneracies(at: x, θ, tolerance: 1e-9) == expected, sourceLocation: sourceLocation)
    for action in [DerivativePolicy.Action.throwError, .flag, .ignore] {
      let policy = DerivativePolicy(degeneracy: action)
      let d = ImplicitDifferentiator(condition, options: ImplicitOptions(policy: policy))
      let recorder = DiagnosticsRecorder()
      let f = ImplicitFunction(
        condition: condition, options: ImplicitOptions(policy: policy, onDiagnostics: recorder.handler)
      ) {
        _ in x
      }
      _ = gradient(at: θ) { θ in f(θ).sum() }
      if action == .throwError {
        #expect(throws: ImplicitError.degenerate(expected), sourceLocation: sourceLocation) {
          try d.jacobian(at: x, θ)
        }
        #expect(throws: ImplicitError.degenerate(expected), sourceLocation: sourceLocation) {
          try d.vjp(Vector(repeating: 1, count: x.count), at: x, θ)
        }
        guard case .failure(let error)? = recorder.last else {
          Issue.record("the pullback did not report the degeneracy", sourceLocation: sourceLocation)
          continue
        }
        #expect(error as? ImplicitError == .degenerate(expected), sourceLocation: sourceLocation)
        continue
      }
      let result = try d.jacobian(at: x, θ)
      #expect(result.diagnostics.degeneracies == expected, sourceLocation: sourceLocation)
      #expect(result.diagnostics.isReliable == (action == .ignore), "\(action)", sourceLocation: sourceLocation)
      #expect(result.matrix.isFinite, sourceLocation: sourceLocation)
      guard case .success(let recorded)? = recorder.last else {
        Issue.record("the pullback did not record its diagnostics", sourceLocation: sourceLocation)
        continue
      }
      #expect(recorded.degeneracies == expected, sourceLocation: sourceLocation)
      #expect(recorded.isReliable == (action == .ignore), "\(action)", sourceLocation: sourceLocation)
    }
  }
}
