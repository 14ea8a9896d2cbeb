extension Demos {
  /// `implicit demo jacobian-precision`: Theorem 1: Jacobian error vs solution error, implicit vs unrolled, with an SVG plot.
  public static let jacobianPrecision = Demo(name: "jacobian-precision", summary: "Theorem 1: Jacobian error vs solution error, implicit vs unrolled, with an SVG plot") {
    throw DemoNotAvailable(name: "jacobian-precision")
  }
}
