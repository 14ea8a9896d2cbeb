import Foundation
import ImplicitCore
import _Differentiation

extension Demos {
  /// `implicit demo molecular-dynamics`: sensitivity of an energy-minimised soft-sphere packing
  /// to the particle diameter.
  public static let molecularDynamics = Demo(
    name: "molecular-dynamics",
    summary: "sensitivity of an energy-minimised soft-sphere packing to the particle diameter",
    run: runMolecularDynamics)
}

/// The paper's §4 molecular-dynamics example: minimise a jammed packing with FIRE, then
/// differentiate the minimiser `x*(θ)` with respect to the small particles' diameter `θ`
/// through `∇ₓU(x, θ) = 0`, and check it against re-minimisation.
func runMolecularDynamics() throws {
  let clock = ContinuousClock(), begin = clock.now
  print("== Molecular dynamics: how a jammed packing moves when the small particles grow (paper §4) ==")
  let θ0 = 1.0, seed: UInt64 = 3
  let packing = try SoftSpherePacking(count: 128, packingFraction: 0.85)
  var rng = SeededGenerator(seed: seed)
  let start = packing.randomPositions(using: &rng)
  print(
    "system: \(packing.count) discs (half σ = θ = \(θ0), half σ = \(packing.largeDiameter)), periodic box "
      + fixed(packing.boxLength, 4) + "², packing fraction "
      + fixed(packing.packingFraction(smallDiameter: θ0), 3)
      + "; U = Σ ε/2 (1 − r/σᵢⱼ)² over overlaps, ε = \(packing.epsilon)")

  // 1. Minimise with FIRE from random positions, to a tight force tolerance (forces are
  //    O(1e-2) at the minimum; 3e-15 is about a thousand ulps of them).
  let tolerance = 3e-15
  print("\n1. FIRE minimisation from random positions (seed \(seed)), until max |fᵢ| < \(sci(tolerance))")
  var t = clock.now
  let minimum = try SoftSphereFIRE(forceTolerance: tolerance, reportEvery: 200).minimize(packing, from: start, θ0)
  print(
    "  converged in \(minimum.steps) steps (\(seconds(clock.now - t))): U* = \(sci(minimum.energy)), "
      + "max |f| = \(sci(minimum.maxForce))")
  let x̂ = minimum.positions, xv = Vector(x̂)

  // 2. The contact network, its rattlers, and the condition that removes the null space of
  //    the Hessian (2 translations + 2 coordinates per rattler).
  let condition = try SoftSphereStationarity(packing: packing, reference: x̂, θ: θ0)
  let network = condition.networkContacts(at: xv, θ0)
  let rattlerCount = condition.rattlers.filter { $0 }.count
  let networkSize = packing.count - rattlerCount
  let overlaps = network.map(\.overlap)
  print("\n2. Contact network at the minimum")
  print(
    "  \(network.count) force-bearing contacts among \(networkSize) particles, \(rattlerCount) rattlers "
      + "(particles with < 3 contacts, removed recursively); "
      + String(format: "mean coordination z = %.3f", 2 * Double(network.count) / Double(networkSize)))
  print(
    "  rigidity: \(network.count) contacts ≥ 2(N′ − 1) = \(2 * (networkSize - 1)) needed to hold "
      + "\(networkSize) particles in 2-D"
  )
  print("  overlaps 1 − r/σ from \(sci(overlaps.min() ?? 0)) to \(sci(overlaps.max() ?? 0))")
  let allContacts = packing.contacts(at: x̂, θ0)
  let translation = Vector((0..<(2 * packing.count)).map { $0 % 2 == 0 ? 1.0 : 0.0 })
  var rattlerMove = [Double](repeating: 0, count: 2 * packing.count)
  if let r = condition.rattlers.firstIndex(of: true) { rattlerMove[2 * r] = 1 }
  let hTranslation = Vector(allContacts.hessianTimes(translation.scalars)).norm
  let hRattler = Vector(allContacts.hessianTimes(rattlerMove)).norm
  print(
    "  null space of H = ∇²U: ‖H·(translation)‖ = \(sci(hTranslation)), "
      + "‖H·(rattler move)‖ = \(sci(hRattler))")
  print(
    "  → F = ∇U_net + κR(x − x̂) + κT(Tᵀx − Tᵀx̂) pins rattlers and the network's centre of mass, "
      + "κ = \(sci(condition.gaugeStiffness)) (mean Hessian diagonal)")

  // 3. The hand-written products against central finite differences of F itself.
  print("\n3. Hand-written products vs central finite differences of F (h = 1e-6, random v, u)")
  let v = rng.normalVector(xv.count), u = rng.normalVector(xv.count)
  let h = 1e-6
  let av = condition.solutionJacobianProduct(v, at: xv, θ0)!
  let avFD = (condition(xv + h * v, θ0) - condition(xv - h * v, θ0)).scaled(by: 1 / (2 * h))
  let bt = condition.parameterJacobianProduct(1, at: xv, θ0)!
  let btFD = (condition(xv, θ0 + h) - condition(xv, θ0 - h)).scaled(by: 1 / (2 * h))
  let au = condition.solutionJacobianTransposedProduct(u, at: xv, θ0)!
  let btu = condition.parameterJacobianTransposedProduct(u, at: xv, θ0)!
  let (_, pullbackF) = valueWithPullback(at: xv, θ0) { x, θ in condition(x, θ) }
  let (pullbackX, pullbackθ) = pullbackF(u)
  print(
    "  A·v vs FD: relative error \(sci(relativeDifference(av, avFD)))   "
      + "B·1 vs FD: \(sci(relativeDifference(bt, btFD)))"
  )
  print(
    "  transposes: ⟨u, A v⟩ − ⟨Aᵀu, v⟩ = \(sci(u.innerProduct(with: av) - au.innerProduct(with: v)))   "
      + "⟨u, B·1⟩ − Bᵀu = \(sci(u.innerProduct(with: bt) - btu))")
  print(
    "  Swift's pullback of F (explicit @derivative) vs the products: \(sci(relativeDifference(pullbackX, au))), "
      + "\(sci(Swift.abs(pullbackθ - btu) / Swift.abs(btu)))")

  // 4. The implicit derivative ∂x*/∂θ = −A⁻¹B: one JVP (CG on the exact products), and the
  //    dense Jacobian column (Cholesky of the materialised A) as a cross-check.
  print("\n4. Implicit differentiation of F(x*(θ), θ) = 0")
  t = clock.now
  let cg = ImplicitDifferentiator(
    condition, options: ImplicitOptions(linearSolver: ConjugateGradient(relativeTolerance: 1e-12)))
  let jvp = try cg.jvp(1.0, at: xv, θ0)
  let timeJVP = clock.now - t
  let dx = jvp.value
  t = clock.now
  let dense = ImplicitDifferentiator(condition, options: ImplicitOptions(linearSolver: DenseCholesky()))
  let column = Vector(try dense.jacobian(at: xv, θ0).matrix.scalars)
  let timeDense = clock.now - t
  print(
    "  jvp: CG \(jvp.diagnostics.linearSolve.status), \(jvp.diagnostics.linearSolve.iterations) iterations, "
      + "relative residual \(sci(jvp.diagnostics.linearSolve.relativeResidual)), \(seconds(timeJVP)); "
      + "‖F(x̂, θ)‖ = "
      + "\(sci(jvp.diagnostics.residualNorm))")
  print(
    "  dense Cholesky Jacobian column (\(seconds(timeDense))): relative difference to the JVP "
      + sci(relativeDifference(column, dx))
  )
  let stiffer = try SoftSphereStationarity(
    packing: packing, rattlers: condition.rattlers, reference: x̂, gaugeStiffness: 10 * condition.gaugeStiffness)
  let dxStiffer = try ImplicitDifferentiator(stiffer, options: cg.options).jvp(1.0, at: xv, θ0).value
  print("  gauge independence: κ → 10κ changes ∂x*/∂θ by \(sci(relativeDifference(dxStiffer, dx))) (relative)")

  // 5. Central differences of re-minimisation. The derivative is that of the minimum in this
  //    basin: re-minimise from x̂ (the same start for θ ± δ) over a scan of δ, then repeat the
  //    original protocol (from the random start) at the best δ.
  print(
    "\n5. Central differences of re-minimisation, (x*(θ + δ) − x*(θ − δ))/2δ, FIRE to \(sci(tolerance)); "
      + "errors over the network particles, translation removed")
  print(
    "       δ    start     FIRE steps    ‖implicit − FD‖/‖FD‖   contacts gained/lost   "
      + "rattlers at θ − δ, θ + δ")
  let check = MolecularDynamicsReminimisation(
    packing: packing, condition: condition, θ: θ0, fire: SoftSphereFIRE(forceTolerance: tolerance),
    implicitDerivative: dx)
  func row(_ q: MolecularDynamicsReminimisation.Quotient, _ start: String) {
    print(
      "   \(short(q.δ))   \(start)  \(rightAligned(q.steps.0, width: 5)) "
        + "\(rightAligned(q.steps.1, width: 5))         \(sci(q.relativeError))          "
        + "\(rightAligned(q.contactsGained, width: 3)) / \(q.contactsLost)"
        + "                \(q.rattlers.0), \(q.rattlers.1)"
    )
  }
  var best: MolecularDynamicsReminimisation.Quotient?
  var smoothUpTo = Double.nan  // the largest δ at which neither contacts nor rattlers changed
  var kink = "no contact changed in the scan"  // what happened at the smallest δ that changed the network
  for δ in [1e-3, 1e-4, 1e-5, 1e-6, 3e-7] {
    let q = try check.quotient(δ, from: x̂)
    row(q, "x̂     ")
    if q.relativeError < best?.relativeError ?? .infinity { best = q }
    if q.keepsNetwork(rattlers: rattlerCount) {
      if smoothUpTo.isNaN { smoothUpTo = δ }
    } else {
      kink =
        "at δ = \(short(δ)) \(q.contactsGained + q.contactsLost) contacts change"
        + (q.rattlers == (rattlerCount, rattlerCount) ? "" : " and a rattler is caught or freed")
    }
  }
  guard let best else { return }
  let cold = try check.quotient(best.δ, from: start)
  row(cold, "random")
  let coldNorms = particleNorms(cold.derivative.scalars)
  let rattlerDrift = (0..<packing.count).filter { condition.rattlers[$0] }.map { coldNorms[$0] }.max() ?? 0
  print(
    "  rattlers from the random start: |Δx/2δ| up to \(sci(rattlerDrift)) — where a rattler stops depends on the "
      + "FIRE trajectory, not on θ: it has no derivative (hence R)")
  let dU = packing.energyParameterDerivative(at: x̂, θ0)
  print(
    "  dU*/dθ: envelope theorem ∂U/∂θ(x*, θ) = \(sci(dU)), FD of minimised energies (δ = "
      + "\(short(best.δ))) = \(sci(best.energyDerivative)), relative difference "
      + "\(sci(Swift.abs(dU - best.energyDerivative) / Swift.abs(dU)))")

  // 6. What the derivative says.
  let allNorms = particleNorms(dx.scalars)
  let norms = (0..<packing.count).filter { !condition.rattlers[$0] }.map { allNorms[$0] }.sorted()
  let median = norms[norms.count / 2], largest = norms.last ?? 0
  let top10 = norms.suffix(norms.count / 10).reduce(0) { $0 + $1 * $1 } / norms.reduce(0) { $0 + $1 * $1 }
  print("\n6. What the sensitivity says")
  print(
    "  |∂xᵢ/∂θ|: median \(fixed(median, 3)), largest \(fixed(largest, 3)); the top 10% of "
      + "particles carry \(fixed(100 * top10, 0))% of ‖∂x*/∂θ‖²")
  print(
    "  a change Δθ of the small diameter moves a typical particle by \(fixed(median, 1))·Δθ and some by "
      + "\(fixed(largest, 1))·Δθ: near jamming the response is larger than the cause and heterogeneous")
  print(
    "  it is the derivative of one smooth branch: it predicts x*(θ ± δ) only while contacts and rattlers "
      + "stay the same "
      + "(here up to δ = \(short(smoothUpTo)) of the scan; \(kink), and FD no longer measures it)")

  let figure = MolecularDynamicsFigure(
    packing: packing, positions: x̂, θ: θ0, rattlers: condition.rattlers, contacts: network,
    sensitivity: dx.scalars,
    title: "Jammed packing and its sensitivity ∂x*/∂θ to the small diameter θ",
    caption: [
      "\(packing.count) discs at φ = \(fixed(packing.packingFraction(smallDiameter: θ0), 3)) after FIRE; "
        + "\(network.count) force-bearing contacts, \(rattlerCount) rattlers."
    ])
  let path = try figure.write(named: "molecular-dynamics")
  print("\nwrote \(path)")
  print("total time \(seconds(clock.now - begin))")
}

/// `‖a − b‖ / ‖b‖`.
private func relativeDifference(_ a: Vector<Double>, _ b: Vector<Double>) -> Double {
  (a - b).norm() / max(b.norm(), .leastNormalMagnitude)
}

/// A duration in seconds, e.g. "1.234 s".
private func seconds(_ d: Duration) -> String {
  let c = d.components
  return String(format: "%.3f s", Double(c.seconds) + Double(c.attoseconds) * 1e-18)
}

/// `n` right-aligned in `width` characters.
func rightAligned(_ n: Int, width: Int) -> String {
  let s = String(n)
  return String(repeating: " ", count: max(0, width - s.count)) + s
}

/// `v` with `digits` decimals.
private func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

/// `v` as a one-digit power of ten, e.g. "1e-05".
private func short(_ v: Double) -> String { String(format: "%.0e", v) }

/// `‖(w₂ᵢ, w₂ᵢ₊₁)‖` for every particle `i`.
private func particleNorms(_ w: [Double]) -> [Double] {
  (0..<(w.count / 2)).map { (i: Int) -> Double in
    let x = w[2 * i], y = w[2 * i + 1]
    return (x * x + y * y).squareRoot()
  }
}
