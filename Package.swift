// swift-tools-version:6.1
import PackageDescription

/// Automatic implicit differentiation for Swift.
///
/// `ImplicitCore` owns the optimality-condition protocol, the differentiable dense algebra,
/// the checked linear solvers and the implicit-differentiation machinery. Each family of
/// optimality conditions is a module of its own that depends on the core only.
let strictSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
  .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
  name: "ImplicitDifferentiation",
  products: [
    .library(name: "ImplicitCore", targets: ["ImplicitCore"]),
    .library(name: "ImplicitRidge", targets: ["ImplicitRidge"]),
    .executable(name: "implicit", targets: ["implicit"]),
  ],
  targets: [
    .target(name: "ImplicitCore", swiftSettings: strictSettings),
    .target(name: "ImplicitRidge", dependencies: ["ImplicitCore"], swiftSettings: strictSettings),
    .executableTarget(
      name: "implicit",
      dependencies: ["ImplicitCore", "ImplicitRidge"],
      swiftSettings: strictSettings),
    .testTarget(name: "ImplicitCoreTests", dependencies: ["ImplicitCore"], swiftSettings: strictSettings),
    .testTarget(
      name: "ImplicitRidgeTests", dependencies: ["ImplicitCore", "ImplicitRidge"],
      swiftSettings: strictSettings),
  ],
  swiftLanguageModes: [.v6]
)
