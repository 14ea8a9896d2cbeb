import ImplicitConformance
import ImplicitCore

/// `implicit conformance [PATH...] [--verbose]`: the conformance kit over the catalogue
/// instances of every registered family (default PATH: `Catalog`).
///
/// Before the kit runs, every case must parse, name a registered family and method, build an
/// instance (which validates its inputs' shapes) and fit the size budget
/// (``ReferenceCase/maximumInputEntries``): anything else is an error naming the file (exit 2),
/// never a skip. An empty folder and an unknown flag are errors too. The checks live in
/// ``ConformanceCommand/run(arguments:registry:)``, which plugins run as well.
@MainActor func runConformance(_ arguments: [String]) -> Int32 {
  ConformanceCommand.run(arguments: arguments, registry: .shared)
}
