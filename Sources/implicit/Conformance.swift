import ImplicitConformance
import ImplicitCore

/// `implicit conformance [PATH...] [--verbose]`: the conformance kit over the catalogue
/// instances of every registered family (default PATH: `Catalog`).
@MainActor func runConformance(_ arguments: [String]) -> Int32 {
  ConformanceCommand.run(arguments: arguments, registry: .shared)
}
