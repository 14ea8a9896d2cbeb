import ImplicitCore
import _Differentiation

/// ``QuadraticProgramKKTCondition`` with the differentiated inputs of a reference case packed into
/// one vector `θ` (see ``ParameterPack``): any of `Q`, `c`, `E`, `d`, `G`, `h` may be in it, the
/// others are fixed data.
struct PackedQuadraticProgramKKT: OptimalityCondition {
  /// The program at the case's values (the fixed data, and the starting values of `θ`).
  let data: QuadraticProgram
  let pack: ParameterPack
  let condition: QuadraticProgramKKTCondition

  @differentiable(reverse)
  func callAsFunction(_ z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution {
    condition(z, program(θ))
  }

  /// The program with the packed inputs taken from `θ`.
  @differentiable(reverse)
  func program(_ θ: Vector<Double>) -> QuadraticProgram {
    QuadraticProgram(
      Q: pack.matrix("Q", in: θ, else: data.Q), c: pack.vector("c", in: θ, else: data.c),
      E: pack.matrix("E", in: θ, else: data.E), d: pack.vector("d", in: θ, else: data.d),
      G: pack.matrix("G", in: θ, else: data.G), h: pack.vector("h", in: θ, else: data.h))
  }

  func validate(_ z: KKTSolution, _ θ: Vector<Double>) throws {
    try ImplicitError.checkDimension("θ (the packed parameters)", θ.count, expected: pack.packed.count)
    try condition.validate(z, program(θ))
  }

  func solutionJacobianProduct(_ v: KKTSolution, at z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution? {
    condition.solutionJacobianProduct(v, at: z, program(θ))
  }

  /// `B t`: `program(θ)` is linear in the packed entries, so its tangent along `t` is the program
  /// made of `t`'s entries (zero elsewhere, as symbolic zeros).
  func parameterJacobianProduct(_ t: Vector<Double>, at z: KKTSolution, _ θ: Vector<Double>) -> KKTSolution? {
    let tangent = QuadraticProgram(
      Q: pack.matrix("Q", in: t, else: .zero), c: pack.vector("c", in: t, else: .zero),
      E: pack.matrix("E", in: t, else: .zero), d: pack.vector("d", in: t, else: .zero),
      G: pack.matrix("G", in: t, else: .zero), h: pack.vector("h", in: t, else: .zero))
    return condition.parameterJacobianProduct(tangent, at: z, program(θ))
  }
}
