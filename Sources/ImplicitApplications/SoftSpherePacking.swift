public import ImplicitCore

/// A periodic two-dimensional packing of bidisperse harmonic soft spheres, the model system of
/// the molecular-dynamics demo.
///
/// Particle `i` has diameter `σᵢ`: `θ` for the small half of the particles (the parameter the
/// demo differentiates with respect to) and ``largeDiameter`` for the large half. Two particles
/// overlap when their distance `r` is below `σᵢⱼ = (σᵢ + σⱼ)/2` and then store
///
///     V(r) = ε/2 · (1 − r/σᵢⱼ)²
///
/// The box is a periodic square of side ``boxLength``; distances use the minimum image.
/// Positions are stored *unwrapped* as `[x₀, y₀, x₁, y₁, …]`, so that a displacement is a
/// plain difference and the centre of mass is well defined.
///
/// Everything is written by hand on `Double`: the pair loop runs millions of times during a
/// minimisation, and its gradient, Hessian products and parameter derivative have short
/// closed forms (below) that reverse-mode AD through a scalar loop could only match with a
/// tape of `O(n²)` entries.
public struct SoftSpherePacking: Sendable {
  /// The number of particles.
  public let count: Int
  /// The side of the periodic square box.
  public let boxLength: Double
  /// Whether particle `i` is one of the small particles (diameter `θ`).
  public let isSmall: [Bool]
  /// The diameter of the large particles.
  public let largeDiameter: Double
  /// The energy scale `ε`.
  public let epsilon: Double

  /// `count` particles (half small, half large, alternating) in a box sized so that the
  /// packing fraction is `packingFraction` when the small diameter is `smallDiameter`.
  public init(
    count: Int, packingFraction: Double, smallDiameter: Double = 1, largeDiameter: Double = 1.4,
    epsilon: Double = 1
  ) throws {
    guard count >= 4, count % 2 == 0 else {
      throw ImplicitError.invalidArgument(
        "a bidisperse packing needs an even number (≥ 4) of particles, got \(count)")
    }
    guard packingFraction > 0, packingFraction < 2, smallDiameter > 0, largeDiameter > 0, epsilon > 0,
      [packingFraction, smallDiameter, largeDiameter, epsilon].allSatisfy(\.isFinite)
    else {
      throw ImplicitError.invalidArgument(
        "packing fraction in (0, 2) and positive diameters and ε needed, got φ = \(packingFraction), "
          + "σ = \(smallDiameter), \(largeDiameter), ε = \(epsilon)")
    }
    self.count = count
    self.isSmall = (0..<count).map { $0 % 2 == 0 }
    self.largeDiameter = largeDiameter
    self.epsilon = epsilon
    let area = Double(count / 2) * Double.pi / 4 * (smallDiameter * smallDiameter + largeDiameter * largeDiameter)
    self.boxLength = (area / packingFraction).squareRoot()
  }

  /// The packing fraction (area covered by discs over box area) at small diameter `θ`.
  public func packingFraction(smallDiameter θ: Double) -> Double {
    let area = Double(count / 2) * Double.pi / 4 * (θ * θ + largeDiameter * largeDiameter)
    return area / (boxLength * boxLength)
  }

  /// The diameters at small diameter `θ`.
  public func diameters(smallDiameter θ: Double) -> [Double] {
    isSmall.map { $0 ? θ : largeDiameter }
  }

  /// `dσᵢⱼ/dθ`: ½ per small particle of the pair.
  @inline(__always) func contactDiameterSensitivity(_ i: Int, _ j: Int) -> Double {
    0.5 * ((isSmall[i] ? 1 : 0) + (isSmall[j] ? 1 : 0))
  }

  /// Uniformly random positions in the box.
  public func randomPositions(using rng: inout SeededGenerator) -> [Double] {
    (0..<(2 * count)).map { _ in Double.random(in: 0..<boxLength, using: &rng) }
  }

  // MARK: - Pair loop

  /// Calls `body(i, j, dx, dy, r, σᵢⱼ)` for every overlapping pair `i < j` (both `included`,
  /// when a mask is given), with `(dx, dy)` the minimum-image vector from `j` to `i`.
  @inline(__always)
  func forEachOverlap(
    _ x: UnsafeBufferPointer<Double>, _ θ: Double, included: [Bool]?,
    _ body: (Int, Int, Double, Double, Double, Double) -> Void
  ) {
    let n = count, L = boxLength, inverseL = 1 / boxLength
    let diameters = diameters(smallDiameter: θ)
    for i in 0..<n {
      if let included, !included[i] { continue }
      let xi = x[2 &* i], yi = x[2 &* i &+ 1], di = diameters[i]
      var j = i &+ 1
      while j < n {
        defer { j &+= 1 }
        if let included, !included[j] { continue }
        let sigma = 0.5 * (di + diameters[j])
        var dx = xi - x[2 &* j]
        dx -= L * (dx * inverseL).rounded()
        if Swift.abs(dx) >= sigma { continue }
        var dy = yi - x[2 &* j &+ 1]
        dy -= L * (dy * inverseL).rounded()
        if Swift.abs(dy) >= sigma { continue }
        let r2 = dx * dx + dy * dy
        if r2 >= sigma * sigma || r2 == 0 { continue }
        body(i, j, dx, dy, r2.squareRoot(), sigma)
      }
    }
  }

  /// The energy `U(x, θ)`, with its gradient `∇ₓU` written into `gradient` (resized to `2n`).
  ///
  /// `∇_{xᵢ} V(|xᵢ − xⱼ|) = V'(r)·n` with `n = (xᵢ − xⱼ)/r` and `V'(r) = −ε(1 − r/σ)/σ`.
  /// With a mask, only pairs of `included` particles count.
  @discardableResult
  public func energy(at x: [Double], _ θ: Double, gradient: inout [Double], included: [Bool]? = nil) -> Double {
    if gradient.count != x.count { gradient = [Double](repeating: 0, count: x.count) }
    var energy = 0.0
    let epsilon = epsilon
    gradient.withUnsafeMutableBufferPointer { g in
      for k in 0..<g.count { g[k] = 0 }
      x.withUnsafeBufferPointer { xs in
        forEachOverlap(xs, θ, included: included) { i, j, dx, dy, r, sigma in
          let overlap = 1 - r / sigma
          energy += 0.5 * epsilon * overlap * overlap
          let scale = -epsilon * overlap / (sigma * r)  // V'(r)/r
          g[2 &* i] += scale * dx
          g[2 &* i &+ 1] += scale * dy
          g[2 &* j] -= scale * dx
          g[2 &* j &+ 1] -= scale * dy
        }
      }
    }
    return energy
  }

  /// The energy `U(x, θ)` alone.
  public func energy(at x: [Double], _ θ: Double) -> Double {
    var g = [Double]()
    return energy(at: x, θ, gradient: &g)
  }

  /// `∂U/∂θ` at fixed positions (the pressure-like response to growing the small particles):
  /// `∂V/∂σ · dσ/dθ` with `∂V/∂σ = ε(1 − r/σ)·r/σ²`.
  public func energyParameterDerivative(at x: [Double], _ θ: Double) -> Double {
    var total = 0.0
    x.withUnsafeBufferPointer { xs in
      forEachOverlap(xs, θ, included: nil) { i, j, _, _, r, sigma in
        total += epsilon * (1 - r / sigma) * r / (sigma * sigma) * contactDiameterSensitivity(i, j)
      }
    }
    return total
  }

  /// Every overlapping pair at `(x, θ)` (only pairs of `included` particles, with a mask).
  public func contacts(at x: [Double], _ θ: Double, included: [Bool]? = nil) -> [SoftSphereContact] {
    var out = [SoftSphereContact]()
    x.withUnsafeBufferPointer { xs in
      forEachOverlap(xs, θ, included: included) { i, j, dx, dy, r, sigma in
        out.append(
          SoftSphereContact(
            i: i, j: j, nx: dx / r, ny: dy / r, distance: r, contactDiameter: sigma,
            diameterSensitivity: contactDiameterSensitivity(i, j), epsilon: epsilon))
      }
    }
    return out
  }

  /// The rattlers of a contact network: particles left with fewer than `d + 1 = 3` contacts
  /// once the rattlers among their neighbours are discounted (found by repeated removal).
  /// A rattler sits in a cage with no (or only unbalanced, vanishing) forces: its position is
  /// not a function of `θ`, and the Hessian has zero rows for it.
  public func rattlers(of contacts: [SoftSphereContact]) -> [Bool] {
    var rattler = [Bool](repeating: false, count: count)
    var changed = true
    while changed {
      changed = false
      var z = [Int](repeating: 0, count: count)
      for c in contacts where !rattler[c.i] && !rattler[c.j] {
        z[c.i] += 1
        z[c.j] += 1
      }
      for i in 0..<count where !rattler[i] && z[i] < 3 {
        rattler[i] = true
        changed = true
      }
    }
    return rattler
  }
}

/// One overlapping pair and the closed forms of its second-order terms.
///
/// For `V(r) = ε/2·(1 − r/σ)²`: `V' = −ε(1 − r/σ)/σ`, `V'' = ε/σ²`, and the 2×2 block of the
/// Hessian with respect to `d = xᵢ − xⱼ` is
///
///     K = V''·n nᵀ + (V'/r)·(I − n nᵀ)
///
/// (stiff along the contact normal `n`, *negative* transverse stiffness under compression).
/// The particle blocks are `Hᵢᵢ += K`, `Hⱼⱼ += K`, `Hᵢⱼ = Hⱼᵢ −= K`. The derivative of the
/// pair force with respect to `θ` is `∂V'/∂σ · dσ/dθ · n` with `∂V'/∂σ = ε(1 − 2r/σ)/σ²`.
public struct SoftSphereContact: Sendable {
  /// The pair, `i < j`.
  public var i: Int, j: Int
  /// The unit normal from `j` to `i` (minimum image).
  public var nx: Double, ny: Double
  /// The distance `r`.
  public var distance: Double
  /// `σᵢⱼ`.
  public var contactDiameter: Double
  /// `dσᵢⱼ/dθ`.
  public var diameterSensitivity: Double
  /// `ε`.
  public var epsilon: Double

  /// The overlap `1 − r/σᵢⱼ` (positive for a contact).
  public var overlap: Double { 1 - distance / contactDiameter }
  /// `V''(r) = ε/σ²`: the normal stiffness.
  public var normalStiffness: Double { epsilon / (contactDiameter * contactDiameter) }
  /// `V'(r)/r`: the (negative) transverse stiffness.
  public var tangentialStiffness: Double { -epsilon * overlap / (contactDiameter * distance) }
  /// `∂V'/∂θ`: how the magnitude of the pair force changes with `θ` at fixed positions.
  public var forceParameterDerivative: Double {
    epsilon * (1 - 2 * distance / contactDiameter) / (contactDiameter * contactDiameter) * diameterSensitivity
  }

  /// `K w` for a relative displacement `w = (wx, wy)`.
  @inline(__always) func stiffnessTimes(_ wx: Double, _ wy: Double) -> (Double, Double) {
    let along = nx * wx + ny * wy
    let kn = normalStiffness, kt = tangentialStiffness
    return (kn * along * nx + kt * (wx - along * nx), kn * along * ny + kt * (wy - along * ny))
  }
}

extension Array where Element == SoftSphereContact {
  /// `H v`: the Hessian of the pair energy (these contacts) times `v`, assembled from the
  /// analytic 2×2 contact blocks. Exact, symmetric, `O(contacts)`.
  public func hessianTimes(_ v: [Double]) -> [Double] {
    var out = [Double](repeating: 0, count: v.count)
    for c in self {
      let (kx, ky) = c.stiffnessTimes(v[2 &* c.i] - v[2 &* c.j], v[2 &* c.i &+ 1] - v[2 &* c.j &+ 1])
      out[2 &* c.i] += kx
      out[2 &* c.i &+ 1] += ky
      out[2 &* c.j] -= kx
      out[2 &* c.j &+ 1] -= ky
    }
    return out
  }

  /// `∂(∇ₓU)/∂θ` (a vector of dimension `2·particles`): the column `B` of the stationarity
  /// condition, exact.
  public func gradientParameterDerivative(particles: Int) -> [Double] {
    var out = [Double](repeating: 0, count: 2 * particles)
    for c in self {
      let s = c.forceParameterDerivative
      out[2 &* c.i] += s * c.nx
      out[2 &* c.i &+ 1] += s * c.ny
      out[2 &* c.j] -= s * c.nx
      out[2 &* c.j &+ 1] -= s * c.ny
    }
    return out
  }
}
