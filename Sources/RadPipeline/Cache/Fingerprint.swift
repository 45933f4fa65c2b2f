import Crypto
import Foundation

/// Content fingerprints of the files a manifest reads (teacher, tokenizer, data), so that cache keys follow
/// the content and not where it lies. Big files are sampled: size + first and last MiB, which catches any
/// replaced or re-quantised checkpoint without reading gigabytes on every `rad plan`.
public final class Fingerprinter: @unchecked Sendable {
    private var memo: [String: String] = [:]
    private let lock = NSLock()
    public static let sample = 1 << 20

    public init() {}

    public func fingerprint(path: String) -> String {
        lock.lock(); if let f = memo[path] { lock.unlock(); return f }; lock.unlock()
        let f = compute(path)
        lock.lock(); memo[path] = f; lock.unlock()
        return f
    }

    private func compute(_ path: String) -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return "missing" }
        if isDir.boolValue {
            let files = (FileManager.default.subpaths(atPath: path) ?? []).sorted().filter {
                var d: ObjCBool = false
                return FileManager.default.fileExists(atPath: path + "/" + $0, isDirectory: &d) && !d.boolValue && !$0.hasPrefix(".")
            }
            var h = SHA256()
            for f in files { h.update(data: Data("\(f)\u{0}\(compute(path + "/" + f))\u{0}".utf8)) }
            return h.finalize().hex
        }
        guard let fh = FileHandle(forReadingAtPath: path) else { return "unreadable" }
        defer { try? fh.close() }
        let size = (try? fh.seekToEnd()) ?? 0
        var h = SHA256()
        h.update(data: Data("size=\(size)\u{0}".utf8))
        try? fh.seek(toOffset: 0)
        if let head = try? fh.read(upToCount: Self.sample) { h.update(data: head) }
        if size > UInt64(Self.sample) {
            try? fh.seek(toOffset: max(UInt64(Self.sample), size - UInt64(Self.sample)))
            if let tail = try? fh.read(upToCount: Self.sample) { h.update(data: tail) }
        }
        return h.finalize().hex
    }

    /// The files a glob matches, sorted.
    public static func expand(glob pattern: String) -> [String] {
        var g = glob_t()
        defer { globfree(&g) }
        guard glob(pattern, 0, nil, &g) == 0 else { return [] }
        return (0..<Int(g.gl_pathc)).compactMap { g.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }
}

extension Digest {
    public var hex: String { map { String(format: "%02x", $0) }.joined() }
}
