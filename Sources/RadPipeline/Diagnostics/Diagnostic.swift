/// One problem found in a manifest, pointing at the node that causes it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// What family of check found the problem. `schema` problems are exactly those that the JSON Schema in
    /// `schemas/manifest.schema.json` can also see (unknown key, wrong type, value not allowed, missing
    /// required key); the agreement test relies on this split.
    public enum Category: String, Sendable { case syntax, schema, range, reference, graph, override, io }

    public var location: SourceLocation?
    public var message: String
    public var category: Category

    public init(_ message: String, at location: SourceLocation?, category: Category) {
        self.message = message; self.location = location; self.category = category
    }

    /// `FILE:LINE:COL: error: message` (without the source excerpt; see `DiagnosticRenderer`).
    public var description: String {
        if let location { return "\(location): error: \(message)" }
        return "error: \(message)"
    }
}

/// All diagnostics of one validation, thrown together so that the user sees every problem at once.
public struct ManifestErrors: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics during a validation pass.
public final class DiagnosticBag {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public func error(_ message: String, at location: SourceLocation?, _ category: Diagnostic.Category) {
        let d = Diagnostic(message, at: location, category: category)
        if !diagnostics.contains(d) { diagnostics.append(d) }
    }
    public func append(contentsOf other: [Diagnostic]) { for d in other where !diagnostics.contains(d) { diagnostics.append(d) } }
    public var isEmpty: Bool { diagnostics.isEmpty }
    /// Sorted by file, line, column so the output reads top to bottom.
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            if la?.file != lb?.file { return a.offset < b.offset }
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            if la?.column != lb?.column { return (la?.column ?? 0) < (lb?.column ?? 0) }
            return a.offset < b.offset
        }.map(\.element)
    }
}
