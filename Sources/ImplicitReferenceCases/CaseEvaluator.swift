public import ImplicitCore

/// The one evaluator of reference cases: builds the registered family's runnable instance for a
/// case, solves it (``RunnableInstance/referenceSolution()``), takes the implicit Jacobian
/// `∂x*/∂p` with respect to the packed parameters (``RunnableInstance/jacobian(at:)``, by
/// default ``ImplicitDifferentiator``), and chains every named output `g(x, p)` with it:
/// `dg/dp = g′_x·∂x*/∂p + g′_p`, split into the case's named parameter blocks.
public enum CaseEvaluator {
  /// Evaluates `referenceCase` with `instance` (built for it).
  public static func evaluate(_ instance: any RunnableInstance, for referenceCase: ReferenceCase) throws
    -> CaseEvaluation
  {
    try evaluateOpened(instance, referenceCase)
  }

  static func evaluateOpened<I: RunnableInstance>(_ instance: I, _ c: ReferenceCase) throws -> CaseEvaluation {
    let pack = try ParameterPack(c)
    let θ = instance.parameter
    let p = θ.dimension
    guard p == pack.packed.count else {
      throw CaseFormatError(
        file: c.file, field: "theta",
        message: "the family's instance has \(p) parameters, the case packs \(pack.packed.count)")
    }
    let (x, solveNotes) = try instance.referenceSolution()
    guard x.dimension > 0 else {
      throw CaseFormatError(file: c.file, field: "data", message: "empty problem: the solution has no coordinates")
    }
    let (jacobian, jacobianNotes) = try instance.jacobian(at: x)
    let n = x.dimension
    var outputs = [String: ReferenceCase.Output]()
    for output in try instance.outputs(at: x) {
      let rows = output.value.count
      var total = Matrix<Double>.zeros(rows: rows, columns: p)
      var column = [Double](repeating: 0, count: n), unit = [Double](repeating: 0, count: p)
      for k in 0..<p {
        for r in 0..<n { column[r] = jacobian.scalars[r * p + k] }
        unit[k] = 1
        let d = output.derivative(x.unflattened(column), θ.unflattened(unit))
        unit[k] = 0
        for r in 0..<rows { total.scalars[r * p + k] = d[r] }
      }
      // The instance's shape, else the flat `[rows]`: the checker compares it with the case's.
      let shape = output.shape.flatMap { $0.reduce(1, *) == rows ? $0 : nil } ?? [rows]
      outputs[output.name] = pack.output(NDArray(shape: shape, values: output.value), jacobian: total)
    }
    return CaseEvaluation(outputs: outputs, notes: solveNotes + jacobianNotes)
  }
}

extension FamilyRegistry {
  /// Runs `referenceCase` with the registration for its family and method (see
  /// ``CaseEvaluator``). Throws ``RegistryError/unknownFamily(name:file:known:)``, or a
  /// ``CaseFormatError`` for malformed data or a method no module provides, a
  /// ``CaseSizeError`` for a case beyond ``ReferenceCase/maximumInputEntries``; other errors come
  /// from the family's solver or the differentiation.
  public func evaluate(_ referenceCase: ReferenceCase) throws -> CaseEvaluation {
    try referenceCase.checkSize()
    return try CaseEvaluator.evaluate(instance(for: referenceCase), for: referenceCase)
  }
}
