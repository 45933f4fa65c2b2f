import CYaml
import Foundation

/// Parses YAML text into `YamlNode`s with libyaml's event API, keeping every node's line and column.
///
/// Hostile input is bounded rather than trusted: nesting deeper than `maxDepth`, alias expansion past
/// `maxNodes` nodes (the "billion laughs" bomb), duplicate keys, several documents, and non-text bytes are
/// all reported as diagnostics at their position; nothing here can trap or allocate without bound.
public struct YamlParser {
    public var maxDepth = 64
    public var maxNodes = 200_000
    public var maxBytes = 16 << 20

    public init() {}

    public func parse(_ text: String, file: String) throws -> YamlNode {
        var bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw ManifestErrors([Diagnostic("file is larger than \(maxBytes >> 20) MiB; not a manifest", at: SourceLocation(file: file, line: 1, column: 1), category: .syntax)])
        }
        if let nul = bytes.firstIndex(of: 0) {
            throw ManifestErrors([Diagnostic("file contains a NUL byte; a manifest must be YAML text", at: location(ofByte: nul, in: bytes, file: file), category: .syntax)])
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            throw ManifestErrors([Diagnostic("cannot initialise the YAML parser", at: nil, category: .syntax)])
        }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeMutableBufferPointer { buf -> YamlNode in
            yaml_parser_set_input_string(&parser, buf.baseAddress, buf.count)
            var builder = Builder(file: file, maxDepth: maxDepth, maxNodes: maxNodes)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { throw builder.libyamlError(parser) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(&event)
            }
            if !builder.duplicates.isEmpty { throw ManifestErrors(builder.duplicates) }
            guard let root = builder.documents.first else {
                throw ManifestErrors([Diagnostic("the manifest is empty", at: SourceLocation(file: file, line: 1, column: 1), category: .syntax)])
            }
            if builder.documents.count > 1 {
                throw ManifestErrors([Diagnostic("a manifest is one YAML document; found \(builder.documents.count) (remove the `---` separators)", at: builder.documents[1].location, category: .syntax)])
            }
            return root
        }
    }

    private func location(ofByte index: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1, col = 1
        for b in bytes[..<index] { if b == 10 { line += 1; col = 1 } else if b & 0xC0 != 0x80 { col += 1 } }
        return SourceLocation(file: file, line: line, column: col)
    }

    /// Turns the event stream into nodes with an explicit stack (no recursion, so depth is bounded by us).
    private struct Builder {
        /// A mapping or sequence under construction (a class, so appends happen in place).
        final class Frame {
            let isMapping: Bool
            let start: SourceLocation
            let anchor: String?
            var pairs: [(key: YamlNode, value: YamlNode)] = []
            var items: [YamlNode] = []
            var keyLines: [String: Int] = [:]
            var pendingKey: YamlNode?
            var dropNextValue = false
            init(isMapping: Bool, start: SourceLocation, anchor: String?) { self.isMapping = isMapping; self.start = start; self.anchor = anchor }
        }
        let file: String
        let maxDepth: Int
        let maxNodes: Int
        var stack: [Frame] = []
        var anchors: [String: YamlNode] = [:]
        var documents: [YamlNode] = []
        var totalNodes = 0
        /// Duplicate keys do not stop parsing: they are all reported together.
        var duplicates: [Diagnostic] = []

        init(file: String, maxDepth: Int, maxNodes: Int) { self.file = file; self.maxDepth = maxDepth; self.maxNodes = maxNodes }

        func loc(_ mark: yaml_mark_t) -> SourceLocation {
            SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
        }

        func fail(_ message: String, _ at: SourceLocation) -> ManifestErrors {
            ManifestErrors([Diagnostic(message, at: at, category: .syntax)])
        }

        func libyamlError(_ p: yaml_parser_t) -> ManifestErrors {
            let problem = p.problem.map { String(cString: $0) } ?? "malformed YAML"
            var message = "invalid YAML: \(problem)"
            if let ctx = p.context { message += " (\(String(cString: ctx)) that starts at line \(p.context_mark.line + 1))" }
            return fail(message, loc(p.problem_mark))
        }

        mutating func consume(_ e: inout yaml_event_t) throws {
            let at = loc(e.start_mark)
            switch e.type {
            case YAML_SCALAR_EVENT:
                let s = e.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: s.value, count: Int(s.length)), as: UTF8.self)
                let plain = s.style == YAML_PLAIN_SCALAR_STYLE && s.tag == nil
                let node = YamlNode(.scalar(text, plain: plain), at: at)
                try register(anchor: s.anchor, node)
                try add(node)
            case YAML_ALIAS_EVENT:
                let name = String(cString: e.data.alias.anchor)
                guard let target = anchors[name] else { throw fail("unknown alias '*\(name)'", at) }
                totalNodes += target.nodeCount
                guard totalNodes <= maxNodes else {
                    throw fail("aliases expand to more than \(maxNodes) nodes (an alias bomb?)", at)
                }
                try add(target)
            case YAML_SEQUENCE_START_EVENT:
                guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels", at) }
                stack.append(Frame(isMapping: false, start: at, anchor: e.data.sequence_start.anchor.map { String(cString: $0) }))
            case YAML_MAPPING_START_EVENT:
                guard stack.count < maxDepth else { throw fail("nesting deeper than \(maxDepth) levels", at) }
                stack.append(Frame(isMapping: true, start: at, anchor: e.data.mapping_start.anchor.map { String(cString: $0) }))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let f = stack.removeLast()
                let node = f.isMapping ? YamlNode(.mapping(f.pairs), at: f.start) : YamlNode(.sequence(f.items), at: f.start)
                if let anchor = f.anchor { anchors[anchor] = node }
                try add(node)
            default:
                break // stream/document start and end carry nothing we keep
            }
        }

        mutating func register(anchor: UnsafeMutablePointer<yaml_char_t>?, _ node: YamlNode) throws {
            if let anchor { anchors[String(cString: anchor)] = node }
        }

        mutating func add(_ node: YamlNode) throws {
            totalNodes += 1
            guard totalNodes <= maxNodes else { throw fail("document has more than \(maxNodes) nodes", node.location) }
            guard let top = stack.last else { documents.append(node); return }
            if !top.isMapping { top.items.append(node); return }
            if let key = top.pendingKey {
                if !top.dropNextValue { top.pairs.append((key, node)) }
                top.pendingKey = nil
                top.dropNextValue = false
                return
            }
            guard let name = node.scalarText else {
                throw fail("mapping keys must be plain names, not \(node.kindName)", node.location)
            }
            top.pendingKey = node
            if let line = top.keyLines[name] {
                duplicates.append(Diagnostic("duplicate key '\(name)' (first defined at line \(line))", at: node.location, category: .syntax))
                top.dropNextValue = true
            } else {
                top.keyLines[name] = node.location.line
            }
        }
    }
}
