import Foundation

/// The molecular-dynamics demo's picture: the periodic packing (small and large discs, rattlers
/// greyed out), its force network (lines between touching centres, width ∝ pair force) and the
/// sensitivity `∂x*ᵢ/∂θ` of every particle as an arrow.
struct MolecularDynamicsFigure {
  var packing: SoftSpherePacking
  var positions: [Double]
  var θ: Double
  var rattlers: [Bool]
  var contacts: [SoftSphereContact]
  /// `∂x*/∂θ`, `2n` coordinates.
  var sensitivity: [Double]
  var title: String
  /// Lines of text under the picture.
  var caption: [String]

  func svg() -> String {
    let L = packing.boxLength, side = 640.0, margin = 20.0, top = 44.0, bottomText = 62.0
    let s = side / L
    let width = side + 2 * margin, height = top + side + bottomText
    let diameters = packing.diameters(smallDiameter: θ)
    // Periodic position in [0, L), then pixels (y up).
    func wrap(_ v: Double) -> Double { v - L * Foundation.floor(v / L) }
    func px(_ x: Double) -> String { num(margin + x * s) }
    func py(_ y: Double) -> String { num(top + (L - y) * s) }
    // Every periodic image of (x, y) that reaches into the box.
    func images(_ x: Double, _ y: Double, reach: Double) -> [(Double, Double)] {
      var list = [(Double, Double)]()
      for ox in [-L, 0, L] {
        for oy in [-L, 0, L] where x + ox > -reach && x + ox < L + reach && y + oy > -reach && y + oy < L + reach {
          list.append((x + ox, y + oy))
        }
      }
      return list
    }
    let font = "Helvetica, Arial, sans-serif"

    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(num(width))\" height=\"\(num(height))\""
    out += " viewBox=\"0 0 \(num(width)) \(num(height))\">\n"
    out += tag("rect", ["width": "100%", "height": "100%", "fill": "white"])
    out += "<defs><clipPath id=\"box\">"
    out += tag("rect", ["x": num(margin), "y": num(top), "width": num(side), "height": num(side)])
    out += "</clipPath>\n<marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"8\" refY=\"5\" markerWidth=\"5\""
    out += " markerHeight=\"5\" orient=\"auto-start-reverse\">"
    out += "<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#111\"/></marker></defs>\n"
    out += text(
      title,
      [
        "x": num(width / 2), "y": "26", "text-anchor": "middle", "font-family": font, "font-size": "15",
        "font-weight": "bold",
      ])
    out += "<g clip-path=\"url(#box)\">\n"

    // Discs.
    for i in 0..<packing.count {
      let (x, y) = (wrap(positions[2 * i]), wrap(positions[2 * i + 1]))
      let r = diameters[i] / 2
      var style = [
        "r": num(r * s), "stroke-width": "0.8",
        "fill": rattlers[i] ? "#dddddd" : packing.isSmall[i] ? "#9fd3f0" : "#f5c98a",
        "stroke": rattlers[i] ? "#999" : "#777",
      ]
      if rattlers[i] { style["stroke-dasharray"] = "3 2" }
      for (ix, iy) in images(x, y, reach: r) {
        out += tag("circle", style.merging(["cx": px(ix), "cy": py(iy)]) { a, _ in a })
      }
    }
    // Force network: from i towards its neighbour's image, width ∝ |V'(r)| = ε·overlap/σ.
    func force(_ c: SoftSphereContact) -> Double { c.epsilon * c.overlap / c.contactDiameter }
    let largestForce = contacts.map(force).max() ?? 1
    for c in contacts {
      let (x, y) = (wrap(positions[2 * c.i]), wrap(positions[2 * c.i + 1]))
      for (ix, iy) in images(x, y, reach: c.contactDiameter) {
        out += tag(
          "line",
          [
            "x1": px(ix), "y1": py(iy), "x2": px(ix - c.distance * c.nx), "y2": py(iy - c.distance * c.ny),
            "stroke": "#c0392b", "stroke-opacity": "0.55", "stroke-width": num(0.6 + 3.4 * force(c) / largestForce),
          ])
      }
    }
    // Sensitivity arrows, scaled so that the longest is 1.2 small diameters.
    func length(_ i: Int) -> Double {
      (sensitivity[2 * i] * sensitivity[2 * i] + sensitivity[2 * i + 1] * sensitivity[2 * i + 1]).squareRoot()
    }
    let longest = (0..<packing.count).map(length).max() ?? 0
    let arrowScale = longest > 0 ? 1.2 * θ / longest : 0
    for i in 0..<packing.count where !rattlers[i] && length(i) * arrowScale * s >= 2 {
      let (x, y) = (wrap(positions[2 * i]), wrap(positions[2 * i + 1]))
      let (dx, dy) = (arrowScale * sensitivity[2 * i], arrowScale * sensitivity[2 * i + 1])
      for (ix, iy) in images(x, y, reach: 0.5) {
        out += tag(
          "line",
          [
            "x1": px(ix), "y1": py(iy), "x2": px(ix + dx), "y2": py(iy + dy), "stroke": "#111",
            "stroke-width": "1.6", "marker-end": "url(#head)",
          ])
      }
    }
    out += "</g>\n"
    out += tag(
      "rect",
      [
        "x": num(margin), "y": num(top), "width": num(side), "height": num(side), "fill": "none", "stroke": "#333",
        "stroke-width": "1.5",
      ])

    // Caption.
    let scaleNote =
      longest > 0 ? String(format: " An arrow of one small diameter is |∂xᵢ/∂θ| = %.3g.", θ / arrowScale) : ""
    let legend = [
      "Blue: small (σ = θ), orange: large, grey dashed: rattlers; red: contact forces (width ∝ force).",
      "Arrows: ∂x*ᵢ/∂θ by implicit differentiation." + scaleNote,
    ]
    for (k, line) in (caption + legend).enumerated() {
      out += text(
        line, ["x": num(margin), "y": num(top + side + 18 + 16 * Double(k)), "font-family": font, "font-size": "12"])
    }
    return out + "</svg>\n"
  }

  /// Writes `docs/images/<name>.svg` from the repository root (else `<name>.svg` here).
  @discardableResult
  func write(named name: String) throws -> String {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    var folder = "."
    if fm.fileExists(atPath: "docs", isDirectory: &isDirectory), isDirectory.boolValue {
      folder = "docs/images"
      try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let path = "\(folder)/\(name).svg"
    try svg().write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }
}

/// An empty SVG element with its attributes in a fixed (sorted) order, so the file is reproducible.
private func tag(_ name: String, _ attributes: [String: String]) -> String {
  "<\(name)" + attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\($0.value)\"" }.joined() + "/>\n"
}

/// A `<text>` element.
private func text(_ content: String, _ attributes: [String: String]) -> String {
  let open = "<text" + attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\($0.value)\"" }.joined() + ">"
  return open + xml(content) + "</text>\n"
}

/// A coordinate with two decimals.
private func num(_ v: Double) -> String { String(format: "%.2f", v) }

/// XML-escaped text.
private func xml(_ s: String) -> String {
  s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
    .replacingOccurrences(of: ">", with: "&gt;")
}
