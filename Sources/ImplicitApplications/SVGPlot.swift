import Foundation

/// A small line / scatter plot written as SVG, with axes, ticks, linear or log scales and a
/// legend — enough for the demos' figures without any outside package.
///
/// ```swift
/// var plot = SVGPlot(title: "Jacobian error", xLabel: "‖x̂ − x*‖", yLabel: "‖∂x̂ − ∂x*‖",
///                    xScale: .log, yScale: .log)
/// plot.add(SVGPlot.Series(name: "implicit", points: pairs, style: .lineAndMarkers))
/// try SVGFigure([plot]).write(named: "my-figure")   // docs/images/my-figure.svg
/// ```
///
/// Points that cannot be drawn (NaN, ±∞, or ≤ 0 on a log axis) are skipped, not clamped: a
/// plot never shows a value that was not measured.
public struct SVGPlot: Sendable {
  /// How an axis maps values to positions.
  public enum Scale: Sendable { case linear, log }

  /// How a series is drawn.
  public enum Style: Sendable { case line, scatter, lineAndMarkers }

  /// Where the legend box goes inside the plotting area.
  public enum LegendPosition: Sendable { case topLeft, topRight, bottomLeft, bottomRight, outsideRight, none }

  /// One named set of points.
  public struct Series: Sendable {
    /// The legend entry.
    public var name: String
    /// The points, drawn in this order.
    public var points: [(x: Double, y: Double)]
    /// Line, markers, or both.
    public var style: Style
    /// A CSS colour; `nil` takes the next colour of the palette.
    public var color: String?
    /// Dashed line (for a reference curve, say).
    public var dashed: Bool

    /// A series; `color` `nil` takes the palette colour of its position.
    public init(
      name: String, points: [(x: Double, y: Double)], style: Style = .lineAndMarkers, color: String? = nil,
      dashed: Bool = false
    ) {
      self.name = name
      self.points = points
      self.style = style
      self.color = color
      self.dashed = dashed
    }
  }

  /// The title above the plot.
  public var title: String
  /// The axis labels.
  public var xLabel: String
  public var yLabel: String
  /// Linear or log axes.
  public var xScale: Scale
  public var yScale: Scale
  /// The series, drawn in order (later ones on top).
  public var series: [Series] = []
  /// Where the legend goes.
  public var legend: LegendPosition
  /// Size of this plot (one panel of a figure), in pixels.
  public var width: Double
  public var height: Double

  /// An empty plot; add series with ``add(_:)``.
  public init(
    title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear,
    legend: LegendPosition = .topRight, width: Double = 460, height: Double = 360
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.xScale = xScale
    self.yScale = yScale
    self.legend = legend
    self.width = width
    self.height = height
  }

  /// Adds a series.
  public mutating func add(_ s: Series) { series.append(s) }

  /// The palette (colour-blind friendly, after Okabe & Ito).
  public static let palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]

  // MARK: - Rendering

  /// Margins around the plotting area (room for tick labels and axis labels).
  static let margin = (left: 72.0, right: 16.0, top: 34.0, bottom: 52.0)

  /// The SVG elements of this plot with its top-left corner at `(x0, y0)`.
  func render(at x0: Double, _ y0: Double) -> String {
    let m = SVGPlot.margin
    let legendWidth = 34 + Double(series.map(\.name.count).max() ?? 0) * 7
    let reserved = legend == .outsideRight ? legendWidth + 12 : 0
    let area = (
      left: x0 + m.left, top: y0 + m.top, width: width - m.left - m.right - reserved, height: height - m.top - m.bottom
    )
    let drawable = series.map { s in s.points.filter { isDrawable($0.x, xScale) && isDrawable($0.y, yScale) } }
    let xs = drawable.flatMap { $0.map(\.x) }, ys = drawable.flatMap { $0.map(\.y) }
    let xAxis = SVGAxis(values: xs, scale: xScale), yAxis = SVGAxis(values: ys, scale: yScale)
    func px(_ x: Double) -> Double { area.left + xAxis.fraction(x) * area.width }
    func py(_ y: Double) -> Double { area.top + (1 - yAxis.fraction(y)) * area.height }

    var out = ""
    out += "<g font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
    out +=
      "<text x=\"\(SVGText.number(x0 + width / 2))\" y=\"\(SVGText.number(y0 + 20))\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">\(SVGText.escaped(title))</text>\n"
    // Grid and ticks.
    for tick in xAxis.ticks {
      let x = px(tick)
      out +=
        "<line x1=\"\(SVGText.number(x))\" y1=\"\(SVGText.number(area.top))\" x2=\"\(SVGText.number(x))\" y2=\"\(SVGText.number(area.top + area.height))\" stroke=\"#e4e4e4\"/>\n"
      out +=
        "<text x=\"\(SVGText.number(x))\" y=\"\(SVGText.number(area.top + area.height + 16))\" text-anchor=\"middle\">\(xAxis.label(tick))</text>\n"
    }
    for tick in yAxis.ticks {
      let y = py(tick)
      out +=
        "<line x1=\"\(SVGText.number(area.left))\" y1=\"\(SVGText.number(y))\" x2=\"\(SVGText.number(area.left + area.width))\" y2=\"\(SVGText.number(y))\" stroke=\"#e4e4e4\"/>\n"
      out +=
        "<text x=\"\(SVGText.number(area.left - 6))\" y=\"\(SVGText.number(y + 4))\" text-anchor=\"end\">\(yAxis.label(tick))</text>\n"
    }
    out +=
      "<rect x=\"\(SVGText.number(area.left))\" y=\"\(SVGText.number(area.top))\" width=\"\(SVGText.number(area.width))\" height=\"\(SVGText.number(area.height))\" fill=\"none\" stroke=\"#333\"/>\n"
    out +=
      "<text x=\"\(SVGText.number(area.left + area.width / 2))\" y=\"\(SVGText.number(y0 + height - 10))\" text-anchor=\"middle\">\(SVGText.escaped(xLabel))</text>\n"
    let yMid = area.top + area.height / 2
    out +=
      "<text x=\"\(SVGText.number(x0 + 16))\" y=\"\(SVGText.number(yMid))\" text-anchor=\"middle\" transform=\"rotate(-90 \(SVGText.number(x0 + 16)) \(SVGText.number(yMid)))\">\(SVGText.escaped(yLabel))</text>\n"
    // Series.
    for (index, s) in series.enumerated() {
      let color = s.color ?? SVGPlot.palette[index % SVGPlot.palette.count]
      let points = drawable[index]
      if s.style != .scatter, points.count > 1 {
        let path = points.map { "\(SVGText.number(px($0.x))),\(SVGText.number(py($0.y)))" }.joined(separator: " ")
        out +=
          "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
      }
      if s.style != .line {
        for p in points { out += marker(index, px(p.x), py(p.y), color) }
      }
    }
    // Legend.
    if legend != .none, !series.isEmpty {
      let rowHeight = 18.0
      let boxWidth = legendWidth
      let boxHeight = Double(series.count) * rowHeight + 8
      let left =
        switch legend {
        case .topLeft, .bottomLeft: area.left + 8
        case .outsideRight: area.left + area.width + 12
        default: area.left + area.width - boxWidth - 8
        }
      let top = legend == .bottomLeft || legend == .bottomRight ? area.top + area.height - boxHeight - 8 : area.top + 8
      out +=
        "<rect x=\"\(SVGText.number(left))\" y=\"\(SVGText.number(top))\" width=\"\(SVGText.number(boxWidth))\" height=\"\(SVGText.number(boxHeight))\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#bbb\"/>\n"
      for (index, s) in series.enumerated() {
        let color = s.color ?? SVGPlot.palette[index % SVGPlot.palette.count]
        let y = top + 4 + rowHeight * (Double(index) + 0.5)
        if s.style != .scatter {
          out +=
            "<line x1=\"\(SVGText.number(left + 6))\" y1=\"\(SVGText.number(y))\" x2=\"\(SVGText.number(left + 26))\" y2=\"\(SVGText.number(y))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
        }
        if s.style != .line { out += marker(index, left + 16, y, color) }
        out +=
          "<text x=\"\(SVGText.number(left + 32))\" y=\"\(SVGText.number(y + 4))\">\(SVGText.escaped(s.name))</text>\n"
      }
    }
    out += "</g>\n"
    return out
  }

  func isDrawable(_ v: Double, _ scale: Scale) -> Bool { v.isFinite && (scale == .linear || v > 0) }

  /// A marker whose shape depends on the series (circle, square, triangle, diamond).
  func marker(_ index: Int, _ x: Double, _ y: Double, _ color: String) -> String {
    let r = 3.5
    switch index % 4 {
    case 0:
      return
        "<circle cx=\"\(SVGText.number(x))\" cy=\"\(SVGText.number(y))\" r=\"\(SVGText.number(r))\" fill=\"\(color)\"/>\n"
    case 1:
      return
        "<rect x=\"\(SVGText.number(x - r))\" y=\"\(SVGText.number(y - r))\" width=\"\(SVGText.number(2 * r))\" height=\"\(SVGText.number(2 * r))\" fill=\"\(color)\"/>\n"
    case 2:
      return
        "<polygon points=\"\(SVGText.number(x)),\(SVGText.number(y - r - 1)) \(SVGText.number(x - r - 1)),\(SVGText.number(y + r)) \(SVGText.number(x + r + 1)),\(SVGText.number(y + r))\" fill=\"\(color)\"/>\n"
    default:
      return
        "<polygon points=\"\(SVGText.number(x)),\(SVGText.number(y - r - 1)) \(SVGText.number(x + r + 1)),\(SVGText.number(y)) \(SVGText.number(x)),\(SVGText.number(y + r + 1)) \(SVGText.number(x - r - 1)),\(SVGText.number(y))\" fill=\"\(color)\"/>\n"
    }
  }
}

/// One or more ``SVGPlot`` panels laid out in a grid, written as one SVG document.
public struct SVGFigure: Sendable {
  /// The panels, row by row.
  public var panels: [SVGPlot]
  /// Panels per row.
  public var columns: Int

  /// A figure of `panels`, all in one row unless `columns` is given.
  public init(_ panels: [SVGPlot], columns: Int? = nil) {
    self.panels = panels
    self.columns = max(1, columns ?? panels.count)
  }

  /// The SVG document: panels left to right, `columns` per row, each at its own size.
  public func svg() -> String {
    let rows = stride(from: 0, to: panels.count, by: columns).map {
      Array(panels[$0..<min($0 + columns, panels.count)])
    }
    let width = rows.map { $0.map(\.width).reduce(0, +) }.max() ?? 0
    let height = rows.map { $0.map(\.height).max() ?? 0 }.reduce(0, +)
    var out =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(SVGText.number(width))\" height=\"\(SVGText.number(height))\" viewBox=\"0 0 \(SVGText.number(width)) \(SVGText.number(height))\">\n"
    out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    var y = 0.0
    for row in rows {
      var x = 0.0
      for panel in row {
        out += panel.render(at: x, y)
        x += panel.width
      }
      y += row.map(\.height).max() ?? 0
    }
    return out + "</svg>\n"
  }

  /// Writes the figure to `docs/images/<name>.svg` when run from the repository (a `docs`
  /// folder in the current directory), else to `<name>.svg` in the current directory, and
  /// returns the path written.
  @discardableResult
  public func write(named name: String) throws -> String {
    let fm = FileManager.default
    var isDirectory: ObjCBool = false
    let folder: String
    if fm.fileExists(atPath: "docs", isDirectory: &isDirectory), isDirectory.boolValue {
      folder = "docs/images"
      try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } else {
      folder = "."
    }
    let path = "\(folder)/\(name).svg"
    try svg().write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }
}

/// Tick placement and value → [0, 1] mapping for one axis.
struct SVGAxis {
  let scale: SVGPlot.Scale
  let low: Double, high: Double
  let ticks: [Double]

  init(values: [Double], scale: SVGPlot.Scale) {
    self.scale = scale
    var lo = values.min() ?? (scale == .log ? 0.1 : 0), hi = values.max() ?? (scale == .log ? 10 : 1)
    switch scale {
    case .log:
      // Whole decades that contain the data.
      var a = Foundation.floor(Foundation.log10(lo)), b = Foundation.ceil(Foundation.log10(hi))
      if a == b { (a, b) = (a - 1, b + 1) }
      (lo, hi) = (Foundation.pow(10, a), Foundation.pow(10, b))
      let decades = Int(b - a)
      let every = max(1, Int((Double(decades) / 7).rounded(.up)))
      ticks = stride(from: Int(a), through: Int(b), by: every).map { Foundation.pow(10, Double($0)) }
    case .linear:
      if lo == hi { (lo, hi) = (lo - 1, hi + 1) }
      let step = SVGAxis.niceStep((hi - lo) / 5)
      lo = Foundation.floor(lo / step) * step
      hi = Foundation.ceil(hi / step) * step
      ticks = stride(from: lo, through: hi + step / 2, by: step).map { abs($0) < step * 1e-9 ? 0 : $0 }
    }
    low = lo
    high = hi
  }

  /// 1, 2 or 5 times a power of ten, at least `raw`.
  static func niceStep(_ raw: Double) -> Double {
    let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
    for m in [1.0, 2, 5, 10] where m * magnitude >= raw { return m * magnitude }
    return 10 * magnitude
  }

  func fraction(_ v: Double) -> Double {
    switch scale {
    case .log: (Foundation.log10(v) - Foundation.log10(low)) / (Foundation.log10(high) - Foundation.log10(low))
    case .linear: (v - low) / (high - low)
    }
  }

  func label(_ v: Double) -> String {
    switch scale {
    case .log:
      let e = Int(Foundation.log10(v).rounded())
      return e == 0 ? "1" : e == 1 ? "10" : "10<tspan dy=\"-5\" font-size=\"9\">\(e)</tspan>"
    case .linear:
      if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
      return String(format: "%g", v)
    }
  }
}

/// Number and text formatting for SVG output.
enum SVGText {
  /// A coordinate with two decimals.
  static func number(_ v: Double) -> String { String(format: "%.2f", v) }

  /// XML-escaped text.
  static func escaped(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
