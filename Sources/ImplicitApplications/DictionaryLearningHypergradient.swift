import ImplicitCore
import ImplicitGradientStep
import ImplicitProximal
import _Differentiation

/// The smooth part of one sample's sparse-coding problem, as a function of the code `x` and of
/// the dictionary `θ = vec(D)` (`d × k`, row by row):
///
///     f(x, D) = ½‖a − Dx‖²
///
/// Written generically over the scalar so that the library takes its exact second derivatives
/// (`∇²ₓₓf = DᵀD` and the mixed products in `D`) by reverse mode over dual numbers.
struct SampleReconstruction: ParametricObjective {
  /// The sample `a` (`d` features).
  let sample: [Double]
  /// Number of atoms `k`.
  let atoms: Int

  @differentiable(reverse)
  func callAsFunction<S: RealScalar>(_ x: Vector<S>, _ θ: Vector<S>) -> S {
    let dictionary = Matrix<S>(reshaping: θ, rows: sample.count, columns: atoms)
    return S(0.5) * (dictionary * x - Vector<S>(converting: sample)).squaredNorm()
  }
}

/// Pulls the cotangents of all codes back to the dictionary: `Σᵢ vᵢᵀ ∂xᵢ*/∂D`.
///
/// Each code `xᵢ*(D)` is the root of the proximal-gradient fixed point
/// `F(x, θ) = prox_{ηg}(x − η∇ₓf(x, D), λ) − x` of its own problem (``SampleReconstruction`` plus
/// the elastic-net prox), with `θ = [vec(D); λ₁, λ₂]`. The codes do not interact: the big
/// system over all samples is block diagonal, so it is one small (`k × k`) implicit solve per
/// sample, each giving that sample's contribution `−Bᵢᵀuᵢ` to the dictionary's gradient. The
/// last two entries of each contribution are the derivatives in `(λ₁, λ₂)`, summed too.
struct DictionaryHypergradient {
  /// `λ₁`, `λ₂`.
  let l1: Double, l2: Double

  /// What ``pullback(_:samples:codes:dictionary:)`` returns.
  struct Result {
    /// `Σᵢ vᵢᵀ ∂xᵢ*/∂D` (`d × k`).
    var dictionary: Matrix<Double>
    /// `Σᵢ vᵢᵀ ∂xᵢ*/∂(λ₁, λ₂)`.
    var strengths: (l1: Double, l2: Double)
    /// The largest `‖F(xᵢ, θ)‖` met (how exact the codes were).
    var worstResidual: Double
    /// The number of implicit solves performed.
    var solves: Int
    /// The linear solver that ran them (`.automatic` picks dense LU for a small, general `A`).
    var method: String
  }

  /// `cotangents` holds `vᵢ` as its rows (`n × k`), `codes` the codes `xᵢ*` (`n × k`),
  /// `samples` the `aᵢ` (`n × d`).
  func pullback(
    _ cotangents: Matrix<Double>, samples: Matrix<Double>, codes: Matrix<Double>, dictionary: Matrix<Double>
  ) throws -> Result {
    let (n, d, k) = (samples.rows, dictionary.rows, dictionary.columns)
    let strengths = Vector([l1, l2])
    let stepSize = 1 / dictionary.squaredSpectralNorm()  // η = 1/L, L = ‖D‖₂² (any η > 0 has the same roots)
    var total = [Double](repeating: 0, count: d * k + 2)
    var worst = 0.0, solves = 0, method = "none"
    for i in 0..<n {
      let code = Vector(Array(codes.scalars[(i * k)..<((i + 1) * k)]))
      let v = Vector(Array(cotangents.scalars[(i * k)..<((i + 1) * k)]))
      // A zero code with a margin (all |zⱼ| < ηλ₁) has a zero Jacobian: nothing to solve.
      if code.scalars.allSatisfy({ $0 == 0 }) { continue }
      let condition = try ProximalGradientCondition(
        objective: SampleReconstruction(sample: Array(samples.scalars[(i * d)..<((i + 1) * d)]), atoms: k),
        prox: ElasticNetProximal(), objectiveParameterCount: d * k, proxParameter: strengths, stepSize: stepSize)
      let θ = condition.packParameters(objective: dictionary.flattenedVector(), prox: strengths)
      let vjp = try ImplicitDifferentiator(condition).vjp(v, at: code, θ)
      for j in 0..<(d * k + 2) { total[j] += vjp.value.scalars[j] }
      worst = max(worst, vjp.diagnostics.residualNorm)
      solves += 1
      method = vjp.diagnostics.linearSolve.method
    }
    return Result(
      dictionary: Matrix(rows: d, columns: k, scalars: Array(total[0..<(d * k)])),
      strengths: (total[d * k], total[d * k + 1]), worstResidual: worst, solves: solves, method: method)
  }
}
