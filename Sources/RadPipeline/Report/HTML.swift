import Foundation

/// Small helpers for writing the report's HTML by hand: escaping and table cells. No templates, no
/// JavaScript: the page is a string.
enum HTML {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// One table cell: its HTML content (already escaped), an optional class and hover text.
    struct Cell {
        var html: String
        var cssClass: String?
        var title: String?

        init(html: String, cssClass: String? = nil, title: String? = nil) {
            self.html = html; self.cssClass = cssClass; self.title = title
        }
        /// A cell of plain text (escaped here).
        static func text(_ s: String, _ cssClass: String? = nil, title: String? = nil) -> Cell {
            Cell(html: escape(s), cssClass: cssClass, title: title)
        }

        func render(_ tag: String) -> String {
            var attributes = ""
            if let cssClass { attributes += cssClass.contains(" ") ? " class=\"\(cssClass)\"" : " class=\(cssClass)" }
            if let title { attributes += " title=\"\(escape(title))\"" }
            return "<\(tag)\(attributes)>\(html)</\(tag)>"
        }
    }

    /// A table with one header row.
    static func table(head: [Cell], rows: [[Cell]], cssClass: String? = nil) -> String {
        var out = "<table\(cssClass.map { " class=\($0)" } ?? "")><tr>" + head.map { $0.render("th") }.joined() + "</tr>\n"
        for row in rows { out += "<tr>" + row.map { $0.render("td") }.joined() + "</tr>\n" }
        return out + "</table>\n"
    }

    /// A number for a table: fixed decimals, a dash when it is not a number.
    static func number(_ v: Double?, _ decimals: Int) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.\(decimals)f", v)
    }
}
