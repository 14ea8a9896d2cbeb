import Foundation
import Testing

@testable import ImplicitApplications

#if canImport(FoundationXML)
  import FoundationXML
#endif

/// The SVG plot writer: axis placement, skipped points, escaping, and well-formed output.
@Suite struct SVGPlotTests {
  @Test func logAxisCoversWholeDecadesAndMapsThemToTheEnds() {
    let axis = SVGAxis(values: [3e-5, 0.2, 2e2], scale: .log)
    #expect(abs(axis.low / 1e-5 - 1) < 1e-12)
    #expect(abs(axis.high / 1e3 - 1) < 1e-12)
    #expect(abs(axis.fraction(1e-5)) < 1e-15)
    #expect(abs(axis.fraction(1e3) - 1) < 1e-15)
    #expect(abs(axis.fraction(1e-1) - 0.5) < 1e-15)  // 4 of 8 decades
    // Every tick is a power of ten inside the range.
    for tick in axis.ticks {
      #expect(tick >= axis.low && tick <= axis.high)
      #expect(abs(log10(tick) - log10(tick).rounded()) < 1e-12)
    }
  }

  @Test func linearAxisHasNiceStepsContainingTheData() {
    let axis = SVGAxis(values: [0.13, 0.91], scale: .linear)
    #expect(axis.low <= 0.13 && axis.high >= 0.91)
    let steps = zip(axis.ticks.dropFirst(), axis.ticks).map { $0 - $1 }
    for step in steps { #expect(abs(step - steps[0]) < 1e-12) }
    #expect([0.1, 0.2, 0.5].contains { abs(steps[0] - $0) < 1e-12 })
  }

  @Test func pointsThatCannotBeDrawnAreSkippedNotClamped() {
    var plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y", yScale: .log, legend: .none)
    plot.add(.init(name: "s", points: [(1, 1), (2, .nan), (3, -1), (4, 0), (5, .infinity), (6, 10)], style: .scatter))
    let svg = SVGFigure([plot]).svg()
    #expect(svg.components(separatedBy: "<circle").count - 1 == 2)
  }

  @Test func textIsEscapedAndTheDocumentIsWellFormedXML() throws {
    var plot = SVGPlot(title: "a < b & c > d", xLabel: "θ", yLabel: "‖x̂ − x*‖", xScale: .log, yScale: .log)
    plot.add(.init(name: "implicit <fast>", points: [(1e-3, 2e-3), (1e-1, 3e-1)]))
    plot.add(.init(name: "unrolled", points: [(1e-3, 1e-2), (1e-1, 1)], dashed: true))
    var outside = plot
    outside.legend = .outsideRight
    let svg = SVGFigure([plot, outside]).svg()
    #expect(svg.contains("a &lt; b &amp; c &gt; d"))
    #expect(svg.contains("implicit &lt;fast&gt;"))
    let parser = XMLParser(data: Data(svg.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
  }
}
