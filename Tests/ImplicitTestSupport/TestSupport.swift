public import Foundation
public import ImplicitCore
public import ImplicitReferenceCases

/// Helpers shared by the test targets: locating the catalogue's reference cases, running them
/// through a registry, and finite differences to compare derivatives against.
public enum TestSupport {
  /// The package root (two levels above this file).
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `Catalog/`, which holds every family's reference cases under `<family>/cases/`.
  public static var catalog: URL { packageRoot.appendingPathComponent("Catalog") }

  /// The reference-case files of `family` in the catalogue (sorted). Empty if none.
  public static func referenceCaseFiles(family: String) -> [URL] {
    let folder = catalog.appendingPathComponent(family).appendingPathComponent("cases")
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0) }
  }

  /// Runs every catalogue case of `family` through `registry` at `tolerance`.
  /// Throws if the family has no case files (a check over nothing must not pass).
  public static func checkFamily(
    _ family: String, registry: FamilyRegistry, tolerance: Double = 1e-6
  ) throws -> [CaseCheck] {
    let files = referenceCaseFiles(family: family)
    guard !files.isEmpty else { throw ImplicitError.invalidArgument("no reference cases for \(family) in Catalog/") }
    return try files.map { url in
      let c = try ReferenceCase(contentsOf: url)
      do {
        return CaseCheck(c, evaluation: try registry.evaluate(c), tolerance: tolerance)
      } catch {
        return CaseCheck(c, failure: "\(error)")
      }
    }
  }

  /// Central-difference Jacobian of `f` at `x` (`dim f × dim x`), step `h` per coordinate.
  public static func finiteDifferenceJacobian(
    at x: Vector<Double>, step h: Double = 1e-6, _ f: (Vector<Double>) -> Vector<Double>
  ) -> Matrix<Double> {
    let m = f(x).count
    var j = Matrix<Double>.zeros(rows: m, columns: x.count)
    for c in 0..<x.count {
      var plus = x, minus = x
      plus[c] += h
      minus[c] -= h
      let d = (f(plus) - f(minus)).scaled(by: 1 / (2 * h))
      for r in 0..<m { j[r, c] = d[r] }
    }
    return j
  }

  /// `max |a − b| / max(max |b|, floor)`.
  public static func relativeError(_ a: [Double], _ b: [Double], floor: Double = 1e-300) -> Double {
    precondition(a.count == b.count, "relativeError: sizes \(a.count) and \(b.count)")
    let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    let scale = b.map { abs($0) }.max() ?? 0
    return diff / max(scale, floor)
  }

  /// `relativeError` for vectors.
  public static func relativeError(_ a: Vector<Double>, _ b: Vector<Double>) -> Double {
    relativeError(a.scalars, b.scalars)
  }

  /// `relativeError` for matrices.
  public static func relativeError(_ a: Matrix<Double>, _ b: Matrix<Double>) -> Double {
    precondition(a.rows == b.rows && a.columns == b.columns, "relativeError: shapes differ")
    return relativeError(a.scalars, b.scalars)
  }
}
