// swift-tools-version:6.1
import PackageDescription

/// Automatic implicit differentiation for Swift.
///
/// `ImplicitCore` owns the optimality-condition protocol, the differentiable dense algebra, the
/// checked linear solvers and the implicit-differentiation machinery, and knows no condition.
/// Each family of optimality conditions is a module of its own that depends on the core (and on
/// the shared pieces it needs: objectives, projections, prox operators), never on another
/// condition module.
let settings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

/// Shared pieces: used by several condition families, they are not condition families.
let shared: [(name: String, dependencies: [String])] = [
  ("ImplicitSparse", []),
  ("ImplicitObjectives", ["ImplicitSparse"]),
  ("ImplicitProjections", []),
  ("ImplicitProximal", ["ImplicitProjections"]),
  ("ImplicitGradientStep", ["ImplicitObjectives", "ImplicitProjections", "ImplicitProximal"]),
]

/// What the four gradient-step families build on: the one gradient-step condition and solver.
let gradientStepFamily = ["ImplicitObjectives", "ImplicitProjections", "ImplicitProximal", "ImplicitGradientStep"]

/// Condition families: each depends on the core and on shared pieces only.
let families: [(name: String, dependencies: [String])] = [
  ("ImplicitRidge", []),
  ("ImplicitStationarity", ["ImplicitObjectives"]),
  ("ImplicitKKT", ["ImplicitObjectives"]),
  ("ImplicitProximalGradient", gradientStepFamily + ["ImplicitSparse"]),
  ("ImplicitProjectedGradient", gradientStepFamily),
  ("ImplicitMirrorDescent", gradientStepFamily),
  ("ImplicitBlockCoordinateDescent", gradientStepFamily),
  ("ImplicitFixedPoint", []),
]

let modules = shared + families
let allModuleNames = modules.map(\.name)

var targets: [Target] = [
  .target(
    name: "ImplicitApplications",
    dependencies: ["ImplicitCore"] + allModuleNames.map { .target(name: $0) },
    exclude: ["Resources/DATA-LICENSES.md"],
    resources: [.copy("Resources/digits.csv"), .copy("Resources/breast_cancer.csv")],
    swiftSettings: settings),
  .testTarget(
    name: "ImplicitApplicationsTests",
    dependencies: ["ImplicitApplications", "ImplicitCore", "ImplicitTestSupport"]
      + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .target(
    name: "ImplicitFamilies", dependencies: families.map { .target(name: $0.name) } + ["ImplicitCore"],
    swiftSettings: settings),
  .testTarget(
    name: "CatalogExamplesTests",
    dependencies: ["ImplicitCore", "ImplicitTestSupport"] + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .testTarget(
    name: "DocsExamplesTests",
    dependencies: ["ImplicitCore", "ImplicitTestSupport"] + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .testTarget(
    name: "ImplicitFamiliesTests",
    dependencies: [
      "ImplicitFamilies", "ImplicitCore", "ImplicitConformance", "ImplicitReferenceCases", "ImplicitTestSupport",
    ] + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .target(name: "ImplicitCore", swiftSettings: settings),
  .target(
    name: "ImplicitTestSupport", dependencies: ["ImplicitCore", "ImplicitReferenceCases"],
    path: "Tests/ImplicitTestSupport",
    swiftSettings: settings),
  .executableTarget(
    name: "implicit",
    dependencies: [
      .target(name: "ImplicitCore"), .target(name: "ImplicitConformance"), .target(name: "ImplicitFamilies"),
      .target(name: "ImplicitReferenceCases"),
      .target(name: "ImplicitApplications"),
    ] + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .testTarget(
    name: "ImplicitCoreTests", dependencies: ["ImplicitCore", "ImplicitTestSupport"], swiftSettings: settings),
  .target(
    name: "ImplicitConformance", dependencies: ["ImplicitCore", "ImplicitReferenceCases"], swiftSettings: settings),
  .target(name: "ImplicitReferenceCases", dependencies: ["ImplicitCore"], swiftSettings: settings),
  .testTarget(
    name: "ImplicitReferenceCasesTests", dependencies: ["ImplicitReferenceCases", "ImplicitCore"],
    swiftSettings: settings),
  .plugin(
    name: "RegenerateCatalog",
    capability: .command(
      intent: .custom(
        verb: "regenerate-catalog", description: "Regenerate docs/catalog.md from the registry and Catalog/"),
      permissions: [.writeToPackageDirectory(reason: "writes docs/catalog.md")]),
    dependencies: ["implicit"]),
  .plugin(
    name: "ConformancePlugin",
    capability: .command(
      intent: .custom(verb: "conformance", description: "Run the conformance kit over the package's condition families")
    ),
    dependencies: ["implicit"]),
  .executableTarget(name: "fault-suite", path: "Tests/FaultSuite", swiftSettings: settings),
  .testTarget(
    name: "ImplicitFaultTests",
    dependencies: ["ImplicitCore", "ImplicitFamilies", "ImplicitReferenceCases"]
      + allModuleNames.map { .target(name: $0) },
    swiftSettings: settings),
  .testTarget(
    name: "ImplicitConformanceTests", dependencies: ["ImplicitConformance", "ImplicitCore", "ImplicitTestSupport"],
    swiftSettings: settings),
]
for module in modules {
  targets.append(
    .target(
      name: module.name, dependencies: [.target(name: "ImplicitCore")] + module.dependencies.map { .target(name: $0) },
      swiftSettings: settings))
  targets.append(
    .testTarget(
      name: module.name + "Tests",
      dependencies: [.target(name: module.name), "ImplicitCore", "ImplicitReferenceCases", "ImplicitTestSupport"]
        + module.dependencies.map { .target(name: $0) },
      swiftSettings: settings))
}

let package = Package(
  name: "ImplicitDifferentiation",
  products: [
    .library(name: "ImplicitCore", targets: ["ImplicitCore"]),
    .library(name: "ImplicitConformance", targets: ["ImplicitConformance"]),
    .library(name: "ImplicitReferenceCases", targets: ["ImplicitReferenceCases"]),
    .library(name: "ImplicitFamilies", targets: ["ImplicitFamilies"]),
    .executable(name: "implicit", targets: ["implicit"]),
    .plugin(name: "RegenerateCatalog", targets: ["RegenerateCatalog"]),
    .plugin(name: "ConformancePlugin", targets: ["ConformancePlugin"]),
  ] + allModuleNames.map { .library(name: $0, targets: [$0]) },
  targets: targets,
  swiftLanguageModes: [.v6]
)
