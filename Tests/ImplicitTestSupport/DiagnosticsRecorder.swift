public import ImplicitCore
import Synchronization

/// Keeps the outcome of the latest backward pass, as a user would through
/// ``ImplicitOptions/onDiagnostics``.
public final class DiagnosticsRecorder: Sendable {
  private let state = Mutex<Result<DerivativeDiagnostics, any Error>?>(nil)

  public init() {}

  /// The handler to put in ``ImplicitOptions/onDiagnostics``.
  public var handler: @Sendable (Result<DerivativeDiagnostics, any Error>) -> Void {
    { outcome in self.state.withLock { $0 = outcome } }
  }

  /// Options with this recorder as the handler.
  public var options: ImplicitOptions { ImplicitOptions(onDiagnostics: handler) }

  /// The latest outcome.
  public var last: Result<DerivativeDiagnostics, any Error>? { state.withLock { $0 } }
}
