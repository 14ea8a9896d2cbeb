import ImplicitCore

/// The independent reference for `∂x*/∂θ` in the molecular-dynamics demo: central differences
/// of re-minimisation, `(x*(θ + δ) − x*(θ − δ)) / 2δ`, each side minimised again by FIRE.
///
/// A jammed minimum is a smooth function of `θ` only while its contacts and its rattlers stay
/// the same, so every difference quotient also reports whether the network changed between
/// `θ − δ` and `θ + δ`: when it did, the quotient straddles a kink and measures nothing.
struct MolecularDynamicsReminimisation {
  var packing: SoftSpherePacking
  /// The condition at the minimum `x̂` (its rattlers, gauge and network).
  var condition: SoftSphereStationarity
  var θ: Double
  var fire: SoftSphereFIRE
  /// `∂x*/∂θ` by implicit differentiation.
  var implicitDerivative: Vector<Double>

  /// One difference quotient.
  struct Quotient {
    var δ: Double
    /// `(x*(θ + δ) − x*(θ − δ)) / 2δ`, raw (rattlers and translation included).
    var derivative: Vector<Double>
    /// `‖implicit − FD‖ / ‖FD‖` over the network particles, translation removed.
    var relativeError: Double
    /// FIRE steps at `θ − δ` and `θ + δ`.
    var steps: (Int, Int)
    /// Contacts present at `θ ± δ` but not at `x̂` (summed over both sides), and the reverse.
    var contactsGained: Int, contactsLost: Int
    /// Rattlers at `θ − δ` and `θ + δ`.
    var rattlers: (Int, Int)
    /// `(U*(θ + δ) − U*(θ − δ)) / 2δ`.
    var energyDerivative: Double
  }

  /// Re-minimises at `θ ± δ` from `start` and compares with the implicit derivative.
  func quotient(_ δ: Double, from start: [Double]) throws -> Quotient {
    let plus = try fire.minimize(packing, from: start, θ + δ)
    let minus = try fire.minimize(packing, from: start, θ - δ)
    let fd = (Vector(plus.positions) - Vector(minus.positions)).scaled(by: 1 / (2 * δ))
    let networkFD = condition.networkPart(condition.removingGauge(fd))
    let error =
      (condition.networkPart(implicitDerivative) - networkFD).norm / max(networkFD.norm, .leastNormalMagnitude)
    let reference = Set(packing.contacts(at: condition.reference, θ).map { [$0.i, $0.j] })
    var gained = 0, lost = 0, rattlers = [Int]()
    for (minimum, θ) in [(minus, θ - δ), (plus, θ + δ)] {
      let contacts = packing.contacts(at: minimum.positions, θ)
      let pairs = Set(contacts.map { [$0.i, $0.j] })
      gained += pairs.subtracting(reference).count
      lost += reference.subtracting(pairs).count
      rattlers.append(packing.rattlers(of: contacts).filter { $0 }.count)
    }
    return Quotient(
      δ: δ, derivative: fd, relativeError: error, steps: (minus.steps, plus.steps), contactsGained: gained,
      contactsLost: lost, rattlers: (rattlers[0], rattlers[1]),
      energyDerivative: (plus.energy - minus.energy) / (2 * δ))
  }
}

extension MolecularDynamicsReminimisation.Quotient {
  /// Whether `θ ± δ` kept the contacts and the number of rattlers of `x̂` (`rattlers` there).
  func keepsNetwork(rattlers expected: Int) -> Bool {
    contactsGained + contactsLost == 0 && rattlers == (expected, expected)
  }
}
