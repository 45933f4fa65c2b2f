import RadModelZoo
import RadOps
import Foundation

/// Where training or held-out text comes from, as a manifest states it.
public enum DocumentSource: Equatable, Sendable {
    /// Text files (glob patterns); each file is one document.
    case textFiles([String])
    /// JSON-lines files (glob patterns); each line's `field` is one document.
    case jsonl([String], field: String)
    /// A Megatron `.bin`/`.idx` pair, already tokenised.
    case binidx(prefix: String)
}

public struct DataError: InvalidInputError {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the documents of text and JSON-lines sources (the `tokenize` step packs them, spec §1.7).
public enum TokenPacker {
    /// Expands `pattern` relative to `base` (supports `*`, `?` and `[...]` in the last path components).
    public static func glob(_ pattern: String, base: String) -> [String] {
        let full = pattern.hasPrefix("/") ? pattern : (base as NSString).appendingPathComponent(pattern)
        var gt = glob_t()
        defer { globfree(&gt) }
        guard Foundation.glob(full, 0, nil, &gt) == 0 else { return [] }
        return (0..<Int(gt.gl_pathc)).compactMap { gt.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The documents of `sources`, in order, read and decoded.
    public static func documents(_ sources: [DocumentSource], base: String) throws -> [String] {
        try documentList(sources, base: base).map { try $0.text() }
    }

    /// The documents of `sources`, in order: a text file is read when its text is asked for (under mpirun a
    /// rank reads only the files of its share), a JSON-lines file now, for its lines.
    public static func documentList(_ sources: [DocumentSource], base: String) throws -> [Document] {
        var docs: [Document] = []
        for source in sources {
            switch source {
            case .textFiles(let patterns):
                for pattern in patterns {
                    let files = glob(pattern, base: base)
                    guard !files.isEmpty else { throw DataError("no files match '\(pattern)'") }
                    docs += files.map(Document.file)
                }
            case .jsonl(let patterns, let field):
                for pattern in patterns {
                    let files = glob(pattern, base: base)
                    guard !files.isEmpty else { throw DataError("no files match '\(pattern)'") }
                    for f in files {
                        guard let data = FileManager.default.contents(atPath: f) else { throw DataError("\(f): cannot read") }
                        for (n, line) in try UserText.decode(data, file: f).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
                            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                                throw DataError("\(f):\(n + 1): not a JSON object")
                            }
                            guard let text = obj[field] as? String else {
                                throw DataError("\(f):\(n + 1): no string field '\(field)'")
                            }
                            docs.append(.text(text))
                        }
                    }
                }
            case .binidx:
                break   // already tokenised; see `pack`
            }
        }
        return docs
    }
}

/// One document of a text source.
public enum Document: Equatable, Sendable {
    /// A text file, one document: read and decoded (UTF-8) by `text()`.
    case file(String)
    /// A document's text (a JSON line's field).
    case text(String)

    public func text() throws -> String {
        switch self {
        case .text(let t): return t
        case .file(let f):
            guard let data = FileManager.default.contents(atPath: f) else { throw DataError("\(f): cannot read") }
            return try UserText.decode(data, file: f)
        }
    }
}
