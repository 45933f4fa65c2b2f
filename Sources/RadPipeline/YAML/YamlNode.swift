/// A position in a source text. Lines and columns are 1-based, as editors show them.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { "\(file):\(line):\(column)" }
}

/// A YAML node that remembers where it was written, so that every validation error can point at it.
/// Aliases are already resolved (the node is a copy of its anchor's node, location included).
public struct YamlNode: Sendable {
    public enum Value: Sendable {
        /// `plain` is false for quoted or block scalars: `"1"` is a string, `1` is a number.
        case scalar(String, plain: Bool)
        case mapping([(key: YamlNode, value: YamlNode)])
        case sequence([YamlNode])
    }
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) { self.value = value; self.location = location }

    public var scalarText: String? { if case .scalar(let s, _) = value { return s }; return nil }
    public var mappingPairs: [(key: YamlNode, value: YamlNode)]? { if case .mapping(let m) = value { return m }; return nil }
    public var sequenceItems: [YamlNode]? { if case .sequence(let s) = value { return s }; return nil }

    /// The value of `key` in a mapping node (nil if absent or not a mapping).
    public subscript(key: String) -> YamlNode? {
        mappingPairs?.first { $0.key.scalarText == key }?.value
    }

    /// What kind of node this is, for error messages.
    public var kindName: String {
        switch value {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// Number of nodes in this subtree (used to bound alias expansion).
    public var nodeCount: Int {
        switch value {
        case .scalar: return 1
        case .mapping(let m): return 1 + m.reduce(0) { $0 + $1.key.nodeCount + $1.value.nodeCount }
        case .sequence(let s): return 1 + s.reduce(0) { $0 + $1.nodeCount }
        }
    }
}
