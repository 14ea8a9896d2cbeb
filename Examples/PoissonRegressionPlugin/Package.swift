// swift-tools-version:6.1
// docs-example: plugin-authors-1
import PackageDescription

/// A third-party condition plugin: Poisson regression, a family the library does not ship,
/// built on ImplicitCore, registered with its registry and checked by its conformance kit.
let package = Package(
  name: "PoissonRegressionPlugin",
  products: [
    .library(name: "PoissonRegression", targets: ["PoissonRegression"]),
    // The `swift package conformance` plugin runs this executable when it exists.
    .executable(name: "implicit-conformance", targets: ["implicit-conformance"]),
  ],
  dependencies: [.package(name: "ImplicitDifferentiation", path: "../..")],
  targets: [
    .target(
      name: "PoissonRegression",
      dependencies: [.product(name: "ImplicitCore", package: "ImplicitDifferentiation")]),
    .executableTarget(
      name: "implicit-conformance",
      dependencies: [
        "PoissonRegression", .product(name: "ImplicitConformance", package: "ImplicitDifferentiation"),
        .product(name: "ImplicitCore", package: "ImplicitDifferentiation"),
      ]),
    .testTarget(
      name: "PoissonRegressionTests",
      dependencies: [
        "PoissonRegression", .product(name: "ImplicitConformance", package: "ImplicitDifferentiation"),
        .product(name: "ImplicitCore", package: "ImplicitDifferentiation"),
        .product(name: "ImplicitReferenceCases", package: "ImplicitDifferentiation"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
// end-docs-example
