import Foundation

/// The hybrid layers an align step chose (`softmax_layers: { auto: K }`): every layer's measured cost
/// of conversion alone as a bar (KL in nats per token), the kept layers highlighted.
enum LayerSelectionSection {
    static func render(_ run: RunFolder) -> String {
        guard let nodes = run.record?.value["nodes"]?.objectValue else { return "" }
        var html = ""
        for id in nodes.keys.sorted(by: run.ordered) {
            guard let selection = LayerSelection(nodes[id]?[LayerSelection.metaKey]) else { continue }
            if html.isEmpty { html = "<h2>Hybrid layers</h2>\n" }
            html += "<h3>\(HTML.escape(id)) <small>kept layers \(selection.chosen.map(String.init).joined(separator: ", ")) as softmax attention; "
                + "scored on \(Units.count(Int64(selection.tokens))) \(selection.heldOut ? "held-out" : "trained-on") tokens</small></h3>\n"
            html += "<p class=note>Each bar: KL(teacher ‖ teacher with only that layer's attention replaced by its aligned mixer), "
                + "nats per token. The highest bars keep the teacher's attention.</p>\n"
            html += bars(selection)
        }
        return html
    }

    static func bars(_ s: LayerSelection) -> String {
        let width = 960.0, height = 220.0, left = 56.0, bottom = 28.0, top = 10.0
        let values = s.scores.map { $0 ?? 0 }
        let axis = AxisTicks(covering: 0, max(values.max() ?? 0, 1e-6), target: 4)
        let top_ = axis.upper
        let step = (width - left - 10) / Double(max(values.count, 1))
        func y(_ v: Double) -> Double { top + (height - top - bottom) * (1 - v / top_) }
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=img aria-label=\"KL per layer\">"
        for t in axis.values {
            svg += String(format: "<line x1=%.0f x2=%.0f y1=%.1f y2=%.1f stroke=#ddd />", left, width - 10, y(t), y(t))
            svg += String(format: "<text x=%.0f y=%.1f font-size=11 text-anchor=end>", left - 4, y(t) + 4) + axis.label(t) + "</text>"
        }
        for (i, v) in values.enumerated() {
            let kept = s.chosen.contains(i), x = left + Double(i) * step
            let fill = s.scores[i] == nil ? "#bbb" : kept ? "#c0392b" : "#4a7fb5"
            svg += String(format: "<rect x=%.1f y=%.1f width=%.1f height=%.1f fill=", x + 1, y(v), max(step - 2, 1), max(y(0) - y(v), 0))
                + fill + "><title>layer \(i): " + (s.scores[i].map { String(format: "KL %.4f", $0) } ?? "already softmax") + "</title></rect>"
            if values.count <= 40 || i % 5 == 0 {
                svg += String(format: "<text x=%.1f y=%.0f font-size=10 text-anchor=middle>%d</text>", x + step / 2, height - bottom + 14, i)
            }
        }
        svg += String(format: "<text x=%.0f y=%.0f font-size=11 text-anchor=middle>layer</text>", (width + left) / 2, height - 2)
        return "<div class=chart-box>" + svg + "</svg></div>\n"
    }
}
