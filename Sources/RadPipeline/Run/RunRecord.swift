import Foundation

/// The record of one `rad run` in `runs/NAME/run.json`: the resolved manifest, every node's cache key
/// record, what was cached or computed, timings, versions and the seed. `rad plan` reads the previous
/// record to explain why a node must run again.
public struct RunRecord {
    public static let fileName = "run.json"
    /// The runs folder when none is given (`--runs`), relative to the working directory.
    public static let defaultRunsFolder = "runs"
    public var value: CanonicalValue

    public init(value: CanonicalValue) { self.value = value }

    public static func directory(for manifest: Manifest, runsRoot: URL) -> URL { runsRoot.appendingPathComponent(manifest.name) }

    public static func load(from dir: URL) -> RunRecord? {
        guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(fileName).path),
              let v = try? JSONReader.parse(data) else { return nil }
        return RunRecord(value: v)
    }

    public func node(_ id: String) -> CanonicalValue? { value["nodes"]?[id] }

    /// Writes `run.json` whole or not at all: into a temporary file beside it, renamed over the old record
    /// (which stays as it was when anything fails, and the temporary file is removed).
    public func save(to dir: URL) throws {
        let file = dir.appendingPathComponent(Self.fileName)
        let temporary = dir.appendingPathComponent(".\(Self.fileName).\(getpid()).tmp")
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(value.prettyJSON.utf8).write(to: temporary)
            guard rename(temporary.path, file.path) == 0 else {
                throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno))
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw RunRecordWriteFailure(path: ManifestSource.display(file.path), cause: FileFailure.cause(of: error),
                                        stepsSucceeded: value["status"] == .string("ok"))
        }
    }
}

/// `run.json` could not be written. When every step succeeded the run still failed (exit 1: its record is
/// what `rad plan` and the report read), but its artifacts are in the cache and a re-run finds them.
public struct RunRecordWriteFailure: Error, CustomStringConvertible {
    public var path: String
    public var cause: String
    public var stepsSucceeded: Bool
    public var description: String {
        "cannot write the run record \(path): \(cause)"
            + (stepsSucceeded ? "; every step finished and its artifacts are cached: re-running the same command finds them and writes the record" : "")
    }
}

/// Differences between two key records, as readable paths: `settings.lr.init 0.001 -> 0.002`.
public enum RecordDiff {
    public static func diff(old: CanonicalValue, new: CanonicalValue, path: String = "") -> [String] {
        // Equal as canonical text is equal for keys (a record read back from JSON has 10, not 10.0).
        if old == new || old.canonicalJSON == new.canonicalJSON { return [] }
        if case .object(let a) = old, case .object(let b) = new {
            var out: [String] = []
            for k in Set(a.keys).union(b.keys).sorted() {
                let p = path.isEmpty ? k : path + "." + k
                switch (a[k], b[k]) {
                case (nil, let n?): out.append("\(p) added (\(short(n)))")
                case (let o?, nil): out.append("\(p) removed (was \(short(o)))")
                case (let o?, let n?):
                    if p.hasPrefix("inputs."), o != n { out.append("\(p) changed (upstream)") }
                    else { out += diff(old: o, new: n, path: p) }
                default: break
                }
            }
            return out
        }
        return ["\(path) \(short(old)) -> \(short(new))"]
    }

    static func short(_ v: CanonicalValue) -> String {
        let s = v.display
        return s.count > 40 ? String(s.prefix(12)) + "…" : s
    }
}
