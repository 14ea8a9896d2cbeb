import Foundation

/// A small grey-scale image (row-major pixels), for writing learned images as SVG.
public struct GrayscaleImage: Sendable {
  /// Width in pixels.
  public var width: Int
  /// Height in pixels.
  public var height: Int
  /// `height × width` intensities, row by row (any real range: rendering rescales them).
  public var pixels: [Double]
  /// A caption written under the image.
  public var caption: String

  /// Throws ``ImageError/sizeMismatch(expected:actual:)`` unless there are `width·height` pixels.
  public init(width: Int, height: Int, pixels: [Double], caption: String = "") throws {
    guard width > 0, height > 0, pixels.count == width * height else {
      throw ImageError.sizeMismatch(expected: "\(width)×\(height) pixels", actual: pixels.count)
    }
    self.width = width
    self.height = height
    self.pixels = pixels
    self.caption = caption
  }
}

/// How pixel values become grey levels.
public enum IntensityScale: Sendable {
  /// Each image from its own minimum (black) to its own maximum (white).
  case perImage
  /// Every image on the same range `lower` (black) … `upper` (white), clamped.
  case fixed(lower: Double, upper: Double)
}

/// Rows of labelled grey-scale images rendered as one SVG document (no outside packages).
public struct SVGImageGrid: Sendable {
  /// Each row: a label written on the left, then its images.
  public var rows: [(label: String, images: [GrayscaleImage])] = []
  /// A title written above the grid.
  public var title: String
  /// Screen size of one image pixel.
  public var pixelSize: Double
  /// How intensities map to grey.
  public var scale: IntensityScale
  /// Whether high values are drawn dark (ink on paper) rather than light.
  public var highIsDark: Bool

  public init(title: String, pixelSize: Double = 8, scale: IntensityScale = .perImage, highIsDark: Bool = true) {
    self.title = title
    self.pixelSize = pixelSize
    self.scale = scale
    self.highIsDark = highIsDark
  }

  /// Appends a row of images.
  public mutating func addRow(_ label: String, _ images: [GrayscaleImage]) { rows.append((label, images)) }

  /// The SVG document.
  public func render() -> String {
    let (n, e) = (SVGFormat.number, SVGFormat.escaped)
    let labelWidth = 12.0 + 7.0 * Double(rows.map(\.label.count).max() ?? 0)
    let gap = 10.0, captionHeight = 16.0, titleHeight = 30.0
    let cellWidth = (rows.flatMap(\.images).map { Double($0.width) }.max() ?? 1) * pixelSize
    let cellHeight = (rows.flatMap(\.images).map { Double($0.height) }.max() ?? 1) * pixelSize
    let columns = rows.map(\.images.count).max() ?? 0
    let width = labelWidth + Double(columns) * (cellWidth + gap) + gap
    let height = titleHeight + Double(rows.count) * (cellHeight + captionHeight + gap) + gap
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
      viewBox="0 0 \(n(width)) \(n(height))" font-family="Helvetica, Arial, sans-serif">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(n(gap))" y="20" font-size="14">\(e(title))</text>

      """
    for (r, row) in rows.enumerated() {
      let top = titleHeight + Double(r) * (cellHeight + captionHeight + gap)
      svg += "<text x=\"\(n(gap))\" y=\"\(n(top + cellHeight / 2 + 4))\" font-size=\"12\">\(e(row.label))</text>\n"
      for (c, image) in row.images.enumerated() {
        let left = labelWidth + Double(c) * (cellWidth + gap)
        svg += render(image, left: left, top: top)
        svg +=
          "<text x=\"\(n(left + cellWidth / 2))\" y=\"\(n(top + cellHeight + 12))\" font-size=\"11\" "
          + "text-anchor=\"middle\">\(e(image.caption))</text>\n"
      }
    }
    return svg + "</svg>\n"
  }

  func render(_ image: GrayscaleImage, left: Double, top: Double) -> String {
    let n = SVGFormat.number
    let (lower, upper): (Double, Double)
    switch scale {
    case .perImage: (lower, upper) = (image.pixels.min() ?? 0, image.pixels.max() ?? 1)
    case .fixed(let l, let u): (lower, upper) = (l, u)
    }
    let span = upper > lower ? upper - lower : 1
    var out = "<g shape-rendering=\"crispEdges\">\n"
    for y in 0..<image.height {
      for x in 0..<image.width {
        let t = min(max((image.pixels[y * image.width + x] - lower) / span, 0), 1)
        let grey = Int((255 * (highIsDark ? 1 - t : t)).rounded())
        out +=
          "<rect x=\"\(n(left + Double(x) * pixelSize))\" y=\"\(n(top + Double(y) * pixelSize))\" "
          + "width=\"\(n(pixelSize))\" height=\"\(n(pixelSize))\" fill=\"rgb(\(grey),\(grey),\(grey))\"/>\n"
      }
    }
    out +=
      "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(Double(image.width) * pixelSize))\" "
      + "height=\"\(n(Double(image.height) * pixelSize))\" fill=\"none\" stroke=\"#888\" stroke-width=\"0.5\"/>\n"
    return out + "</g>\n"
  }
}

/// Why an image could not be built or written.
public enum ImageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The pixel count does not match the stated size.
  case sizeMismatch(expected: String, actual: Int)
  /// The file could not be written.
  case writeFailed(path: String, reason: String)

  public var description: String {
    switch self {
    case .sizeMismatch(let expected, let actual): "image: expected \(expected), got \(actual)"
    case .writeFailed(let path, let reason): "cannot write \(path): \(reason)"
    }
  }
}

/// Where demos write their pictures.
public enum ImageOutput {
  /// Writes `contents` to `docs/images/<fileName>` when the working directory is the package's
  /// root (it has a `docs/` folder), else to `./<fileName>`; returns the path written.
  @discardableResult
  public static func write(_ contents: String, fileName: String) throws -> String {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    let inPackage = manager.fileExists(atPath: "docs", isDirectory: &isDirectory) && isDirectory.boolValue
    let path = inPackage ? "docs/images/\(fileName)" : fileName
    do {
      if inPackage { try manager.createDirectory(atPath: "docs/images", withIntermediateDirectories: true) }
      try contents.write(toFile: path, atomically: true, encoding: .utf8)
    } catch {
      throw ImageError.writeFailed(path: path, reason: "\(error)")
    }
    return path
  }
}

/// Number and text formatting shared by the SVG writers.
enum SVGFormat {
  /// A coordinate with at most two decimals (keeps the SVG small).
  static func number(_ x: Double) -> String { String(format: "%.2f", x) }

  /// Text safe inside SVG markup.
  static func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
