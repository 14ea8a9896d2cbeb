extension Demos {
  /// `implicit demo molecular-dynamics`: sensitivity of an energy-minimised soft-sphere packing to the particle diameter.
  public static let molecularDynamics = Demo(name: "molecular-dynamics", summary: "sensitivity of an energy-minimised soft-sphere packing to the particle diameter") {
    throw DemoNotAvailable(name: "molecular-dynamics")
  }
}
