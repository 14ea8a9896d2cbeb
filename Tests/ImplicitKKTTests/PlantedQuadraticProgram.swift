import ImplicitCore
import ImplicitKKT

/// A random convex QP built around a chosen primal–dual optimum (`x*`, `ν*`, `λ*`), so that the
/// solution is known independently of any solver: `Q = MᵀM + ½I`, random `E`, `G`;
/// `d = Ex*`; `hᵢ = Gᵢx*` on the active set and `Gᵢx* + sᵢ` (`sᵢ ∈ [0.5, 2]`) off it;
/// `λᵢ ∈ [0.5, 2]` on the active set, `0` off it; `c = −(Qx* + Eᵀν* + Gᵀλ*)`. Strict
/// complementarity holds by construction (margins ≥ 0.5), and with `p + |active| < n` LICQ
/// holds almost surely.
struct PlantedQuadraticProgram {
  var program: QuadraticProgram
  var solution: KKTSolution
  var active: [Int]

  init(variables n: Int, equalities p: Int, inequalities m: Int, active count: Int, seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let M = rng.normalMatrix(rows: n, columns: n, scale: 1 / Double(n).squareRoot())
    var Q = M.transposed() * M
    for i in 0..<n { Q[i, i] += 0.5 }
    let E = rng.normalMatrix(rows: p, columns: n)
    let G = rng.normalMatrix(rows: m, columns: n)
    let x = rng.normalVector(n)
    let ν = rng.normalVector(p)
    active = Array((0..<m).shuffled(using: &rng).prefix(count)).sorted()
    var λ = Vector<Double>.zeros(m)
    var h = m > 0 ? G * x : Vector<Double>([])
    for i in 0..<m {
      if active.contains(i) {
        λ[i] = Double.random(in: 0.5...2, using: &rng)
      } else {
        h[i] += Double.random(in: 0.5...2, using: &rng)
      }
    }
    var gradient = Q * x
    if p > 0 { gradient = gradient + E.transposedTimes(ν) }
    if m > 0 { gradient = gradient + G.transposedTimes(λ) }
    program = QuadraticProgram(
      Q: Q, c: -gradient, E: p > 0 ? E : Matrix(rows: 0, columns: n, scalars: []), d: p > 0 ? E * x : Vector([]),
      G: m > 0 ? G : Matrix(rows: 0, columns: n, scalars: []), h: h)
    solution = KKTSolution(primal: x, equality: ν, inequality: λ)
  }
}

/// `max |a − b| / max(1, max |b|)` over the flattened coordinates.
func relativeDifference(_ a: KKTSolution, _ b: KKTSolution) -> Double {
  let x = a.flattened, y = b.flattened
  guard x.count == y.count else { return .infinity }
  let scale = max(1, y.map(abs).max() ?? 0)
  return zip(x, y).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}
