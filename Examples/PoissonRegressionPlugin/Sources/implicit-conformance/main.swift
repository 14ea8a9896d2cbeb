import Foundation
import ImplicitConformance
import ImplicitCore
import PoissonRegression

// What `swift package conformance` runs in this package: register the package's families, then
// run the library's conformance command over its catalogue.
do {
  try PoissonRegressionFamily.register()
} catch {
  print("error: \(error)")
  exit(2)
}
let arguments = CommandLine.arguments.dropFirst().filter { $0 != "conformance" }
exit(ConformanceCommand.run(arguments: Array(arguments)))
