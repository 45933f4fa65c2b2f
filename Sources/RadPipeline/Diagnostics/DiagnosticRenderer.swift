import Foundation

/// Renders diagnostics the way compilers do: the `FILE:LINE:COL: error:` line, the offending source line,
/// and a caret under the column. Sources are the texts the loader read (files and `-s` overrides).
public struct DiagnosticRenderer {
    public var sources: [String: String]
    public init(sources: [String: String]) { self.sources = sources }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = diagnostic.description
        guard let loc = diagnostic.location, let text = sources[loc.file] else { return out }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard loc.line >= 1, loc.line <= lines.count else { return out }
        var line = String(lines[loc.line - 1])
        if line.hasSuffix("\r") { line.removeLast() }
        // Control bytes would garble the terminal: show them as `?`.
        let shown = String(line.unicodeScalars.map { $0.value < 0x20 && $0 != "\t" ? "?" : Character($0) })
        let caretPad = String(shown.prefix(max(0, loc.column - 1)).map { $0 == "\t" ? "\t" : " " })
        out += "\n" + shown + "\n" + caretPad + "^"
        return out
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined(separator: "\n")
    }
}
