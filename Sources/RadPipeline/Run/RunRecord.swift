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

    /// `runs/NAME`: one folder per run of the manifest named NAME (`runs/NAME/RUN-ID`), and `latest`, a
    /// link to the last one, so that a run never overwrites another's record, metrics, evaluation or report.
    public static func nameFolder(for manifest: Manifest, runsRoot: URL) -> URL { runsRoot.appendingPathComponent(manifest.name) }
    public static let latestLink = "latest"

    /// The last run's folder of `runs/NAME` (nil when it has none): `latest`, or the folder itself when it
    /// is an older rad's single run folder (its `run.json` directly inside).
    public static func latestDirectory(for manifest: Manifest, runsRoot: URL) -> URL? {
        runFolder(nameFolder(for: manifest, runsRoot: runsRoot))
    }

    /// A run's folder from what a user names: the run folder itself, or `runs/NAME` (its latest run).
    public static func runFolder(_ folder: URL) -> URL? {
        let fm = FileManager.default
        if fm.fileExists(atPath: folder.appendingPathComponent(fileName).path) { return folder }
        let latest = folder.appendingPathComponent(latestLink)
        return fm.fileExists(atPath: latest.path) ? latest.resolvingSymlinksInPath() : nil
    }

    /// A new run's id: its start time (UTC, so ids sort as runs started) and a random suffix that keeps two
    /// runs started in the same millisecond apart.
    public static func newRunID(at date: Date = Date()) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "yyyyMMdd-HHmmss-SSS"
        return f.string(from: date) + "-" + String(format: "%04x", UInt16.random(in: 0...UInt16.max))
    }

    /// Points `runs/NAME/latest` at `id`, replacing the old link in one rename (a reader sees the old or
    /// the new run, never none). Only a link is ever replaced: a file or folder named `latest` is left alone.
    public static func pointLatest(in nameFolder: URL, to id: String) throws {
        let link = nameFolder.appendingPathComponent(latestLink).path
        if let attributes = try? FileManager.default.attributesOfItem(atPath: link), attributes[.type] as? FileAttributeType != .typeSymbolicLink {
            throw FileFailure(path: ManifestSource.display(link), cause: "exists and is not rad's link to the latest run; move it away")
        }
        let temporary = nameFolder.appendingPathComponent(".\(latestLink).\(getpid()).tmp").path
        unlink(temporary)
        guard symlink(id, temporary) == 0, rename(temporary, link) == 0 else {
            let cause = String(cString: strerror(errno))
            unlink(temporary)
            throw FileFailure(path: ManifestSource.display(link), cause: cause)
        }
    }

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
