import Foundation

/// What ran: every step of the run record in the order the run executed them, whether it was computed
/// or found in the cache, its wall time and speed, and the run's start, end and status.
enum StepsSection {
    static func render(_ run: RunFolder) -> String {
        guard let record = run.record, let nodes = record.value["nodes"]?.objectValue else { return "" }
        var html = "<h2>Steps</h2>\n"
        let started = record.value["started"]?.stringValue, finished = record.value["finished"]?.stringValue
        var facts: [String] = []
        if let status = record.value["status"]?.stringValue { facts.append("status <b>\(HTML.escape(status))</b>") }
        if let started { facts.append("started \(HTML.escape(started))") }
        if let finished { facts.append("finished \(HTML.escape(finished))") }
        if let a = started.flatMap(Self.date), let b = finished.flatMap(Self.date) {
            facts.append("wall time <b>\(Units.duration(b.timeIntervalSince(a)))</b>")
        }
        if let seed = record.value["seed"]?.intValue { facts.append("seed \(seed)") }
        if !facts.isEmpty { html += "<p>" + facts.joined(separator: " · ") + "</p>\n" }
        var rows: [[HTML.Cell]] = []
        for id in nodes.keys.sorted(by: run.ordered) {
            let n = nodes[id]!
            let status = n["status"]?.stringValue ?? ""
            let seconds = n["seconds"]?.doubleValue
            // A cached step took no time now; its record keeps how long it took when it was computed.
            let time: HTML.Cell = status == "cached"
                ? HTML.Cell(html: seconds.map { "<small>" + String(format: "%.1f", $0) + " when computed</small>" } ?? "")
                : .text(seconds.map { String(format: "%.1f", $0) } ?? "")
            rows.append([.text(id), .text(n["kind"]?.stringValue ?? "", "t"), .text(status, "t status-\(Self.cssWord(status))"), time,
                         .text(n["tokens_per_s"]?.doubleValue.map { String(format: "%.0f", $0) } ?? ""),
                         HTML.Cell(html: "<small>\(HTML.escape(String((n["key"]?.stringValue ?? "").prefix(12))))</small>", cssClass: "t")])
        }
        html += HTML.table(head: [.text("step"), .text("kind", "t"), .text("status", "t"), .text("seconds"), .text("tokens/s"),
                                  .text("cache key", "t")], rows: rows)
        return html
    }

    static func date(_ s: String) -> Date? { ISO8601DateFormatter().date(from: s) }

    /// A status as a CSS class name part (letters only).
    static func cssWord(_ s: String) -> String { String(s.filter { $0.isLetter }) }
}
