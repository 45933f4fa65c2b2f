import RadModelZoo
import Foundation

/// The student the run converts to: its architecture (with the catalog's one-line summary), the teacher
/// it comes from, and every option of the architecture with the value the run used, marked where it is
/// the default. Read from the resolved manifest in `run.json`; defaults from `ArchitectureCatalog`.
enum StudentSection {
    static func render(_ run: RunFolder) -> String {
        guard let resolved = run.record?.value["resolved"] else { return "" }
        var html = ""
        if let teacher = resolved["teacher"]?["source"]?.stringValue {
            html += "<p><b>Teacher</b> <code>\(HTML.escape(teacher))</code></p>\n"
        }
        guard let student = resolved["student"], let name = student["architecture"]?.stringValue else {
            return html.isEmpty ? "" : "<h2>Student</h2>\n" + html
        }
        let written = student["options"]?.objectValue ?? [:]
        let descriptor = ArchitectureCatalog.descriptor(named: name)
        html += "<p><b>Architecture</b> <code>\(HTML.escape(name))</code>"
        if let summary = descriptor?.summary { html += " — \(HTML.escape(summary))" }
        html += "</p>\n"
        if let checkpoint = student["checkpoint"]?.stringValue {
            html += "<p><b>Starts from</b> <code>\(HTML.escape(checkpoint))</code></p>\n"
        }
        var rows: [[HTML.Cell]] = []
        for option in descriptor?.options ?? [] {
            let value = written[option.name]
            let shown = value.map(Self.asWritten) ?? option.defaultValue.description
            let isDefault = value == nil || value?.display == option.defaultValue.description
            rows.append([.text(option.name), .text(shown, isDefault ? nil : "set"), .text(isDefault ? "default" : "set here", "t"),
                         .text(option.summary, "t")])
        }
        // Options the catalog does not know (an architecture renamed since the run) are still listed.
        for (key, value) in written.sorted(by: { $0.key < $1.key }) where !(descriptor?.options.contains { $0.name == key } ?? false) {
            rows.append([.text(key), .text(Self.asWritten(value), "set"), .text("set here", "t"), .text("", "t")])
        }
        if !rows.isEmpty {
            html += HTML.table(head: [.text("option"), .text("value"), .text("", "t"), .text("meaning", "t")], rows: rows, cssClass: "options")
        }
        return "<h2>Student</h2>\n" + html
    }

    /// An option's value as a manifest writes it: `{ auto: 2 }`, not JSON.
    static func asWritten(_ v: CanonicalValue) -> String {
        guard let o = v.objectValue else { return v.display }
        return "{ " + o.keys.sorted().map { "\($0): \(asWritten(o[$0]!))" }.joined(separator: ", ") + " }"
    }
}
