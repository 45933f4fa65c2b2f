import Foundation

/// One chart as inline SVG: round ticks on both axes (`AxisTicks`) with grid lines, axis titles, one
/// polyline per series (a dot where a series has a single point), a legend when there are several, and
/// optional dashed reference lines (a gradient clip).
struct LineChart {
    struct Point: Equatable { var x: Double; var y: Double }
    struct Series {
        var name: String
        var points: [Point]
        var color: String
    }
    /// A horizontal line across the plot at `y` (drawn only when it lies within the ticks).
    struct Reference { var y: Double; var label: String }

    var title: String
    var xTitle: String
    var yTitle: String
    var xStyle: AxisTicks.Style = .count
    var series: [Series]
    var references: [Reference] = []
    var width = 470.0, height = 250.0

    static let palette = ["#2a62c9", "#d9822b", "#2f9e44", "#c92a6b"]

    var isEmpty: Bool { series.allSatisfy { $0.points.isEmpty } }

    func svg() -> String {
        let points = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        guard !points.isEmpty else { return "" }
        let left = 62.0, right = 14.0, top = 28.0, bottom = 44.0
        let xs = AxisTicks(covering: points.map(\.x).min()!, points.map(\.x).max()!, target: 5, style: xStyle)
        // The clip line is worth seeing when the norms come near it; it is not allowed to stretch the axis.
        let ys = AxisTicks(covering: points.map(\.y).min()!, points.map(\.y).max()!, target: 5)
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xs.lower) / (xs.upper - xs.lower) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - ys.lower) / (ys.upper - ys.lower) * plotH }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        var s = "<svg class=chart width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\">\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"16\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\">\(HTML.escape(title))</text>\n"
        for v in xs.values {
            let x = px(v)
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH))\" stroke=\"#eee\"/>"
            s += "<line x1=\"\(f(x))\" y1=\"\(f(top + plotH))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#888\"/>"
            s += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 16))\" text-anchor=\"middle\" font-size=\"10\">\(xs.label(v))</text>\n"
        }
        for v in ys.values {
            let y = py(v)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(left + plotW))\" y2=\"\(f(y))\" stroke=\"#eee\"/>"
            s += "<line x1=\"\(f(left - 4))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"#888\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 3.5))\" text-anchor=\"end\" font-size=\"10\">\(ys.label(v))</text>\n"
        }
        s += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"none\" stroke=\"#888\"/>\n"
        s += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\" font-size=\"11\">\(HTML.escape(xTitle))</text>\n"
        let yMid = top + plotH / 2
        s += "<text x=\"13\" y=\"\(f(yMid))\" text-anchor=\"middle\" font-size=\"11\" transform=\"rotate(-90 13 \(f(yMid)))\">\(HTML.escape(yTitle))</text>\n"
        for r in references where r.y >= ys.lower && r.y <= ys.upper {
            s += "<line x1=\"\(f(left))\" y1=\"\(f(py(r.y)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(r.y)))\" stroke=\"#a11\" stroke-dasharray=\"4 3\"/>"
            s += "<text x=\"\(f(left + plotW - 4))\" y=\"\(f(py(r.y) - 4))\" text-anchor=\"end\" font-size=\"10\" fill=\"#a11\">\(HTML.escape(r.label))</text>\n"
        }
        for line in series where !line.points.isEmpty {
            let drawn = line.points.filter { $0.x.isFinite && $0.y.isFinite }
            if drawn.count == 1 {
                s += "<circle cx=\"\(f(px(drawn[0].x)))\" cy=\"\(f(py(drawn[0].y)))\" r=\"3\" fill=\"\(line.color)\"/>\n"
            } else {
                let path = drawn.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                s += "<polyline class=series data-series=\"\(HTML.escape(line.name))\" fill=\"none\" stroke=\"\(line.color)\" "
                    + "stroke-width=\"1.6\" points=\"\(path)\"/>\n"
            }
        }
        let named = series.filter { !$0.points.isEmpty }
        if named.count > 1 {
            for (i, line) in named.enumerated() {
                let y = top + 12 + Double(i) * 14
                s += "<rect x=\"\(f(left + plotW - 118))\" y=\"\(f(y - 7))\" width=\"10\" height=\"3\" fill=\"\(line.color)\"/>"
                s += "<text x=\"\(f(left + plotW - 104))\" y=\"\(f(y - 2))\" font-size=\"10\">\(HTML.escape(line.name))</text>\n"
            }
        }
        return s + "</svg>"
    }
}
