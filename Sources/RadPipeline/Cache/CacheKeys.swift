import Crypto
import Foundation

/// A node's cache key and the record it is the SHA-256 of.
public struct CacheKey: Sendable, Hashable {
    public var key: String
    /// The canonical record: kind, output settings, input keys, seed, numerics version.
    public var record: CanonicalValue
}

/// Derives every node's key from a canonical record (see `CanonicalValue.canonicalJSON`):
///   { format, kind, settings (output-affecting only), inputs {role: key}, seed, numerics }
/// Source nodes (teacher, tokenizer) use the content fingerprint of the file instead of settings and
/// seed, and data nodes replace their paths by the matched files' names and fingerprints, so moving a
/// checkout does not invalidate the cache. `rad plan` explains a miss by diffing these records.
public struct CacheKeyDeriver {
    public static let format = 1
    public var fingerprinter: Fingerprinter
    public var numericsVersion: Int

    public init(fingerprinter: Fingerprinter = Fingerprinter(), numericsVersion: Int = RadVersion.numericsVersion) {
        self.fingerprinter = fingerprinter; self.numericsVersion = numericsVersion
    }

    public func keys(for graph: StepGraph, seed: Int64) -> [String: CacheKey] {
        var out: [String: CacheKey] = [:]
        for node in graph.nodes {
            var record: [String: CanonicalValue] = [
                "format": .int(Int64(Self.format)), "kind": .string(node.kind), "numerics": .int(Int64(numericsVersion)),
            ]
            if node.isSource {
                record["content"] = .string(fingerprinter.fingerprint(path: node.settings["source"]?.stringValue ?? ""))
                if let f = node.settings["format"] { record["settings"] = .object(["format": f]) }
            } else {
                record["settings"] = .object(contentAddressed(node))
                record["seed"] = .int(seed)
                var inputs: [String: CanonicalValue] = [:]
                for (role, id) in node.inputs { inputs[role] = .string(out[id]?.key ?? "?") }
                record["inputs"] = .object(inputs)
            }
            let value = CanonicalValue.object(record)
            out[node.id] = CacheKey(key: Self.hash(value), record: value)
        }
        return out
    }

    public static func hash(_ record: CanonicalValue) -> String {
        SHA256.hash(data: Data(record.canonicalJSON.utf8)).hex
    }

    /// Replaces file paths in a node's settings by content fingerprints (as the node's kind does it).
    func contentAddressed(_ node: StepGraph.Node) -> [String: CanonicalValue] {
        StepKindCatalog.shared.nodeKind(node.kind)?.keySettings(node.settings, fingerprinter: fingerprinter) ?? node.settings
    }
}
