// swift-tools-version:6.1
import PackageDescription

/// The benchmark suite: a user program that depends on the library through its products only and
/// times the workloads of `../shared/benchmarks.md` the way the docs teach the API. It declares no
/// conditions, kernels or solvers of its own. Build and run with
/// `swift run -c release benchmarks [--quick] [--json FILE] [--runs N] [--only ID] [--export-data DIR]`.
let package = Package(
  name: "Benchmarks",
  dependencies: [.package(name: "ImplicitDifferentiation", path: "..")],
  targets: [
    .executableTarget(
      name: "benchmarks",
      dependencies: [
        "ImplicitCore", "ImplicitObjectives", "ImplicitProjections", "ImplicitProximal", "ImplicitGradientStep",
        "ImplicitStationarity", "ImplicitMirrorDescent", "ImplicitBlockCoordinateDescent", "ImplicitSparse",
        "ImplicitKKT",
      ].map { .product(name: $0, package: "ImplicitDifferentiation") })
  ],
  swiftLanguageModes: [.v6]
)
